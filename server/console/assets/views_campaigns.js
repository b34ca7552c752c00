// views_campaigns.js: the list of campaigns, and creating one: the form (name, scope, rules,
// target, dates, language, admins), then the what-if projection of the new draft before it is
// launched.
import { api } from './api.js';
import { t, formatBytes, formatDate } from './i18n.js';
import { h, clear, table, field, showFieldErrors, setStatus, errorText, message, badge } from './ui.js';
import { renderProjection } from './views_campaign.js';

export function campaignsView(main, context) {
  document.title = `${t('campaigns.title')} · mailprune`;
  let alive = true;
  (async () => {
    try {
      const list = await api.get('/campaigns');
      if (!alive) return;
      const rows = list.items || [];
      clear(main,
        h('h1', {}, t('campaigns.title')),
        context.isAdmin ? h('div', { class: 'actions' },
          h('a', { class: 'button', href: '#/campaigns/new', id: 'new-campaign' }, t('campaigns.new'))) : null,
        table([
          { label: t('campaign.name'), value: (c) => h('a', { href: `#/campaigns/${c.id}` }, c.name) },
          { label: t('campaign.state'), value: (c) => badge(t(`state.${c.state}`), `state-${c.state}`) },
          { label: t('campaign.target'), value: (c) => (c.target_bytes == null ? '—' : formatBytes(c.target_bytes)), num: true },
          { label: t('campaign.deadline'), value: (c) => formatDate(c.deadline) },
          { label: t('campaign.created'), value: (c) => formatDate(c.created_at) },
        ], rows, { caption: t('campaigns.caption'), empty: t('campaigns.empty') }));
    } catch (error) {
      if (alive) clear(main, h('h1', {}, t('campaigns.title')), message(errorText(error), 'error'));
    }
  })();
  return () => {
    alive = false;
  };
}

function splitList(text) {
  return text.split(/[\s,;]+/).map((s) => s.trim()).filter(Boolean);
}

function checkboxGroup(name, legend, options, hint) {
  const box = h('fieldset', { class: 'field', dataset: { field: name } },
    h('legend', {}, legend),
    options.length === 0 ? h('p', { class: 'empty' }, t('common.none')) : h('div', { class: 'checks' },
      options.map((option) => h('label', {},
        h('input', { type: 'checkbox', name, value: option.value, checked: option.checked || false }), option.label))),
    hint ? h('span', { class: 'hint' }, hint) : null,
    h('span', { class: 'hint field-error', role: 'alert' }));
  return box;
}

