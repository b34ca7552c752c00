// console_e2e.js: the admin console in headless Chromium against a real `mailprune serve` (its
// JSON API, PostgreSQL, Dovecot), for tests/server/console/console_browser_test.cpp.
//
//   node console_e2e.js campaign BASE_URL SETTINGS_JSON
//   node console_e2e.js failures BASE_URL SETTINGS_JSON
//
// failures: logs in as the admin, opens the failures page of the only launched campaign (whose
// apply failed), reads the count and the list, retries one action (a `retry` job starts), and
// cancels "retry all" in its confirmation dialog. Prints {"total", "rows", "reasons", "retried"}.
//
// campaign:
// SETTINGS_JSON: {"admin": [login, password], "viewer": [login, password], "campaign": name,
// "target": "1MB", "deadline": "2099-12-31", "team": a team to tick, "undoMailbox": a mailbox of that
// team, "approve": a command line that marks the campaign's selected proposals approved, "hold":
// {mailbox, folder, from, to, reason}, "agentsCsv": the text of a CSV of new agents}. The
// script, as people do it with the page's own controls:
//   1. opens /console/ in French: a wrong password shows the error; five more wrong ones for an
//      unknown login end with the throttling message;
//   2. logs in as the admin, creates the campaign, reads the what-if projection, launches it and
//      stays on the campaign page, watching the launch job (crawl, then plan) until it is done and
//      the campaign is "proposing", without reloading the page; makes the campaign's progress page
//      public from its card and opens it in a second tab; the proposals are approved (in real life
//      agents decide on their review pages: here settings.approve, given by the C++ test, sets
//      the decisions in PostgreSQL); applies (confirmed in a dialog) against Dovecot, and the
//      progress tab shows more space freed without being reloaded (screenshots before and after);
//      then undoes one mailbox and the whole campaign, each followed on the page until its job ends;
//   3. opens the reports (largest mailboxes, attachments, duplicates) and the failures page; on the
//      holds page adds settings.hold (refused first without a reason; confirmed in a dialog), sees it
//      listed, removes it (confirmed); on the agents page imports a CSV with a bad line (refused,
//      the line named), then settings.agentsCsv, and reads the report; then logs out;
//   4. logs in as the viewer: the campaign page has no launch button, the list no "new" link; the
//      holds and agents pages list without a form or a button;
//   5. shows the login page in English and the campaign page on a narrow screen.
// A screenshot of each page goes to MAILPRUNE_SCREENSHOT_DIR (browser.js). Any error in the page
// (a script error, a Content-Security-Policy violation) fails the run. Output: one JSON line on
// stdout with what was seen; exit 1 with the reason on stderr on failure.
'use strict';
const { execFileSync } = require('child_process');
const { launch, screenshotPath } = require('./browser.js');

const [mode, baseUrl, settingsText] = process.argv.slice(2);
if (!['campaign', 'failures'].includes(mode) || !baseUrl || !settingsText) {
  console.error('usage: node console_e2e.js campaign|failures BASE_URL SETTINGS_JSON');
  process.exit(2);
}
const settings = JSON.parse(settingsText);
const consoleUrl = `${baseUrl}/console/`;
const pageErrors = [];
// Answers of 400 and more that a step expects ("409 POST /api/v1/campaigns"), consumed when seen.
const expectedFailures = [];
const shots = [];

function fail(message) {
  throw new Error(message);
}

async function shot(page, name) {
  await page.screenshot({ path: screenshotPath(name), fullPage: true });
  shots.push(name);
}

// A page that records its errors: uncaught exceptions and console errors (CSP violations are
// reported there).
async function openPage(browser, options) {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  watchPage(page);
  return { context, page };
}

