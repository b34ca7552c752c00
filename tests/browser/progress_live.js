// progress_live.js: the live progress page in headless Chromium (run by
// tests/server/progress/progress_live_test.cpp, which starts PostgreSQL and `mailprune serve`).
//
//   node progress_live.js   with PROGRESS_URL=http://127.0.0.1:PORT/progress/<token>
//                           and PROGRESS_FORBIDDEN="text|text|..." (must never appear on the page)
//
// 1. Opens the page in French, waits for the uPlot chart, saves progress-fr.png.
// 2. Prints "READY <freed>" and waits (no reload) for the figures to change: the test changes the
//    campaign in the database as apply does; saves progress-fr-live.png; prints "UPDATED <freed>".
// 3. Opens the English page (?lang=en), checks it, saves progress-en.png.
// On both pages the chart's time axis (drawn on the canvas: its texts are recorded) must show the
// date with the page's language's month names and order ("29 nov." / "Nov 29"), none of the other.
// Exits 0 when every check passed, 1 otherwise (the reason on stderr).
'use strict';
const { launch, screenshotPath } = require('./browser.js');

const url = process.env.PROGRESS_URL;
const forbidden = (process.env.PROGRESS_FORBIDDEN || '').split('|').filter(Boolean);

function check(condition, message) {
  if (!condition) throw new Error(message);
}

async function chartDrawn(page) {
  await page.waitForSelector('main[data-chart="drawn"] #chart canvas', { timeout: 20000 });
  const box = await page.locator('#chart canvas').first().boundingBox();
  check(box && box.width > 200 && box.height > 100, `chart too small: ${JSON.stringify(box)}`);
}

// uPlot draws its axes on the canvas: every text it draws is recorded (before the page's scripts
// run) so the time axis' labels can be read back.
function recordCanvasText() {
  window.__canvasText = [];
  const fillText = CanvasRenderingContext2D.prototype.fillText;
  CanvasRenderingContext2D.prototype.fillText = function (text, ...rest) {
    window.__canvasText.push(String(text));
    return fillText.call(this, text, ...rest);
  };
}

const frenchMonths = ['janv.', 'févr.', 'mars', 'avr.', 'mai', 'juin', 'juil.', 'août', 'sept.', 'oct.', 'nov.', 'déc.'];
const englishMonths = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const anyOf = (names) => names.map((n) => n.replace('.', '\\.')).join('|');
const frenchDate = new RegExp(`(^|\\s)\\d{1,2} (${anyOf(frenchMonths)})(\\s|$)`);  // "29 nov."
const englishDate = new RegExp(`(^|\\s)(${anyOf(englishMonths)}) \\d{1,2}(\\D|$)`);  // "Nov 29"
const englishName = new RegExp(`\\b(${anyOf(englishMonths)})\\b`);
const frenchName = new RegExp(`(^|\\s)(${anyOf(frenchMonths)})(\\s|$)`);

// The time axis speaks the page's language: a label with the day and month in that language's
// order, and no month name of the other language anywhere on the chart.
async function timeAxisIn(page, lang) {
  const drawn = await page.evaluate(() => window.__canvasText.slice());
  const [own, other, otherName] = lang === 'fr' ? [frenchDate, englishName, 'English'] : [englishDate, frenchName, 'French'];
  check(drawn.some((text) => own.test(text)), `no ${lang} date on the time axis: ${JSON.stringify(drawn)}`);
  check(!drawn.some((text) => other.test(text)), `${otherName} month names on the ${lang} chart: ${JSON.stringify(drawn)}`);
  return drawn.filter((text) => own.test(text));
}

async function noPersonalData(page) {
  const text = await page.evaluate(() => document.documentElement.outerHTML);
  for (const secret of forbidden) check(!text.includes(secret), `personal data on the page: ${secret}`);
}

async function main() {
  check(url, 'PROGRESS_URL is not set');
  const browser = await launch();
  try {
    const context = await browser.newContext({ locale: 'fr-FR', viewport: { width: 1100, height: 1300 } });
    await context.addInitScript(recordCanvasText);
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (error) => errors.push(String(error)));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    const response = await page.goto(url, { waitUntil: 'load' });
    check(response.status() === 200, `page status ${response.status()}`);
    check((await page.getAttribute('html', 'lang')) === 'fr', 'French by default');
    await chartDrawn(page);
    const frenchAxis = await timeAxisIn(page, 'fr');
    await page.waitForSelector('#live:not([hidden])', { timeout: 10000 });
    const before = (await page.textContent('[data-k="freed"]')).trim();
    const version = await page.getAttribute('main', 'data-version');
    check((await page.textContent('body')).includes('Classement des équipes'), 'French leaderboard heading');
    await noPersonalData(page);
    // A marker that a reload would lose.
    await page.evaluate(() => { window.__noReload = true; });
    await page.screenshot({ path: screenshotPath('progress-fr'), fullPage: true });
    process.stdout.write(`READY ${before}\n`);

    await page.waitForFunction(
      (old) => document.querySelector('main').getAttribute('data-version') !== old, version, { timeout: 30000 });
    await page.waitForFunction(
      (old) => document.querySelector('[data-k="freed"]').textContent.trim() !== old, before, { timeout: 10000 });
    check(await page.evaluate(() => window.__noReload === true), 'the page reloaded instead of updating');
    const after = (await page.textContent('[data-k="freed"]')).trim();
    const points = await page.evaluate(() => document.querySelectorAll('#chart canvas').length);
    check(points === 1, 'one chart, updated in place');
    await noPersonalData(page);
    await page.screenshot({ path: screenshotPath('progress-fr-live'), fullPage: true });
    process.stdout.write(`UPDATED ${after}\n`);
    check(errors.length === 0, `browser errors: ${errors.join('; ')}`);

    const english = await context.newPage();
    await english.goto(`${url}?lang=en`, { waitUntil: 'load' });
    check((await english.getAttribute('html', 'lang')) === 'en', 'English with ?lang=en');
    check((await english.textContent('body')).includes('Team leaderboard'), 'English leaderboard heading');
    await chartDrawn(english);
    const englishAxis = await timeAxisIn(english, 'en');
    await english.waitForSelector('#live:not([hidden])', { timeout: 10000 });
    const summary = await english.textContent('#summary');
    check(summary.includes('Space freed') && !summary.includes('Espace libéré'),
      `live updates of the English page must stay in English: ${summary.slice(0, 200)}`);
    await noPersonalData(english);
    await english.screenshot({ path: screenshotPath('progress-en'), fullPage: true });
    process.stdout.write(`AXIS ${JSON.stringify({ fr: frenchAxis, en: englishAxis })}\n`);
    process.stdout.write('DONE\n');
  } finally {
    await browser.close();
  }
}

main().then(() => process.exit(0), (error) => {
  process.stderr.write(`progress_live: ${error.stack || error}\n`);
  process.exit(1);
});
