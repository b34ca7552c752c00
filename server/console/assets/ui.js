// ui.js: small DOM helpers shared by the views: building elements (never from HTML strings, so
// data from the server is always text), tables, form fields with their error messages, the
// status line, and a confirmation dialog.
import { t, formatBytes, formatNumber } from './i18n.js';

// h('a', { href: '#/x', class: 'c' }, 'text', child...): attributes named on* are refused (no
// inline handlers under the CSP anyway); `on` takes { click: fn }.
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'on') {
      for (const [event, handler] of Object.entries(value)) element.addEventListener(event, handler);
    } else if (name === 'class') {
      element.className = value;
    } else if (name === 'dataset') {
      Object.assign(element.dataset, value);
    } else if (name.startsWith('on')) {
      throw new Error(`inline handler ${name}`);
    } else if (value === true) {
      element.setAttribute(name, '');
    } else {
      element.setAttribute(name, String(value));
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function clear(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

// A table: columns [{ label, value: row => text|Node, num: bool }], rows; `empty` is said when
// there are no rows. Wrapped so that it scrolls sideways on a narrow screen.
export function table(columns, rows, { caption, empty, rowClass, label } = {}) {
  if (!rows || rows.length === 0) return h('p', { class: 'empty' }, empty || t('common.none'));
  const head = h('tr', {}, columns.map((c) => h('th', { scope: 'col', class: c.num ? 'num' : null }, c.label)));
  const body = rows.map((row) => h('tr', { class: rowClass ? rowClass(row) : null },
    columns.map((c) => h('td', { class: c.num ? 'num' : null }, c.value(row)))));
  return h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': label || caption || null },
    h('table', {}, caption ? h('caption', {}, caption) : null, h('thead', {}, head), h('tbody', {}, body)));
}

export const bytesCell = (value) => (value === null || value === undefined ? '—' : formatBytes(value));
export const numberCell = (value) => (value === null || value === undefined ? '—' : formatNumber(value));

// A labelled form field; `input` is the control (its id is set from `name`). The hint and the
// error message are tied to the control with aria-describedby.
export function field(name, label, input, hint) {
  const id = `field-${name}`;
  input.id = id;
  input.name = input.name || name;
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  input.setAttribute('aria-describedby', hint ? `${hintId} ${errorId}` : errorId);
  return h('div', { class: 'field', dataset: { field: name } },
    h('label', { for: id }, label), input,
    hint ? h('span', { class: 'hint', id: hintId }, hint) : null,
    h('span', { class: 'hint field-error', id: errorId, role: 'alert' }));
}

// Shows the API's field errors next to their fields; returns the messages of fields the form
// does not have.
export function showFieldErrors(form, fields) {
  for (const element of form.querySelectorAll('[aria-invalid]')) element.removeAttribute('aria-invalid');
  for (const element of form.querySelectorAll('.field-error')) element.textContent = '';
  const others = [];
  for (const { field: name, message } of fields || []) {
    const box = form.querySelector(`[data-field="${CSS.escape(name)}"]`);
    if (!box) {
      others.push(`${name}: ${message}`);
      continue;
    }
    const control = box.querySelector('input, select, textarea');
    if (control) control.setAttribute('aria-invalid', 'true');
    box.querySelector('.field-error').textContent = message;
  }
  return others;
}

// The status line under the top bar (role=status: screen readers announce it).
export function setStatus(message, kind = '') {
  const status = document.getElementById('status');
  status.className = `status ${kind}`;
  status.textContent = message || '';
}

// The message to show for an ApiError (or any error).
export function errorText(error) {
  if (!error) return '';
  if (error.code === 'network') return t('error.network');
  if (error.code === 'forbidden') return t('error.forbidden');
  if (error.code === 'conflict') return `${t('error.conflict')} ${error.message}`;
  if (error.code === 'not_found') return t('error.not_found');
  if (error.status >= 500) return t('error.server');
  return error.message || String(error);
}

export function message(text, kind = '') {
  return h('p', { class: `message ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
}

// Asks for confirmation in a modal dialog (keyboard: Tab between the buttons, Escape cancels).
// Resolves true when confirmed.
export function confirmDialog(title, text, confirmLabel, { danger = true } = {}) {
  return new Promise((resolve) => {
    const cancel = h('button', { type: 'button', class: 'secondary', value: 'cancel' }, t('common.cancel'));
    const confirm = h('button', { type: 'button', class: danger ? 'danger' : null, value: 'confirm' }, confirmLabel);
    const dialog = h('dialog', { 'aria-labelledby': 'confirm-title', 'aria-describedby': 'confirm-text' },
      h('h2', { id: 'confirm-title' }, title), h('p', { id: 'confirm-text' }, text),
      h('div', { class: 'actions' }, cancel, confirm));
    const finish = (answer) => {
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    cancel.addEventListener('click', () => finish(false));
    confirm.addEventListener('click', () => finish(true));
    dialog.addEventListener('cancel', (event) => {
      event.preventDefault();
      finish(false);
    });
    document.body.append(dialog);
    dialog.showModal();
    cancel.focus();
  });
}

// A <progress> with its label and figures ("12 / 40", or as `format` writes them).
export function progressLine(label, done, total, extra, format = formatNumber) {
  const known = Number.isFinite(total) && total > 0;
  const bar = h('progress', known ? { max: String(total), value: String(Math.min(done, total)) } : {});
  bar.setAttribute('aria-label', label);
  return h('div', { class: 'progress-line' },
    h('div', { class: 'label' }, h('span', {}, label),
      h('span', {}, known ? `${format(done)} / ${format(total)}` : format(done || 0), extra || '')),
    bar);
}

// A page whose list an administrator's form changes (holds, agents): `render(reload)` fetches and
// returns the list's content; `form(reload)` builds the form, which calls reload() after a change;
// viewers get `viewerNote` in its place. Returns the view's cleanup (no render after the page
// changed).
export function listPage(main, context, { title, intro, viewerNote, listId, form, render }) {
  document.title = `${title} · mailprune`;
  let alive = true;
  const list = h('div', { id: listId, 'aria-live': 'polite' });
  async function reload() {
    try {
      const content = await render(reload);
      if (alive) clear(list, content);
    } catch (error) {
      if (alive) clear(list, message(errorText(error), 'error'));
    }
  }
  clear(main, h('h1', {}, title), h('p', {}, intro),
    context.isAdmin ? form(reload) : h('p', { class: 'hint' }, viewerNote), list);
  reload();
  return () => {
    alive = false;
  };
}

export function badge(text, kind) {
  return h('span', { class: `badge ${kind || ''}` }, text);
}