function watchPage(page) {
  page.on('pageerror', (error) => pageErrors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') {
      const text = message.text();
      // Failed loads are judged by URL below.
      if (text.startsWith('Failed to load resource')) return;
      pageErrors.push(`console: ${text}`);
    }
  });
  // Every answer under 400, except the session's: "who am I" before login is a 401, and refused
  // logins are 401 and 429.
  page.on('response', (response) => {
    if (response.status() >= 400 && !response.url().endsWith('/api/v1/session')) {
      const what = `${response.status()} ${response.request().method()} ${new URL(response.url()).pathname}`;
      const at = expectedFailures.indexOf(what);
      if (at >= 0) expectedFailures.splice(at, 1);
      else pageErrors.push(what);
    }
  });
}

async function login(page, user, password) {
  await page.getByLabel(/^(Identifiant|Login)$/).fill(user);
  await page.getByLabel(/^(Mot de passe|Password)$/).fill(password);
  await page.getByRole('button', { name: /^(Se connecter|Sign in)$/ }).click();
}

async function feedbackText(page) {
  const box = page.locator('#login-feedback .message');
  await box.waitFor({ state: 'visible', timeout: 15000 });
  return (await box.textContent()).trim();
}

async function tableRows(page, scope) {
  await page.locator(`${scope} table tbody tr`).first().waitFor({ timeout: 15000 });
  return page.locator(`${scope} table tbody tr`).count();
}

// The holds page as an administrator: the form refuses a hold without a reason by itself; a hold
// is added (confirmed in a dialog), listed, then removed (confirmed too). settings.hold: {mailbox,
// folder, from, to, reason}.
async function holdsAsAdmin(page, result) {
  await page.getByRole('link', { name: 'Conservation', exact: true }).click();
  await page.getByRole('heading', { name: 'Conservation légale' }).waitFor();
  const count = page.locator('#holds-count');
  await count.waitFor({ timeout: 15000 });
  result.holdsBefore = (await count.textContent()).trim();
  const rowsBefore = await page.locator('#holds-result table tbody tr').count();
  await page.getByRole('button', { name: 'Ajouter la conservation' }).click();
  result.holdReasonMissing = (await page.locator('[data-field="reason"] .field-error').textContent()).trim();
  const hold = settings.hold;
  await page.getByLabel('Boîte aux lettres', { exact: true }).fill(hold.mailbox);
  await page.getByLabel('Dossier', { exact: true }).fill(hold.folder);
  await page.getByLabel('Du', { exact: true }).fill(hold.from);
  await page.getByLabel('Au', { exact: true }).fill(hold.to);
  await page.getByLabel('Motif', { exact: true }).fill(hold.reason);
  await shot(page, 'console-hold-new');
  await page.getByRole('button', { name: 'Ajouter la conservation' }).click();
  let dialog = page.getByRole('dialog');
  await dialog.waitFor();
  result.holdAddConfirm = (await dialog.locator('p').textContent()).trim();
  await dialog.getByRole('button', { name: 'Ajouter la conservation' }).click();
  await dialog.waitFor({ state: 'detached' });
  await page.locator('#status.ok').waitFor({ timeout: 15000 });
  result.holdAdded = (await page.locator('#status').textContent()).trim();
  const added = page.locator('#holds-result tbody tr', { hasText: hold.reason });
  await added.waitFor({ timeout: 15000 });
  result.holdRow = (await added.textContent()).trim();
  result.holdRowsAfterAdd = (await page.locator('#holds-result table tbody tr').count()) - rowsBefore;
  await shot(page, 'console-holds');

  await added.getByRole('button', { name: /^Retirer la conservation \d+$/ }).click();
  dialog = page.getByRole('dialog');
  await dialog.waitFor();
  result.holdRemoveConfirm = (await dialog.locator('p').textContent()).trim();
  await dialog.getByRole('button', { name: 'Retirer' }).click();
  await dialog.waitFor({ state: 'detached' });
  await page.waitForFunction((reason) => ![...document.querySelectorAll('#holds-result tbody tr')]
    .some((row) => row.textContent.includes(reason)), hold.reason, { timeout: 15000 });
  result.holdRemoved = (await page.locator('#status').textContent()).trim();
  result.holdsAfter = (await count.textContent()).trim();
  result.holdRemoveButtons = await page.locator('#holds-result tbody button').count();
  await shot(page, 'console-holds-removed');
}

