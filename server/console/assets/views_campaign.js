// views_campaign.js: one campaign: its state, the live progress of its background job (launch:
// crawl then plan; notify; apply; undo), its figures by team, what-if, and the admin's steps
// (launch, notify, apply, undo, close), and who may open its live progress page. The page polls
// GET /api/v1/campaigns/{id} (which carries the active job) every 2 seconds while something runs,
// every 10 seconds otherwise.
import { api } from './api.js';
import { t, formatBytes, formatNumber, formatDate, formatDateTime } from './i18n.js';
import { h, clear, table, bytesCell, numberCell, setStatus, errorText, message, confirmDialog, progressLine, badge,
  field } from './ui.js';

const states = ['draft', 'crawling', 'proposing', 'notifying', 'collecting', 'applying', 'closed'];
const busyStates = new Set(['crawling', 'notifying', 'applying']);
// The states each step accepts (server/campaign/campaign_store.hpp).
const stepStates = {
  launch: ['draft', 'crawling', 'proposing'],
  whatif: ['draft', 'crawling', 'proposing', 'notifying', 'collecting', 'applying'],
  notify: ['proposing', 'notifying', 'collecting'],
  apply: ['proposing', 'collecting', 'applying'],
  undo: ['proposing', 'notifying', 'collecting', 'applying', 'closed'],
  close: ['draft', 'crawling', 'proposing', 'notifying', 'collecting', 'applying'],
};

// The what-if projection: the headline (target reached or the shortfall), then by team, by rule,
// and what was skipped and why.
export function renderProjection(p) {
  const totalsColumns = (label) => [
    { label, value: (line) => line.name || t('common.no_team') },
    { label: t('projection.proposals'), value: (line) => numberCell(line.totals.count), num: true },
    { label: t('projection.bytes'), value: (line) => bytesCell(line.totals.bytes), num: true },
    { label: t('projection.planned'), value: (line) => bytesCell(line.totals.planned_bytes), num: true },
  ];
  const headline = p.target_bytes == null
    ? message(t('projection.no_target', { bytes: formatBytes(p.total.planned_bytes) }), 'ok')
    : p.reached
      ? message(t('projection.reached', { planned: formatBytes(p.total.planned_bytes), target: formatBytes(p.target_bytes) }), 'ok')
      : message(t('projection.shortfall', { shortfall: formatBytes(p.shortfall_bytes), planned: formatBytes(p.total.planned_bytes),
        target: formatBytes(p.target_bytes) }), 'warn');
  headline.id = 'projection-headline';
  return h('section', { class: 'projection', 'aria-labelledby': 'projection-title' },
    h('h2', { id: 'projection-title' }, t('projection.title')),
    headline,
    h('div', { class: 'cards' },
      card(t('projection.proposals'), formatNumber(p.total.count)),
      card(t('projection.bytes'), formatBytes(p.total.bytes)),
      card(t('projection.planned'), formatBytes(p.total.planned_bytes)),
      p.target_bytes == null ? null : card(t('campaign.target'), formatBytes(p.target_bytes))),
    h('h3', {}, t('projection.by_team')),
    table(totalsColumns(t('common.team')), p.by_team, { label: t('projection.by_team') }),
    h('h3', {}, t('projection.by_rule')),
    table([...totalsColumns(t('common.rule')).slice(0, 1),
      { label: t('common.action'), value: (line) => t(`action.${line.detail}`) || line.detail },
      ...totalsColumns('').slice(1)], p.by_rule, { label: t('projection.by_rule') }),
    h('h3', {}, t('projection.skipped')),
    table([
      { label: t('projection.reason'), value: (s) => t(`skip.${s.reason.split(':')[0]}`) || s.reason },
      { label: t('projection.count'), value: (s) => numberCell(s.count), num: true },
      { label: t('projection.bytes'), value: (s) => bytesCell(s.bytes), num: true },
    ], p.skipped, { label: t('projection.skipped') }));
}

function card(title, figure, extra) {
  return h('div', { class: 'card' }, h('h3', {}, title), h('div', { class: 'figure' }, figure), extra || null);
}

