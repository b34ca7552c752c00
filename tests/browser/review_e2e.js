// review_e2e.js: an agent's review page in headless Chromium, driven through its real controls, for
// the end-to-end campaign test (tests/server/campaign/campaign_e2e_test.cpp).
//
//   node review_e2e.js view   URL SCREENSHOT_NAME
//       opens the link (a GET only) and saves a screenshot; prints {"items": [...]}
//   node review_e2e.js decide URL SCREENSHOT_BEFORE SCREENSHOT_AFTER REFUSE_INDEX
//       opens the link, picks "refuse" on item REFUSE_INDEX (0-based, in page order) and "approve"
//       on every other item with a choice, presses the "save my choices" button, waits for the
//       answer page; prints {"items", "refused", "approved", "status", "confirmation", "summary"}.
//
// An item is a <fieldset> holding a pair of radio buttons named p<proposal id>; items are named by
// that field name. Radio buttons are chosen by clicking their label, as a person does. The script
// fails (exit 1, reason on stderr) when the page has no choosable item, when the answer is not a
// 200 page with a confirmation, or when the answer page does not show the choices just made.
// Screenshots go where browser.js says (MAILPRUNE_SCREENSHOT_DIR). Output: one JSON line on stdout.
'use strict';
const { launch, screenshotPath } = require('./browser.js');

function fail(message) {
  throw new Error(message);
}

// The choosable items in page order: [{name, label}] (label: the fieldset's legend).
async function choosableItems(page) {
  return page.$$eval('fieldset', (sets) =>
    sets
      .map((set) => {
        const radio = set.querySelector('input[type="radio"][value="approved"]');
        const legend = set.querySelector('legend');
        return radio ? { name: radio.name, label: legend ? legend.textContent.trim() : '' } : null;
      })
      .filter((item) => item !== null));
}

// The value of the checked radio button of item `name` on the page now (null: none checked).
async function checkedValue(page, name) {
  return page.evaluate((n) => {
    const checked = document.querySelector(`input[type="radio"][name="${n}"]:checked`);
    return checked ? checked.value : null;
  }, name);
}

async function view(page, url, shot) {
  const response = await page.goto(url, { waitUntil: 'load' });
  if (!response || response.status() !== 200) fail(`GET ${url}: status ${response && response.status()}`);
  const items = await choosableItems(page);
  await page.screenshot({ path: screenshotPath(shot), fullPage: true });
  return { status: response.status(), items };
}

async function decide(page, url, shotBefore, shotAfter, refuseIndex) {
  const response = await page.goto(url, { waitUntil: 'load' });
  if (!response || response.status() !== 200) fail(`GET ${url}: status ${response && response.status()}`);
  const items = await choosableItems(page);
  if (items.length < 2) fail(`expected at least two choosable items, the page has ${items.length}`);
  if (!(refuseIndex >= 0 && refuseIndex < items.length)) fail(`no item ${refuseIndex} among ${items.length}`);

  // Click each item's label, as a person would: the one to refuse, the others to approve.
  for (let i = 0; i < items.length; ++i) {
    const value = i === refuseIndex ? 'refused' : 'approved';
    const label = page.locator(`label:has(input[type="radio"][name="${items[i].name}"][value="${value}"])`);
    await label.click();
    if ((await checkedValue(page, items[i].name)) !== value) fail(`clicking ${value} on ${items[i].name} did not check it`);
  }
  await page.screenshot({ path: screenshotPath(shotBefore), fullPage: true });

  // The "save my choices" button of the item-by-item form.
  const save = page.locator('button[type="submit"][name="all"][value="items"]');
  if ((await save.count()) !== 1) fail('no single "save my choices" button');
  const [answer] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST'),
    save.click(),
  ]);
  await page.waitForLoadState('load');
  const confirmation = await page.locator('.notice.done[role="status"]').textContent().catch(() => null);
  const summary = await page.locator('section.summary').textContent().catch(() => null);
  await page.screenshot({ path: screenshotPath(shotAfter), fullPage: true });
  if (answer.status() !== 200) fail(`POST answered ${answer.status()}`);
  if (!confirmation) fail('the answer page shows no confirmation');

  // The answer page shows what the server recorded: every radio button as just chosen.
  for (let i = 0; i < items.length; ++i) {
    const expected = i === refuseIndex ? 'refused' : 'approved';
    const shown = await checkedValue(page, items[i].name);
    if (shown !== expected) fail(`after saving, ${items[i].name} shows ${shown}, not ${expected}`);
  }
  return {
    status: answer.status(),
    items,
    refused: items[refuseIndex].name,
    approved: items.filter((_, i) => i !== refuseIndex).map((item) => item.name),
    confirmation: confirmation.replace(/\s+/g, ' ').trim(),
    summary: summary ? summary.replace(/\s+/g, ' ').trim() : '',
  };
}

async function main() {
  const [mode, url, ...rest] = process.argv.slice(2);
  if (!['view', 'decide'].includes(mode) || !url) {
    fail('usage: review_e2e.js view URL SHOT | decide URL SHOT_BEFORE SHOT_AFTER REFUSE_INDEX');
  }
  const browser = await launch();
  try {
    const context = await browser.newContext({ locale: 'fr-FR', viewport: { width: 900, height: 900 } });
    const page = await context.newPage();
    const result =
      mode === 'view' ? await view(page, url, rest[0] || 'review-view')
                      : await decide(page, url, rest[0] || 'review-before', rest[1] || 'review-after',
                                     Number(rest[2] || '0'));
    result.userAgent = await page.evaluate(() => navigator.userAgent);
    process.stdout.write(JSON.stringify(result) + '\n');
  } finally {
    await browser.close();
  }
}

main().catch((error) => {
  process.stderr.write(`review_e2e.js: ${error.message}\n`);
  process.exit(1);
});
