// app.js: the console's entry point: the language, the session, the top bar, and a hash router
// (#/campaigns, #/campaigns/3, ...) so every page has its own address and the server only
// serves static files. Each view is a function (main, context) that renders into <main> and may
// return a cleanup function (stopping its polling) called when the page changes.
import { api, setCsrfToken, whenUnauthenticated } from './api.js';
import { t, language, setLanguage, chooseLanguage, translateStatic } from './i18n.js';
import { h, clear, field, setStatus, errorText, message } from './ui.js';
import { campaignsView, createCampaignView } from './views_campaigns.js';
import { campaignView } from './views_campaign.js';
import { mailboxesView, attachmentsView, duplicatesView, failuresView } from './views_reports.js';
import { holdsView } from './views_holds.js';
import { agentsView } from './views_agents.js';

const state = { session: null, cleanup: null };

const routes = [
  { pattern: /^#\/campaigns$/, view: campaignsView, nav: '#/campaigns' },
  { pattern: /^#\/campaigns\/new$/, view: createCampaignView, nav: '#/campaigns', admin: true },
  { pattern: /^#\/campaigns\/(\d+)$/, view: campaignView, nav: '#/campaigns' },
  { pattern: /^#\/reports\/mailboxes$/, view: mailboxesView, nav: '#/reports/mailboxes' },
  { pattern: /^#\/reports\/attachments$/, view: attachmentsView, nav: '#/reports/attachments' },
  { pattern: /^#\/reports\/duplicates$/, view: duplicatesView, nav: '#/reports/duplicates' },
  { pattern: /^#\/failures(?:\?.*)?$/, view: failuresView, nav: '#/failures' },
  { pattern: /^#\/holds$/, view: holdsView, nav: '#/holds' },
  { pattern: /^#\/agents$/, view: agentsView, nav: '#/agents' },
];

function isAdmin() {
  return state.session && state.session.role === 'admin';
}

function showShell(signedIn) {
  document.getElementById('nav').hidden = !signedIn;
  document.getElementById('logout').hidden = !signedIn;
  const who = document.getElementById('whoami');
  who.hidden = !signedIn;
  if (signedIn) who.textContent = t('nav.whoami', { login: state.session.login, role: t(`role.${state.session.role}`) });
  document.body.dataset.role = signedIn ? state.session.role : '';
}

function stopView() {
  if (state.cleanup) {
    try {
      state.cleanup();
    } catch (error) {
      console.error(error);
    }
  }
  state.cleanup = null;
}

function render() {
  stopView();
  setStatus('');
  const main = document.getElementById('main');
  if (!state.session) {
    showShell(false);
    loginView(main);
    return;
  }
  showShell(true);
  const hash = window.location.hash || '#/campaigns';
  const route = routes.find((r) => r.pattern.test(hash));
  for (const link of document.querySelectorAll('#nav a')) {
    if (route && link.getAttribute('href') === route.nav) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  if (!route) {
    clear(main, h('h1', {}, t('error.not_found')), h('p', {}, h('a', { href: '#/campaigns' }, t('nav.campaigns'))));
    return;
  }
  if (route.admin && !isAdmin()) {
    clear(main, h('h1', {}, t('error.forbidden_title')), message(t('error.forbidden'), 'error'));
    return;
  }
  const match = hash.match(route.pattern);
  const context = { session: state.session, isAdmin: isAdmin(), params: match.slice(1) };
  clear(main, h('p', { class: 'loading' }, t('common.loading')));
  const cleanup = route.view(main, context);
  if (typeof cleanup === 'function') state.cleanup = cleanup;
  main.focus({ preventScroll: true });
}

function loginView(main) {
  document.title = `${t('login.title')} · mailprune`;
  const login = h('input', { type: 'text', autocomplete: 'username', required: true, autocapitalize: 'none', spellcheck: 'false' });
  const password = h('input', { type: 'password', autocomplete: 'current-password', required: true });
  const submit = h('button', { type: 'submit' }, t('login.submit'));
  const feedback = h('div', { id: 'login-feedback', 'aria-live': 'assertive' });
  const form = h('form', { class: 'stack', novalidate: true },
    field('login', t('login.login'), login), field('password', t('login.password'), password), submit, feedback);
  let countdown = null;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!login.value.trim() || !password.value) {
      clear(feedback, message(t('login.missing'), 'error'));
      return;
    }
    submit.disabled = true;
    clear(feedback);
    try {
      const session = await api.login(login.value.trim(), password.value);
      password.value = '';
      signedIn(session);
    } catch (error) {
      password.value = '';
      submit.disabled = false;
      if (error.code === 'throttled') {
        // The API refuses without checking the password until Retry-After has passed.
        let seconds = error.retryAfter || 30;
        const text = message(t('login.throttled', { seconds }), 'error');
        clear(feedback, text);
        submit.disabled = true;
        countdown = window.setInterval(() => {
          seconds -= 1;
          if (seconds <= 0 || !text.isConnected) {
            window.clearInterval(countdown);
            submit.disabled = false;
            if (text.isConnected) text.textContent = t('login.retry_now');
            return;
          }
          text.textContent = t('login.throttled', { seconds });
        }, 1000);
      } else if (error.code === 'bad_credentials') {
        clear(feedback, message(t('login.bad_credentials'), 'error'));
      } else if (error.code === 'disabled') {
        clear(feedback, message(t('login.disabled'), 'error'));
      } else {
        clear(feedback, message(errorText(error), 'error'));
      }
      password.focus();
    }
  });
  clear(main, h('section', { class: 'login', 'aria-labelledby': 'login-title' },
    h('h1', { id: 'login-title' }, t('login.title')), form));
  login.focus();
}

function signedIn(session) {
  state.session = session;
  setCsrfToken(session.csrf_token);
  if (!window.location.hash || window.location.hash === '#/login') window.location.hash = '#/campaigns';
  else render();
}

async function logout() {
  try {
    await api.logout();
  } catch (error) {
    // The session may already be gone; the console forgets it either way.
  }
  state.session = null;
  setCsrfToken(null);
  render();
  setStatus(t('login.logged_out'), 'ok');
}

async function start() {
  const select = document.getElementById('language');
  setLanguage(chooseLanguage());
  select.value = language();
  translateStatic(document);
  select.addEventListener('change', () => {
    setLanguage(select.value, true);
    translateStatic(document);
    render();
  });
  document.getElementById('logout').addEventListener('click', logout);
  whenUnauthenticated(() => {
    if (!state.session) return;
    state.session = null;
    setCsrfToken(null);
    render();
    setStatus(t('login.expired'), 'error');
  });
  window.addEventListener('hashchange', render);
  try {
    const session = await api.session();
    state.session = session;
    setCsrfToken(session.csrf_token);
  } catch (error) {
    state.session = null;
  }
  render();
}

start();