// The agents page as an administrator: a CSV with a bad line is refused whole, with the line
// named; settings.agentsCsv is then imported and its report read.
async function agentsImport(page, result) {
  await page.getByRole('link', { name: 'Agents', exact: true }).click();
  await page.getByRole('heading', { name: 'Importer les agents' }).waitFor();
  await page.locator('#agents-result table').waitFor({ timeout: 15000 });
  result.agentRowsBefore = await page.locator('#agents-result table tbody tr').count();
  const file = page.getByLabel('Fichier CSV');
  const bad = 'address,display_name,team,language\nzoe@example.org,Zoé,Archives,fr\nyann@example.org,Yann,Archives,de\n';
  await file.setInputFiles({ name: 'agents-bad.csv', mimeType: 'text/csv', buffer: Buffer.from(bad) });
  expectedFailures.push('400 POST /api/v1/agents');
  await page.getByRole('button', { name: 'Importer', exact: true }).click();
  await page.locator('#import-errors').waitFor({ timeout: 15000 });
  result.importErrors = (await page.locator('#import-errors').textContent()).trim();
  await shot(page, 'console-agents-import-error');

  await file.setInputFiles({ name: 'agents.csv', mimeType: 'text/csv', buffer: Buffer.from(settings.agentsCsv) });
  await page.getByRole('button', { name: 'Importer', exact: true }).click();
  await page.locator('#import-report').waitFor({ timeout: 15000 });
  result.importReport = (await page.locator('#import-report .message').textContent()).trim();
  result.importNewTeams = await page.locator('#import-report details', { hasText: 'Nouvelles équipes' }).locator('li').allTextContents();
  await page.waitForFunction((n) => document.querySelectorAll('#agents-result table tbody tr').length > n,
    result.agentRowsBefore, { timeout: 15000 });
  result.agentRowsAfter = await page.locator('#agents-result table tbody tr').count();
  await shot(page, 'console-agents-import');
}

// A list page opened from the menu by a viewer: [rows of its table, forms, buttons on the page].
async function viewerListPage(page, link, list, forms) {
  await page.getByRole('link', { name: link, exact: true }).click();
  await page.locator(`${list} table`).waitFor({ timeout: 15000 });
  return [await page.locator(`${list} table tbody tr`).count(), await page.locator(forms).count(),
    await page.locator('#main button').count()];
}