function checked(form, name) {
  return [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((input) => input.value);
}

function describeRule(rule) {
  const parts = [t(`action.${rule.action}`) || rule.action, t(`approval.${rule.approval}`) || rule.approval];
  if (rule.min_attachment_size) parts.push(`≥ ${formatBytes(rule.min_attachment_size)}`);
  if (rule.older_than) parts.push(t('rule.older_than', { age: rule.older_than }));
  if (rule.duplicates_only) parts.push(t('rule.duplicates_only'));
  return parts.join(' · ');
}

export function createCampaignView(main, context) {
  document.title = `${t('create.title')} · mailprune`;
  let alive = true;
  (async () => {
    let rules = [];
    let mailboxes = [];
    try {
      const [ruleList, mailboxRows] = await Promise.all([
        api.get('/rules'), api.get('/reports/mailboxes', { top: 0 })]);
      rules = ruleList.items || [];
      mailboxes = mailboxRows.items || [];
    } catch (error) {
      if (alive) clear(main, h('h1', {}, t('create.title')), message(errorText(error), 'error'));
      return;
    }
    if (!alive) return;
    const teams = [...new Set(mailboxes.map((m) => m.team).filter(Boolean))].sort();
    const name = h('input', { type: 'text', required: true, maxlength: '100', autocomplete: 'off' });
    const target = h('input', { type: 'text', inputmode: 'decimal', placeholder: '500GB', autocomplete: 'off' });
    const starts = h('input', { type: 'date' });
    const deadline = h('input', { type: 'date' });
    const grace = h('input', { type: 'number', min: '0', max: '3650', value: '30' });
    const languageSelect = h('select', {}, h('option', { value: 'fr' }, 'Français'), h('option', { value: 'en' }, 'English'));
    const admins = h('input', { type: 'text', autocomplete: 'off', placeholder: 'dsi@example.org' });
    const mailboxInput = h('textarea', { rows: '2', autocomplete: 'off', list: 'known-mailboxes' });
    const datalist = h('datalist', { id: 'known-mailboxes' }, mailboxes.map((m) => h('option', { value: m.mailbox })));
    const submit = h('button', { type: 'submit', id: 'create-submit' }, t('create.submit'));
    const feedback = h('div', { 'aria-live': 'polite' });
    const form = h('form', { class: 'stack', novalidate: true },
      field('name', t('campaign.name'), name, t('create.name_hint')),
      checkboxGroup('teams', t('create.teams'), teams.map((team) => ({ value: team, label: team })), t('create.scope_hint')),
      field('mailboxes', t('create.mailboxes'), mailboxInput, t('create.mailboxes_hint')), datalist,
      checkboxGroup('rules', t('create.rules'),
        rules.map((rule) => ({ value: rule.name, label: `${rule.name} (${describeRule(rule)})`, checked: true })),
        t('create.rules_hint')),
      field('target', t('campaign.target'), target, t('create.target_hint')),
      h('div', { class: 'row' },
        field('starts_at', t('campaign.starts'), starts),
        field('deadline', t('campaign.deadline'), deadline, t('create.deadline_hint'))),
      h('div', { class: 'row' },
        field('grace_days', t('campaign.grace_days'), grace, t('create.grace_hint')),
        field('language', t('campaign.language'), languageSelect)),
      field('admins', t('create.admins'), admins, t('create.admins_hint')),
      h('div', { class: 'actions' }, submit, h('a', { href: '#/campaigns', class: 'button secondary' }, t('common.cancel'))),
      feedback);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const body = { name: name.value.trim(), rules: checked(form, 'rules'), teams: checked(form, 'teams'),
        mailboxes: splitList(mailboxInput.value), language: languageSelect.value };
      if (target.value.trim()) body.target = target.value.trim().replace(/\s+/g, '');
      if (starts.value) body.starts_at = starts.value;
      if (deadline.value) body.deadline = deadline.value;
      if (grace.value !== '') body.grace_days = Number.parseInt(grace.value, 10);
      const adminList = splitList(admins.value);
      if (adminList.length) body.admins = adminList;
      const local = [];
      if (!body.name) local.push({ field: 'name', message: t('create.name_required') });
      if (body.rules.length === 0) local.push({ field: 'rules', message: t('create.rules_required') });
      if (local.length) {
        showFieldErrors(form, local);
        form.querySelector('[aria-invalid="true"], fieldset [role="alert"]:not(:empty)')?.focus?.();
        return;
      }
      submit.disabled = true;
      clear(feedback, h('p', { class: 'loading' }, t('create.creating')));
      try {
        const campaign = await api.post('/campaigns', body);
        showFieldErrors(form, []);
        if (alive) whatIfStep(main, campaign, context);
      } catch (error) {
        submit.disabled = false;
        if (error.code === 'conflict') {
          // The only conflict of a creation: the name is taken.
          showFieldErrors(form, [{ field: 'name', message: t('create.name_taken') }]);
          clear(feedback);
          name.focus();
          return;
        }
        const others = showFieldErrors(form, error.fields);
        clear(feedback, message([errorText(error), ...others].join(' '), 'error'));
      }
    });
    clear(main, h('h1', {}, t('create.title')), form);
    name.focus();
  })();
  return () => {
    alive = false;
  };
}

// After creation: the projection of the draft (nothing written), a target to try, and launch.
function whatIfStep(main, campaign, context) {
  const result = h('div', { id: 'what-if-result', 'aria-live': 'polite' });
  const target = h('input', { type: 'text', autocomplete: 'off', placeholder: '500GB',
    value: campaign.target_bytes != null ? String(campaign.target_bytes) : '' });
  const recompute = h('button', { type: 'submit', class: 'secondary' }, t('whatif.recompute'));
  const launch = h('button', { type: 'button', id: 'launch' }, t('campaign.launch'));
  const form = h('form', { class: 'stack' }, field('whatif-target', t('whatif.try_target'), target, t('create.target_hint')), recompute);
  async function run(body) {
    clear(result, h('p', { class: 'loading' }, t('whatif.computing')));
    try {
      const projection = await api.post(`/campaigns/${campaign.id}/what-if`, body);
      clear(result, renderProjection(projection));
    } catch (error) {
      clear(result, message(errorText(error), 'error'));
    }
  }
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = target.value.trim().replace(/\s+/g, '');
    run(text ? (/^\d+$/.test(text) ? { target_bytes: Number(text) } : { target: text }) : {});
  });
  launch.addEventListener('click', async () => {
    launch.disabled = true;
    try {
      await api.post(`/campaigns/${campaign.id}/launch`, { crawl: true });
      window.location.hash = `#/campaigns/${campaign.id}`;
    } catch (error) {
      launch.disabled = false;
      setStatus(errorText(error), 'error');
    }
  });
  clear(main,
    h('h1', {}, t('whatif.title', { name: campaign.name })),
    message(t('whatif.created'), 'ok'),
    h('p', {}, t('whatif.explain')),
    result,
    form,
    h('div', { class: 'actions' }, context.isAdmin ? launch : null,
      h('a', { class: 'button secondary', href: `#/campaigns/${campaign.id}` }, t('whatif.later'))));
  run({});
}