function facts(pairs) {
  return h('dl', { class: 'facts' }, pairs.filter(Boolean).flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

function stepper(current) {
  return h('ol', { class: 'stepper', 'aria-label': t('campaign.steps') },
    states.map((s) => h('li', { 'aria-current': s === current ? 'step' : null, class: s === current ? 'current' : null },
      t(`state.${s}`))));
}

// [path, value] pairs of a job's result ("plan.proposals", "crawls.0.messages"), scalars only.
function flatten(value, prefix, depth = 0) {
  if (value === null || typeof value !== 'object') return [[prefix, value]];
  if (depth > 3) return [];
  return Object.entries(value).flatMap(([k, v]) => flatten(v, prefix ? `${prefix}.${k}` : k, depth + 1));
}

// A job: kind, state, progress bar, and its result or error when finished.
export function renderJob(job) {
  const p = job.progress || { total: 0, done: 0, skipped: 0, failed: 0 };
  const extra = [];
  if (p.skipped) extra.push(` · ${t('job.skipped', { n: formatNumber(p.skipped) })}`);
  if (p.failed) extra.push(` · ${t('job.failed_count', { n: formatNumber(p.failed) })}`);
  const running = job.state === 'queued' || job.state === 'running';
  const resultFacts = job.result && typeof job.result === 'object' ? flatten(job.result, '')
    .map(([k, v]) => [k, /bytes/.test(k) && typeof v === 'number' ? formatBytes(v) : String(v)]) : [];
  return h('div', { class: 'card job', id: `job-${job.id}`, dataset: { state: job.state, kind: job.kind } },
    h('h3', {}, t(`job.kind.${job.kind}`), ' ', badge(t(`job.state.${job.state}`), `job-${job.state === 'done' ? 'succeeded' : job.state}`)),
    running || p.total ? progressLine(t(`job.progress.${job.kind}`), p.done, p.total, extra.join('')) : null,
    facts([[t('job.by'), job.created_by], [t('job.started'), formatDateTime(job.started_at || job.created_at)],
      job.finished_at ? [t('job.finished'), formatDateTime(job.finished_at)] : null]),
    job.error ? message(job.error, 'error') : null,
    resultFacts.length ? h('details', {}, h('summary', {}, t('job.result')), facts(resultFacts)) : null);
}

export function campaignView(main, context) {
  const id = context.params[0];
  let alive = true;
  let timer = null;
  let actionsKey = '';
  let lastJobId = null;
  const header = h('div', {});
  const jobBox = h('section', { 'aria-labelledby': 'job-title', 'aria-live': 'polite', id: 'live-job' });
  const actions = h('div', { class: 'actions', id: 'campaign-actions' });
  const whatIf = h('div', { id: 'what-if-result', 'aria-live': 'polite' });
  const figures = h('section', { id: 'campaign-progress' });
  const jobsBox = h('section', {});
  const history = h('section', {});
  const pageBox = h('section', { id: 'progress-page', 'aria-labelledby': 'progress-page-title', 'aria-live': 'polite' });
  clear(main, header, actions, jobBox, whatIf, figures, pageBox, jobsBox, history);

  async function step(kind, body, confirmText) {
    if (confirmText && !(await confirmDialog(t(`confirm.${kind}.title`), confirmText, t(`confirm.${kind}.button`)))) return;
    try {
      const path = kind === 'whatif' ? 'what-if' : kind;
      const answer = await api.post(`/campaigns/${id}/${path}`, body);
      if (kind === 'whatif') {
        clear(whatIf, renderProjection(answer));
        return;
      }
      if (kind === 'close') setStatus(t('campaign.closed_ok'), 'ok');
      else setStatus(t('campaign.job_started', { kind: t(`job.kind.${kind}`) }), 'ok');
      if (answer && answer.id && answer.kind) lastJobId = answer.id;
      refresh();
    } catch (error) {
      setStatus(errorText(error), 'error');
    }
  }

  function renderActions(campaign, activeJob) {
    const key = `${campaign.state}|${activeJob ? activeJob.id : ''}|${context.isAdmin}`;
    if (key === actionsKey) return;
    actionsKey = key;
    if (!context.isAdmin) {
      clear(actions, h('p', { class: 'hint' }, t('campaign.viewer_note')));
      return;
    }
    const busy = Boolean(activeJob);
    const button = (kind, label, handler, { danger = false, secondary = false } = {}) => h('button', {
      type: 'button', id: `action-${kind}`, class: danger ? 'danger' : secondary ? 'secondary' : null,
      disabled: busy || !stepStates[kind].includes(campaign.state), on: { click: handler } }, label);
    const undoMailbox = h('input', { type: 'email', autocomplete: 'off', placeholder: 'agent@example.org' });
    const undoForm = h('form', { class: 'row' }, field('undo-mailbox', t('undo.mailbox_label'), undoMailbox),
      h('div', {}, h('button', { type: 'submit', class: 'danger', id: 'action-undo-mailbox',
        disabled: busy || !stepStates.undo.includes(campaign.state) }, t('undo.mailbox_button'))));
    undoForm.addEventListener('submit', (event) => {
      event.preventDefault();
      const mailbox = undoMailbox.value.trim();
      if (!mailbox) {
        undoMailbox.setAttribute('aria-invalid', 'true');
        undoMailbox.focus();
        return;
      }
      step('undo', { mailbox }, t('confirm.undo.mailbox', { mailbox, name: campaign.name }));
    });
    clear(actions,
      button('whatif', t('campaign.whatif'), () => step('whatif', {}), { secondary: true }),
      button('launch', t('campaign.launch'), () => step('launch', { crawl: true })),
      button('notify', t('campaign.notify'), () => step('notify', {},
        t('confirm.notify.text', { name: campaign.name }))),
      button('apply', t('campaign.apply'), () => step('apply', {}, t('confirm.apply.text', { name: campaign.name }))),
      button('undo', t('campaign.undo'), () => step('undo', {}, t('confirm.undo.text', { name: campaign.name })),
        { danger: true }),
      button('close', t('campaign.close'), () => step('close', undefined, t('confirm.close.text', { name: campaign.name })),
        { secondary: true }),
      h('details', { class: 'undo-one' }, h('summary', {}, t('undo.one')), undoForm));
  }

  function renderFigures(detail) {
    const campaign = detail.campaign;
    const total = detail.progress.total;
    const notes = detail.progress.notifications;
    const target = campaign.target_bytes;
    const freed = total.freed_measured != null ? total.freed_measured : total.freed_estimated;
    clear(figures,
      h('h2', {}, t('campaign.progress')),
      target ? progressLine(t('campaign.towards_target', { target: formatBytes(target) }),
        total.approved_bytes, target, '', formatBytes) : null,
      h('div', { class: 'cards' },
        card(t('counts.proposed'), formatBytes(total.proposed_bytes), h('div', {}, t('counts.items', { n: formatNumber(total.proposed) }))),
        card(t('counts.approved'), formatBytes(total.approved_bytes), h('div', {}, t('counts.items', { n: formatNumber(total.approved) }))),
        card(t('counts.refused'), formatBytes(total.refused_bytes), h('div', {}, t('counts.items', { n: formatNumber(total.refused) }))),
        card(t('counts.pending'), formatBytes(total.pending_bytes), h('div', {}, t('counts.items', { n: formatNumber(total.pending) }))),
        card(t('counts.freed'), formatBytes(freed), h('div', {}, total.freed_measured != null ? t('counts.measured') : t('counts.estimated')))),
      h('h3', {}, t('campaign.notifications')),
      facts([[t('notes.agents'), formatNumber(notes.agents_notified)], [t('notes.sent'), formatNumber(notes.sent)],
        [t('notes.pending'), formatNumber(notes.pending)], [t('notes.failed'), formatNumber(notes.failed)]]),
      h('h3', {}, t('campaign.by_team')),
      table([
        { label: t('common.team'), value: (r) => r.team || t('common.no_team') },
        { label: t('notes.agents'), value: (r) => numberCell(r.agents), num: true },
        { label: t('counts.proposed'), value: (r) => bytesCell(r.counts.proposed_bytes), num: true },
        { label: t('counts.approved'), value: (r) => bytesCell(r.counts.approved_bytes), num: true },
        { label: t('counts.refused'), value: (r) => bytesCell(r.counts.refused_bytes), num: true },
        { label: t('counts.freed'), value: (r) => bytesCell(r.counts.freed_measured != null ? r.counts.freed_measured : r.counts.freed_estimated), num: true },
      ], detail.progress.teams, { label: t('campaign.by_team') }));
  }

  function renderHeader(campaign) {
    document.title = `${campaign.name} · mailprune`;
    const scope = campaign.scope || {};
    const scopeText = [...(scope.teams || []), ...(scope.mailboxes || []), ...(scope.sources || [])].join(', ') || t('campaign.scope_all');
    clear(header,
      h('p', {}, h('a', { href: '#/campaigns' }, `← ${t('nav.campaigns')}`)),
      h('h1', { id: 'campaign-title' }, campaign.name, ' ', badge(t(`state.${campaign.state}`), `state-${campaign.state}`)),
      stepper(campaign.state),
      facts([
        [t('campaign.target'), campaign.target_bytes == null ? '—' : formatBytes(campaign.target_bytes)],
        [t('campaign.starts'), formatDate(campaign.starts_at)],
        [t('campaign.deadline'), formatDate(campaign.deadline) + (campaign.deadline_passed ? ` (${t('campaign.deadline_passed')})` : '')],
        [t('campaign.scope'), scopeText],
        [t('create.rules'), (campaign.rules || []).map((r) => r.name).join(', ') || '—'],
        [t('campaign.grace_days'), formatNumber(campaign.grace_days)],
      ]));
  }

  // The live progress page's access (GET and PUT /campaigns/{id}/progress-page): its mode, the
  // address to share, and for admins the buttons that switch it. A secret link's address exists
  // only in the answer that issued it, so it stays shown until the view is left.
  function renderPage(page) {
    if (!alive) return;
    let hint = null;
    if (page.mode === 'off') hint = h('p', { class: 'hint' }, t('page.off_hint'));
    if (page.mode === 'link') hint = page.path ? message(t('page.link_once'), 'warn') : h('p', { class: 'hint' }, t('page.link_hidden'));
    const buttons = context.isAdmin
      ? h('div', { class: 'actions' }, ['public', 'link', 'off'].map((mode) => h('button', {
        type: 'button', id: `page-${mode}`, class: mode === 'off' ? 'secondary' : null,
        disabled: mode !== 'link' && mode === page.mode, on: { click: () => setPage(mode) } }, t(`page.set_${mode}`))))
      : h('p', { class: 'hint' }, t('campaign.viewer_note'));
    clear(pageBox, h('h2', { id: 'progress-page-title' }, t('page.title')),
      h('p', { class: 'hint' }, t('page.intro')),
      h('div', { class: 'card', dataset: { mode: page.mode } },
        facts([
          [t('page.mode'), h('strong', { id: 'progress-page-mode' }, t(`page.mode.${page.mode}`))],
          page.changed_at ? [t('page.changed'), formatDateTime(page.changed_at)] : null,
          page.path ? [t('page.share'), h('code', { id: 'progress-page-url' }, page.url || page.path)] : null]),
        page.path ? h('p', {}, h('a', { id: 'progress-page-open', href: page.path, target: '_blank', rel: 'noopener' },
          t('page.open'))) : null,
        hint, buttons));
  }

  async function loadPage() {
    try {
      renderPage(await api.get(`/campaigns/${id}/progress-page`));
    } catch (error) {
      if (alive && error.status !== 404) {
        clear(pageBox, h('h2', { id: 'progress-page-title' }, t('page.title')), message(errorText(error), 'error'));
      }
    }
  }

  async function setPage(mode) {
    try {
      const answer = await api.put(`/campaigns/${id}/progress-page`, { mode });
      renderPage(answer);
      setStatus(t('page.saved', { mode: t(`page.mode.${answer.mode}`) }), 'ok');
    } catch (error) {
      setStatus(errorText(error), 'error');
    }
  }

  async function refresh() {
    window.clearTimeout(timer);
    let next = 10000;
    try {
      const [detail, jobs] = await Promise.all([
        api.get(`/campaigns/${id}`), api.get('/jobs', { campaign: id, limit: 5 })]);
      if (!alive) return;
      const campaign = detail.campaign;
      renderHeader(campaign);
      renderActions(campaign, detail.active_job);
      let job = detail.active_job;
      if (!job && lastJobId) job = (jobs.items || []).find((j) => j.id === lastJobId) || null;
      if (!job && jobs.items && jobs.items.length) job = jobs.items[0];
      if (job) lastJobId = job.id;
      clear(jobBox, h('h2', { id: 'job-title' }, t('campaign.activity')),
        job ? renderJob(job) : h('p', { class: 'empty' }, t('campaign.no_job')));
      renderFigures(detail);
      clear(jobsBox, h('h2', {}, t('campaign.jobs')), table([
        { label: '#', value: (j) => String(j.id), num: true },
        { label: t('job.kind_label'), value: (j) => t(`job.kind.${j.kind}`) },
        { label: t('job.state_label'), value: (j) => badge(t(`job.state.${j.state}`), `job-${j.state === 'done' ? 'succeeded' : j.state}`) },
        { label: t('job.by'), value: (j) => j.created_by },
        { label: t('job.started'), value: (j) => formatDateTime(j.started_at || j.created_at) },
      ], jobs.items || [], { empty: t('campaign.no_job'), label: t('campaign.jobs') }));
      clear(history, h('h2', {}, t('campaign.history')), table([
        { label: t('history.at'), value: (e) => formatDateTime(e.at) },
        { label: t('history.step'), value: (e) => e.step },
        { label: t('history.change'), value: (e) => (e.from_state === e.to_state ? '' : `${t(`state.${e.from_state}`)} → ${t(`state.${e.to_state}`)}`) },
        { label: t('history.detail'), value: (e) => e.detail },
      ], [...(detail.history || [])].reverse(), { label: t('campaign.history') }));
      if (detail.active_job || busyStates.has(campaign.state)) next = 2000;
    } catch (error) {
      if (!alive) return;
      if (error.status === 404) {
        clear(main, h('h1', {}, t('error.not_found')), h('p', {}, h('a', { href: '#/campaigns' }, t('nav.campaigns'))));
        return;
      }
      setStatus(errorText(error), 'error');
      next = 5000;
    }
    if (alive) timer = window.setTimeout(refresh, next);
  }

  refresh();
  loadPage();
  return () => {
    alive = false;
    window.clearTimeout(timer);
  };
}