async function run() {
  const result = { screenshots: shots };
  const browser = await launch();
  try {
    // 1. Login page, wrong password, throttling.
    const { context, page } = await openPage(browser, { locale: 'fr-FR', viewport: { width: 1280, height: 900 } });
    const loaded = await page.goto(consoleUrl, { waitUntil: 'load' });
    if (!loaded || loaded.status() !== 200) fail(`GET ${consoleUrl}: ${loaded && loaded.status()}`);
    result.csp = loaded.headers()['content-security-policy'] || '';
    await page.getByRole('heading', { name: 'Connexion à la console' }).waitFor();
    result.lang = await page.evaluate(() => document.documentElement.lang);
    result.loginPageShows = {
      logout: await page.locator('#logout').isVisible(),
      nav: await page.locator('#nav').isVisible(),
    };
    await shot(page, 'console-login');

    await login(page, settings.admin[0], 'not the password at all');
    result.wrongPassword = await feedbackText(page);
    if (!result.wrongPassword.includes('incorrect')) fail(`wrong password said: ${result.wrongPassword}`);
    await shot(page, 'console-login-error');

    let throttled = '';
    for (let attempt = 0; attempt < 6 && !throttled; ++attempt) {
      await page.locator('#login-feedback').evaluate((box) => box.replaceChildren());
      await login(page, 'nobody-here', 'wrong password number ' + attempt);
      const said = await feedbackText(page);
      if (said.includes('Trop de tentatives')) throttled = said;
    }
    if (!throttled) fail('six wrong logins in a row were never throttled');
    result.throttled = throttled;
    await shot(page, 'console-login-throttled');
    // The countdown keeps the button disabled; a fresh page starts clean.
    await page.reload({ waitUntil: 'load' });

    // 2. Admin: create, what-if, launch, watch.
    await login(page, settings.admin[0], settings.admin[1]);
    await page.getByRole('heading', { name: 'Campagnes' }).waitFor();
    result.whoami = (await page.locator('#whoami').textContent()).trim();
    await shot(page, 'console-campaigns-empty');

    await page.getByRole('link', { name: 'Nouvelle campagne' }).click();
    await page.getByRole('heading', { name: 'Nouvelle campagne' }).waitFor();
    await page.getByLabel('Nom', { exact: true }).fill(settings.campaign);
    if (settings.team) await page.getByRole('checkbox', { name: settings.team, exact: true }).check();
    await page.getByLabel('Objectif', { exact: true }).fill(settings.target);
    await page.getByLabel('Date limite').fill(settings.deadline);
    await shot(page, 'console-campaign-new');
    await page.getByRole('button', { name: 'Créer et simuler' }).click();
    const headline = page.locator('#projection-headline');
    await headline.waitFor({ timeout: 30000 });
    result.whatIf = (await headline.textContent()).trim();
    result.whatIfTeams = await page.locator('.projection table').first().locator('tbody tr').count();
    await shot(page, 'console-what-if');

    await page.getByRole('button', { name: 'Lancer' }).click();
    await page.waitForURL(/#\/campaigns\/\d+$/, { timeout: 15000 });
    result.campaignUrl = page.url();
    await page.evaluate(() => {
      window.consoleTestMarker = 'same page';
    });
    // Watch the page update itself: the job card and the campaign's state badge.
    const seen = [];
    const deadline = Date.now() + 120000;
    let tookRunningShot = false;
    for (;;) {
      const now = await page.evaluate(() => {
        const job = document.querySelector('#live-job .job');
        const badge = document.querySelector('#campaign-title .badge');
        const bar = document.querySelector('#live-job progress');
        return {
          job: job ? `${job.dataset.kind}:${job.dataset.state}` : '',
          state: badge ? badge.textContent.trim() : '',
          progress: bar && bar.hasAttribute('max') ? `${bar.value}/${bar.max}` : '',
        };
      });
      const key = `${now.job} ${now.state} ${now.progress}`;
      if (seen[seen.length - 1] !== key) seen.push(key);
      if (!tookRunningShot && /launch:(queued|running)/.test(now.job)) {
        await shot(page, 'console-campaign-launching');
        tookRunningShot = true;
      }
      if (now.job === 'launch:done' && now.state === 'Propositions') break;
      if (/launch:(failed|interrupted)/.test(now.job)) fail(`the launch job ended ${now.job}: ${seen.join(' | ')}`);
      if (Date.now() > deadline) fail(`the campaign page never showed the launch done: ${seen.join(' | ')}`);
      await page.waitForTimeout(150);
    }
    result.progressSeen = seen;
    result.samePage = await page.evaluate(() => window.consoleTestMarker === 'same page');
    if (!result.samePage) fail('the page was reloaded while watching');
    await page.locator('#campaign-progress .card').first().waitFor();
    result.proposedFigure = (await page.locator('#campaign-progress .card .figure').first().textContent()).trim();
    result.teamRows = await page.locator('#campaign-progress table tbody tr').count();
    result.adminButtons = await page.locator('#campaign-actions button').evaluateAll((buttons) =>
      buttons.map((b) => `${b.id}${b.disabled ? ':disabled' : ''}`));
    await shot(page, 'console-campaign');

    // The what-if again from the campaign page, then the notify step asks for confirmation and
    // is cancelled (nothing is sent).
    await page.getByRole('button', { name: 'Simuler (what-if)' }).click();
    await page.locator('#what-if-result #projection-headline').waitFor({ timeout: 30000 });
    await page.getByRole('button', { name: 'Envoyer les e-mails' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    result.notifyConfirm = (await dialog.locator('p').textContent()).trim();
    await shot(page, 'console-confirm-notify');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });

    // The progress page's card: off at first; made public here, then opened in a second tab (the
    // card's link opens a new one).
    const progressStarted = Date.now();
    await page.locator('#progress-page-mode').waitFor({ timeout: 15000 });
    result.pageModeBefore = (await page.locator('#progress-page-mode').textContent()).trim();
    await page.locator('#page-public').click();
    await page.waitForFunction(() => document.querySelector('#progress-page .card').dataset.mode === 'public',
      null, { timeout: 15000 });
    result.pageMode = (await page.locator('#progress-page-mode').textContent()).trim();
    result.pageUrl = (await page.locator('#progress-page-url').textContent()).trim();
    result.pageStatus = (await page.locator('#status').textContent()).trim();
    await page.locator('#progress-page').scrollIntoViewIfNeeded();
    await shot(page, 'console-progress-page');
    const [progressTab] = await Promise.all([context.waitForEvent('page'), page.locator('#progress-page-open').click()]);
    watchPage(progressTab);
    await progressTab.waitForLoadState('load');
    result.progressTabPath = new URL(progressTab.url()).pathname;
    await progressTab.waitForSelector('#live:not([hidden])', { timeout: 15000 });  // its event stream is open
    const freedBefore = (await progressTab.textContent('[data-k="freed"]')).trim();
    // A marker that a reload of the tab would lose.
    await progressTab.evaluate(() => { window.progressTestMarker = 'same page'; });
    await shot(progressTab, 'progress-page-before-apply');

    // The agents' decisions (see the header): every selected proposal approved.
    result.approveOutput = execFileSync(settings.approve[0], settings.approve.slice(1), { encoding: 'utf8' }).trim();

    // Apply, then undo one mailbox and the whole campaign, each confirmed in its dialog and
    // followed on the same page.
    result.jobsSeen = [];
    const confirmAndWait = async (button, kind, fill) => {
      const before = await page.locator('#live-job .job').getAttribute('id');
      if (fill) await fill();
      await page.locator(button).click();
      const asked = page.getByRole('dialog');
      await asked.waitFor();
      const text = (await asked.locator('p').textContent()).trim();
      await asked.getByRole('button').last().click();
      // A new job card, of this kind, finished; and the buttons usable again.
      await page.waitForFunction(([k, previous]) => {
        const job = document.querySelector('#live-job .job');
        const usable = document.querySelector('#campaign-actions button:not(:disabled)');
        return job && job.id !== previous && job.dataset.kind === k && /done|failed|interrupted/.test(job.dataset.state) &&
          usable !== null;
      }, [kind, before], { timeout: 60000 });
      const state = await page.locator('#live-job .job').getAttribute('data-state');
      result.jobsSeen.push(`${kind}:${state}`);
      return text;
    };
    result.applyConfirm = await confirmAndWait('#action-apply', 'apply');
    await shot(page, 'console-campaign-applied');
    // The progress tab moved by itself (Server-Sent Events), without a reload.
    await progressTab.waitForFunction(
      (old) => document.querySelector('[data-k="freed"]').textContent.trim() !== old, freedBefore, { timeout: 15000 });
    result.progressFreed = [freedBefore, (await progressTab.textContent('[data-k="freed"]')).trim()];
    result.progressNoReload = await progressTab.evaluate(() => window.progressTestMarker === 'same page');
    if (!result.progressNoReload) fail('the progress page was reloaded instead of updating');
    await shot(progressTab, 'progress-page-after-apply');
    await progressTab.close();
    result.progressPageMs = Date.now() - progressStarted;  // this part's cost (it includes the apply)
    result.undoMailboxConfirm = await confirmAndWait('#action-undo-mailbox', 'undo', async () => {
      await page.getByText('Annuler pour une seule boîte').click();
      await page.getByLabel('Adresse de la boîte').fill(settings.undoMailbox);
    });
    result.undoConfirm = await confirmAndWait('#action-undo', 'undo');
    await shot(page, 'console-campaign-undone');

    // The same name again: the form says the name is taken, next to the field.
    await page.getByRole('link', { name: 'Campagnes' }).first().click();
    await page.getByRole('link', { name: 'Nouvelle campagne' }).click();
    await page.getByLabel('Nom', { exact: true }).fill(settings.campaign);
    expectedFailures.push('409 POST /api/v1/campaigns');
    await page.getByRole('button', { name: 'Créer et simuler' }).click();
    const nameError = page.locator('[data-field="name"] .field-error');
    await page.waitForFunction(() => document.querySelector('[data-field="name"] .field-error').textContent !== '');
    result.nameTaken = (await nameError.textContent()).trim();
    result.nameInvalid = await page.getByLabel('Nom', { exact: true }).getAttribute('aria-invalid');
    await shot(page, 'console-campaign-new-error');

    // 3. Reports and failures.
    await page.getByRole('link', { name: 'Plus grosses boîtes' }).click();
    result.mailboxRows = await tableRows(page, '#report-result');
    await shot(page, 'console-largest-mailboxes');
    await page.getByRole('link', { name: 'Plus grosses pièces jointes' }).click();
    await page.getByRole('heading', { name: 'Plus grosses pièces jointes' }).waitFor();
    result.attachmentRows = await tableRows(page, '#report-result');
    await shot(page, 'console-largest-attachments');
    await page.getByRole('link', { name: 'Doublons' }).click();
    await page.getByRole('heading', { name: 'Doublons' }).waitFor();
    const group = page.locator('#report-result .duplicate-headline').first();
    await group.waitFor({ timeout: 15000 });
    result.duplicate = (await group.textContent()).trim();
    await shot(page, 'console-duplicates');
    await page.getByRole('link', { name: 'Échecs' }).click();
    await page.getByRole('heading', { name: 'Actions en échec' }).waitFor();
    await page.locator('#failures-result p').first().waitFor({ timeout: 15000 });
    result.failures = (await page.locator('#failures-result p').first().textContent()).trim();
    await shot(page, 'console-failures');

    // Holds and agents: add a hold, see it, remove it; a bad CSV then a good one.
    const directoryStarted = Date.now();
    await holdsAsAdmin(page, result);
    await agentsImport(page, result);
    result.holdsAgentsMs = Date.now() - directoryStarted;

    await page.getByRole('button', { name: 'Se déconnecter' }).click();
    await page.getByRole('heading', { name: 'Connexion à la console' }).waitFor();
    result.afterLogout = (await page.locator('#status').textContent()).trim();
    await context.close();

    // 4. The viewer: read only.
    const viewer = await openPage(browser, { locale: 'fr-FR', viewport: { width: 1280, height: 900 } });
    await viewer.page.goto(consoleUrl, { waitUntil: 'load' });
    await login(viewer.page, settings.viewer[0], settings.viewer[1]);
    await viewer.page.getByRole('heading', { name: 'Campagnes' }).waitFor();
    result.viewerNewLink = await viewer.page.locator('#new-campaign').count();
    await viewer.page.getByRole('link', { name: settings.campaign }).click();
    await viewer.page.locator('#live-job .job').waitFor({ timeout: 15000 });
    result.viewerLaunchButtons = await viewer.page.locator('#action-launch').count();
    result.viewerActionButtons = await viewer.page.locator('#campaign-actions button').count();
    result.viewerNote = (await viewer.page.locator('#campaign-actions').textContent()).trim();
    await viewer.page.locator('#progress-page-mode').waitFor({ timeout: 15000 });
    result.viewerPageMode = (await viewer.page.locator('#progress-page-mode').textContent()).trim();
    result.viewerPageButtons = await viewer.page.locator('#progress-page button').count();
    await shot(viewer.page, 'console-viewer-campaign');
    // Holds and agents: the lists, without the forms or the buttons that change anything.
    const holds = await viewerListPage(viewer.page, 'Conservation', '#holds-result', '#hold-form');
    [result.viewerHoldRows, result.viewerHoldForms, result.viewerHoldButtons] = holds;
    await shot(viewer.page, 'console-viewer-holds');
    const agents = await viewerListPage(viewer.page, 'Agents', '#agents-result', '#agents-form, input[type="file"]');
    [result.viewerAgentRows, result.viewerImportForms, result.viewerAgentButtons] = agents;
    await viewer.page.goBack();  // agents -> holds -> the campaign page
    await viewer.page.goBack();
    await viewer.page.locator('#live-job .job').waitFor({ timeout: 15000 });
    // A narrow screen: the same page must still fit (no horizontal scrolling of the page itself).
    await viewer.page.setViewportSize({ width: 375, height: 800 });
    await viewer.page.waitForTimeout(200);
    result.narrowOverflow = await viewer.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    await shot(viewer.page, 'console-campaign-narrow');
    await viewer.context.close();

    // 5. English, from the browser's language.
    const english = await openPage(browser, { locale: 'en-US', viewport: { width: 1280, height: 900 } });
    await english.page.goto(consoleUrl, { waitUntil: 'load' });
    await english.page.getByRole('heading', { name: 'Sign in to the console' }).waitFor();
    result.englishLang = await english.page.evaluate(() => document.documentElement.lang);
    await shot(english.page, 'console-login-en');
    await english.context.close();
  } finally {
    await browser.close();
  }
  result.pageErrors = pageErrors;
  if (pageErrors.length) fail(`errors in the page: ${pageErrors.join(' | ')}`);
  return result;
}

async function runFailures() {
  const result = { screenshots: shots };
  const browser = await launch();
  try {
    const { page } = await openPage(browser, { locale: 'fr-FR', viewport: { width: 1280, height: 900 } });
    await page.goto(consoleUrl, { waitUntil: 'load' });
    await login(page, settings.admin[0], settings.admin[1]);
    await page.getByRole('heading', { name: 'Campagnes' }).waitFor();
    await page.getByRole('link', { name: 'Échecs' }).click();
    await page.getByRole('heading', { name: 'Actions en échec' }).waitFor();
    await page.locator('#failures-result table').first().waitFor({ timeout: 15000 });
    result.total = (await page.locator('#failures-result p').first().textContent()).trim();
    result.reasons = await page.locator('#failures-result table').first().locator('tbody tr').count();
    result.rows = await page.locator('#failures-result table').nth(1).locator('tbody tr').count();
    await shot(page, 'console-failures-list');
    await page.getByRole('button', { name: /^Réessayer l’action \d+$/ }).first().click();
    await page.locator('#status.ok').waitFor({ timeout: 15000 });
    result.retried = (await page.locator('#status').textContent()).trim();
    await page.getByRole('button', { name: 'Réessayer toutes les actions en échec' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    result.retryAllConfirm = (await dialog.locator('p').textContent()).trim();
    await dialog.getByRole('button', { name: 'Annuler' }).click();
    await dialog.waitFor({ state: 'detached' });
    await shot(page, 'console-failures-retried');
  } finally {
    await browser.close();
  }
  result.pageErrors = pageErrors;
  if (pageErrors.length) fail(`errors in the page: ${pageErrors.join(' | ')}`);
  return result;
}

(mode === 'campaign' ? run() : runFailures()).then(
  (result) => {
    process.stdout.write(`${JSON.stringify(result)}\n`);
  },
  (error) => {
    console.error(`console_e2e: ${error.stack || error}`);
    if (pageErrors.length) console.error(`page errors: ${pageErrors.join(' | ')}`);
    process.exit(1);
  });
