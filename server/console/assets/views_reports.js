// views_reports.js: what fills the mail servers (largest mailboxes, largest attachments,
// duplicate groups) and the failed actions of a campaign, with retry.
import { api } from './api.js';
import { t, formatBytes, formatNumber, formatDateTime } from './i18n.js';
import { h, clear, table, bytesCell, numberCell, setStatus, errorText, message, confirmDialog, field } from './ui.js';

// A report page: a filter form (team, mailbox, how many rows) and the result under it.
function reportPage(main, { title, intro, path, render, defaultTop = 50 }) {
  document.title = `${title} · mailprune`;
  let alive = true;
  const team = h('input', { type: 'text', autocomplete: 'off' });
  const mailbox = h('input', { type: 'text', autocomplete: 'off' });
  const top = h('select', {}, [20, 50, 100, 500].map((n) => h('option', { value: String(n), selected: n === defaultTop }, String(n))),
    h('option', { value: '0' }, t('reports.all')));
  const form = h('form', { class: 'row', role: 'search' },
    field('team', t('common.team'), team), field('mailbox', t('common.mailbox'), mailbox), field('top', t('reports.rows'), top),
    h('div', { class: 'field' }, h('span', { 'aria-hidden': 'true' }, '\u00a0'), h('button', { type: 'submit' }, t('reports.show'))));
  const result = h('div', { 'aria-live': 'polite', id: 'report-result' });
  async function load() {
    clear(result, h('p', { class: 'loading' }, t('common.loading')));
    try {
      const data = await api.get(path, { team: team.value.trim(), mailbox: mailbox.value.trim(), top: top.value });
      if (alive) clear(result, render(data.items || []));
    } catch (error) {
      if (alive) clear(result, message(errorText(error), 'error'));
    }
  }
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    load();
  });
  clear(main, h('h1', {}, title), intro ? h('p', {}, intro) : null, form, result);
  load();
  return () => {
    alive = false;
  };
}

export function mailboxesView(main) {
  return reportPage(main, {
    title: t('reports.mailboxes.title'), intro: t('reports.mailboxes.intro'), path: '/reports/mailboxes', defaultTop: 20,
    render: (rows) => table([
      { label: t('common.mailbox'), value: (r) => r.mailbox },
      { label: t('reports.name'), value: (r) => r.display_name || '' },
      { label: t('common.team'), value: (r) => r.team || t('common.no_team') },
      { label: t('reports.messages'), value: (r) => numberCell(r.messages), num: true },
      { label: t('reports.message_bytes'), value: (r) => bytesCell(r.message_bytes), num: true },
      { label: t('reports.attachments'), value: (r) => numberCell(r.attachments), num: true },
      { label: t('reports.attachment_bytes'), value: (r) => bytesCell(r.attachment_bytes), num: true },
      { label: t('reports.crawled'), value: (r) => formatDateTime(r.last_crawled_at) },
    ], rows, { caption: t('reports.mailboxes.title'), empty: t('reports.empty') }),
  });
}

export function attachmentsView(main) {
  return reportPage(main, {
    title: t('reports.attachments.title'), intro: t('reports.attachments.intro'), path: '/reports/attachments',
    render: (rows) => table([
      { label: t('reports.file'), value: (r) => r.name || t('reports.unnamed') },
      { label: t('reports.type'), value: (r) => r.content_type || '' },
      { label: t('reports.size'), value: (r) => bytesCell(r.size), num: true },
      { label: t('common.mailbox'), value: (r) => r.mailbox },
      { label: t('reports.folder'), value: (r) => r.folder },
    ], rows, { caption: t('reports.attachments.title'), empty: t('reports.empty') }),
  });
}

export function duplicatesView(main) {
  return reportPage(main, {
    title: t('reports.duplicates.title'), intro: t('reports.duplicates.intro'), path: '/reports/duplicates', defaultTop: 20,
    render: (groups) => {
      if (groups.length === 0) return h('p', { class: 'empty' }, t('reports.empty'));
      return h('ol', { class: 'duplicates' }, groups.map((g) => {
        const name = (g.copies.find((c) => c.name) || {}).name || t('reports.unnamed');
        const mailboxes = new Set(g.copies.map((c) => c.mailbox)).size;
        return h('li', { class: 'card' },
          h('p', { class: 'duplicate-headline' }, t('reports.duplicates.headline', {
            name, size: formatBytes(g.size), count: formatNumber(g.count), mailboxes: formatNumber(mailboxes) })),
          h('p', {}, t('reports.duplicates.reclaimable', { bytes: formatBytes(g.reclaimable_bytes) })),
          h('details', {}, h('summary', {}, t('reports.duplicates.copies', { n: formatNumber(g.copies.length) })),
            table([
              { label: t('common.mailbox'), value: (c) => c.mailbox },
              { label: t('reports.folder'), value: (c) => c.folder },
              { label: t('reports.file'), value: (c) => c.name || '' },
            ], g.copies.slice(0, 200), { label: name })));
      }));
    },
  });
}

