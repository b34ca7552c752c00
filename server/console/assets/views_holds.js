// views_holds.js: the legal holds (GET/POST /api/v1/holds, DELETE /api/v1/holds/{id}): what they
// keep out of every rule, who added them; an administrator adds one (mailbox, folder, sender,
// dates, reason) and removes one, each confirmed in a dialog first. Holds of the configuration
// ([[hold]]) cannot be removed here: the API refuses, so the page offers no button for them.
import { api } from './api.js';
import { t, language, formatDateTime } from './i18n.js';
import { h, clear, table, field, showFieldErrors, setStatus, errorText, message, confirmDialog, badge, listPage } from './ui.js';

// "2021-03-01 00:00:00+00" (a bound as PostgreSQL writes it, UTC): a whole day is shown as that
// day (a date given as YYYY-MM-DD starts at 00:00:00 and ends at 23:59:59.999999 UTC), anything
// else as a date and time.
function holdDate(text) {
  if (!text) return '—';
  const parts = /^(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d)(\.\d+)?(.*)$/.exec(text);
  if (!parts) return text;
  if (parts[2] === '00:00:00' || parts[2] === '23:59:59') {
    const day = new Date(`${parts[1]}T12:00:00Z`);
    return new Intl.DateTimeFormat(language(), { dateStyle: 'medium', timeZone: 'UTC' }).format(day);
  }
  const zone = parts[4] === '+00' || parts[4] === '' ? 'Z' : parts[4].replace(/^([+-]\d\d)$/, '$1:00');
  return formatDateTime(`${parts[1]}T${parts[2]}${parts[3] || ''}${zone}`);
}

// What a hold covers, in words, for the confirmation dialogs.
function describeHold(hold) {
  const parts = [];
  if (hold.mailbox) parts.push(`${t('common.mailbox')} ${hold.mailbox}`);
  if (hold.folder) parts.push(`${t('holds.folder')} ${hold.folder}`);
  if (hold.sender) parts.push(`${t('holds.sender')} ${hold.sender}`);
  if (hold.from) parts.push(`${t('holds.from')} ${hold.from}`);
  if (hold.to) parts.push(`${t('holds.to')} ${hold.to}`);
  return parts.join(', ');
}

function addForm(onAdded) {
  const mailbox = h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', placeholder: 'alice@example.org' });
  const folder = h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', placeholder: 'Contentieux/**' });
  const sender = h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', placeholder: 'avocat@example.org' });
  const from = h('input', { type: 'date' });
  const to = h('input', { type: 'date' });
  const reason = h('input', { type: 'text', autocomplete: 'off', required: true, maxlength: '500' });
  const submit = h('button', { type: 'submit', id: 'hold-add' }, t('holds.add'));
  const feedback = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'stack card', id: 'hold-form', novalidate: true },
    h('h2', {}, t('holds.add_title')),
    h('p', { class: 'hint' }, t('holds.add_hint')),
    h('div', { class: 'row' },
      field('mailbox', t('common.mailbox'), mailbox), field('folder', t('holds.folder'), folder, t('holds.folder_hint'))),
    h('div', { class: 'row' },
      field('sender', t('holds.sender'), sender), field('from', t('holds.from'), from), field('to', t('holds.to'), to)),
    field('reason', t('holds.reason'), reason, t('holds.reason_hint')),
    h('div', { class: 'actions' }, submit),
    feedback);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = { mailbox: mailbox.value.trim(), folder: folder.value.trim(), sender: sender.value.trim(),
      from: from.value, to: to.value, reason: reason.value.trim() };
    for (const name of Object.keys(body)) if (!body[name]) delete body[name];
    const local = [];
    if (!body.reason) local.push({ field: 'reason', message: t('holds.reason_required') });
    if (!body.mailbox && !body.folder && !body.sender && !body.from && !body.to) {
      local.push({ field: 'mailbox', message: t('holds.criterion_required') });
    }
    if (local.length) {
      showFieldErrors(form, local);
      clear(feedback);
      form.querySelector('[aria-invalid="true"]')?.focus();
      return;
    }
    showFieldErrors(form, []);
    if (!(await confirmDialog(t('holds.confirm_add.title'),
      t('holds.confirm_add.text', { what: describeHold(body), reason: body.reason }), t('holds.add'), { danger: false }))) {
      return;
    }
    submit.disabled = true;
    clear(feedback);
    try {
      const hold = await api.post('/holds', body);
      form.reset();
      setStatus(t('holds.added', { id: hold.id }), 'ok');
      onAdded();
    } catch (error) {
      // Field errors go next to their fields; the API's other refusals (no criterion, bad dates,
      // "to" before "from") are said under the form.
      const others = showFieldErrors(form, error.fields);
      clear(feedback, message([errorText(error), ...others].join(' '), 'error'));
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

// The remove button of a hold (none for the configuration's), confirmed in a dialog.
function removeButton(hold, reload) {
  if (hold.origin === 'config') return h('span', { class: 'hint' }, t('holds.in_config'));
  const button = h('button', { type: 'button', class: 'secondary', dataset: { hold: String(hold.id) },
    'aria-label': t('holds.remove_one', { id: hold.id }) }, t('holds.remove'));
  button.addEventListener('click', async () => {
    const what = describeHold({ ...hold, from: hold.date_from && holdDate(hold.date_from), to: hold.date_to && holdDate(hold.date_to) });
    if (!(await confirmDialog(t('holds.confirm_remove.title', { id: hold.id }),
      t('holds.confirm_remove.text', { what, reason: hold.reason }), t('holds.remove')))) return;
    button.disabled = true;
    try {
      await api.del(`/holds/${hold.id}`);
      setStatus(t('holds.removed', { id: hold.id }), 'ok');
      reload();
    } catch (error) {
      button.disabled = false;
      setStatus(errorText(error), 'error');
    }
  });
  return button;
}

export function holdsView(main, context) {
  return listPage(main, context, {
    title: t('holds.title'), intro: t('holds.intro'), viewerNote: t('holds.viewer_note'), listId: 'holds-result',
    form: addForm,
    render: async (reload) => {
      const holds = (await api.get('/holds')).items || [];
      return [
        h('p', { id: 'holds-count' }, t('holds.count', { n: holds.length })),
        table([
          { label: '#', value: (r) => String(r.id), num: true },
          { label: t('common.mailbox'), value: (r) => r.mailbox || t('holds.any') },
          { label: t('holds.folder'), value: (r) => r.folder || t('holds.any') },
          { label: t('holds.sender'), value: (r) => r.sender || t('holds.any') },
          { label: t('holds.from'), value: (r) => holdDate(r.date_from) },
          { label: t('holds.to'), value: (r) => holdDate(r.date_to) },
          { label: t('holds.reason'), value: (r) => r.reason },
          { label: t('holds.origin'), value: (r) => badge(t(`holds.origin.${r.origin}`) || r.origin, `origin-${r.origin}`) },
          { label: t('holds.created'), value: (r) => `${formatDateTime(r.created_at)}${r.created_by ? ` · ${r.created_by}` : ''}` },
          ...(context.isAdmin ? [{ label: t('common.action'), value: (r) => removeButton(r, reload) }] : []),
        ], holds, { caption: t('holds.caption'), empty: t('holds.empty') }),
      ];
    },
  });
}
