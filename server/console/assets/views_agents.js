// views_agents.js: the agents (GET /api/v1/agents) and, for administrators, their import: a CSV
// file (address,display_name,team,language, as `mailprune agents import` reads it) sent as it is
// to POST /api/v1/agents. The API imports the whole file or nothing; its report (added, updated,
// unchanged, missing, new teams) or its errors, line by line, are shown under the form.
import { api } from './api.js';
import { t, formatNumber, formatDateTime } from './i18n.js';
import { h, clear, table, field, setStatus, errorText, message, numberCell, listPage } from './ui.js';

const maxBytes = 8 * 1024 * 1024;  // the API's limit for this route (docs/api.md)

// A list of addresses or teams under a summary line, closed when long.
function namesList(title, names) {
  if (!names || names.length === 0) return null;
  return h('details', { open: names.length <= 10 },
    h('summary', {}, `${title} (${formatNumber(names.length)})`),
    h('ul', { class: 'names' }, names.map((name) => h('li', {}, name))));
}

function importReport(report) {
  return h('div', { class: 'card', id: 'import-report' },
    message(t('agents.imported', {
      n: formatNumber(report.agents), added: formatNumber(report.added.length),
      updated: formatNumber(report.updated.length), unchanged: formatNumber(report.unchanged.length),
    }), 'ok'),
    report.mailboxes_updated ? h('p', {}, t('agents.mailboxes_updated', { n: formatNumber(report.mailboxes_updated) })) : null,
    namesList(t('agents.added'), report.added),
    namesList(t('agents.updated'), report.updated),
    namesList(t('agents.new_teams'), report.new_teams),
    report.missing.length ? h('p', { class: 'hint' }, t('agents.missing_hint')) : null,
    namesList(t('agents.missing'), report.missing));
}

// The API's refusal: its message, then one line per error it found ("line 3": "...").
function importErrors(error) {
  if (error.status === 413) return message(t('agents.too_large'), 'error');
  const lines = (error.fields || []).map(({ field: where, message: text }) => {
    const line = /^line (\d+)$/.exec(where);
    return h('li', {}, t('agents.error_line', { where: line ? t('agents.line', { n: line[1] }) : where, text }));
  });
  // With its lines listed, the API's message (the first of them, in English) would say it twice.
  return h('div', { id: 'import-errors' },
    message(lines.length ? t('agents.refused') : `${t('agents.refused')} ${errorText(error)}`, 'error'),
    lines.length ? h('ul', { class: 'errors' }, lines) : null);
}

function importForm(onImported) {
  const file = h('input', { type: 'file', accept: '.csv,text/csv' });
  const submit = h('button', { type: 'submit', id: 'agents-import' }, t('agents.import'));
  const result = h('div', { id: 'import-result', 'aria-live': 'polite' });
  const form = h('form', { class: 'stack card', id: 'agents-form', novalidate: true },
    h('h2', {}, t('agents.import_title')),
    h('p', {}, t('agents.import_intro')),
    h('pre', { class: 'example' }, 'address,display_name,team,language\nalice.martin@example.org,Alice Martin,Finances,fr'),
    field('csv', t('agents.file'), file, t('agents.file_hint')),
    h('div', { class: 'actions' }, submit),
    result);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const chosen = file.files && file.files[0];
    if (!chosen) {
      clear(result, message(t('agents.no_file'), 'error'));
      return;
    }
    if (chosen.size > maxBytes) {
      clear(result, message(t('agents.too_large'), 'error'));
      return;
    }
    submit.disabled = true;
    clear(result, h('p', { class: 'loading' }, t('agents.importing')));
    try {
      const report = await api.postCsv('/agents', await chosen.text());
      clear(result, importReport(report));
      setStatus(t('agents.imported_status', { n: formatNumber(report.agents) }), 'ok');
      onImported();
    } catch (error) {
      clear(result, importErrors(error));
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

export function agentsView(main, context) {
  return listPage(main, context, {
    title: t('agents.title'), intro: t('agents.intro'), viewerNote: t('agents.viewer_note'), listId: 'agents-result',
    form: importForm,
    render: async () => {
      const page = await api.get('/agents', { limit: 500 });
      return [
        h('h2', {}, t('agents.list')),
        table([
          { label: t('agents.address'), value: (a) => a.address },
          { label: t('reports.name'), value: (a) => a.display_name || '' },
          { label: t('common.team'), value: (a) => a.team || t('common.no_team') },
          { label: t('agents.language'), value: (a) => a.language },
          { label: t('agents.mailboxes'), value: (a) => numberCell(a.mailboxes), num: true },
          { label: t('agents.origin'), value: (a) => t(`agents.origin.${a.origin}`) || a.origin },
          { label: t('agents.last_import'), value: (a) => formatDateTime(a.last_imported_at) },
        ], page.items || [], { caption: t('agents.caption'), empty: t('agents.empty') }),
        page.next_cursor ? h('p', { class: 'hint' }, t('agents.more')) : null,
      ];
    },
  });
}