// Failed actions of one campaign: counted by reason, listed with a retry button each, and
// "retry every failed action" (an apply run with retry_failed).
export function failuresView(main, context) {
  document.title = `${t('failures.title')} · mailprune`;
  let alive = true;
  const picker = h('select', {});
  const result = h('div', { id: 'failures-result', 'aria-live': 'polite' });
  async function load() {
    const id = picker.value;
    if (!id) return;
    clear(result, h('p', { class: 'loading' }, t('common.loading')));
    try {
      const [summary, page] = await Promise.all([
        api.get(`/campaigns/${id}/failures`), api.get(`/campaigns/${id}/actions`, { outcome: 'failed', limit: 200 })]);
      if (!alive) return;
      const retryAll = h('button', { type: 'button', id: 'retry-all', disabled: summary.total === 0 }, t('failures.retry_all'));
      retryAll.addEventListener('click', async () => {
        if (!(await confirmDialog(t('failures.retry_all'), t('failures.retry_all_confirm', { n: formatNumber(summary.total) }),
          t('failures.retry'), { danger: false }))) return;
        try {
          await api.post(`/campaigns/${id}/apply`, { retry_failed: true });
          setStatus(t('failures.retry_started'), 'ok');
        } catch (error) {
          setStatus(errorText(error), 'error');
        }
      });
      const retryButton = (action) => {
        const button = h('button', { type: 'button', class: 'secondary', 'aria-label': t('failures.retry_one', { id: action.id }) },
          t('failures.retry'));
        button.addEventListener('click', async () => {
          button.disabled = true;
          try {
            await api.post(`/actions/${action.id}/retry`);
            setStatus(t('failures.retry_started'), 'ok');
          } catch (error) {
            button.disabled = false;
            setStatus(errorText(error), 'error');
          }
        });
        return button;
      };
      clear(result,
        h('p', {}, t('failures.total', { n: formatNumber(summary.total) })),
        table([
          { label: t('projection.reason'), value: (r) => r.reason },
          { label: t('projection.count'), value: (r) => numberCell(r.count), num: true },
          { label: t('projection.bytes'), value: (r) => bytesCell(r.bytes), num: true },
        ], summary.by_reason, { caption: t('failures.by_reason'), empty: t('failures.none') }),
        context.isAdmin ? h('div', { class: 'actions' }, retryAll) : null,
        table([
          { label: '#', value: (a) => String(a.id), num: true },
          { label: t('common.action'), value: (a) => t(`action.${a.kind}`) || a.kind },
          { label: t('common.mailbox'), value: (a) => a.mailbox },
          { label: t('reports.folder'), value: (a) => a.folder },
          { label: t('failures.step'), value: (a) => a.failed_step || '' },
          { label: t('projection.reason'), value: (a) => a.reason || '' },
          { label: t('failures.attempts'), value: (a) => numberCell(a.attempts), num: true },
          { label: t('failures.when'), value: (a) => formatDateTime(a.updated_at) },
          ...(context.isAdmin ? [{ label: t('common.action'), value: (a) => retryButton(a) }] : []),
        ], page.items || [], { caption: t('failures.list'), empty: t('failures.none') }),
        page.next_cursor ? h('p', { class: 'hint' }, t('failures.more')) : null);
    } catch (error) {
      if (alive) clear(result, message(errorText(error), 'error'));
    }
  }
  (async () => {
    try {
      const list = await api.get('/campaigns');
      if (!alive) return;
      const campaigns = (list.items || []).filter((c) => c.state !== 'draft');
      const wanted = new URLSearchParams(window.location.hash.split('?')[1] || '').get('campaign');
      for (const c of campaigns) picker.append(h('option', { value: String(c.id), selected: String(c.id) === wanted }, c.name));
      picker.addEventListener('change', load);
      clear(main, h('h1', {}, t('failures.title')), h('p', {}, t('failures.intro')),
        campaigns.length ? field('campaign', t('failures.campaign'), picker) : h('p', { class: 'empty' }, t('failures.no_campaign')),
        result);
      load();
    } catch (error) {
      if (alive) clear(main, h('h1', {}, t('failures.title')), message(errorText(error), 'error'));
    }
  })();
  return () => {
    alive = false;
  };
}
