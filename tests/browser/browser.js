// browser.js: what every browser test shares: start the Debian Chromium through npm's
// playwright-core (installed by scripts/setup; no browser download), and where screenshots go.
//
//   const { launch, screenshotPath } = require('./browser.js');
//   const browser = await launch();            // headless, flags CI needs
//   const page = await browser.newPage({ locale: 'fr-FR' });
//   await page.screenshot({ path: screenshotPath('console-login') });
//   await browser.close();                     // always, in a finally block
//
// Environment: MAILPRUNE_PLAYWRIGHT (the playwright-core folder), MAILPRUNE_CHROMIUM (the browser),
// MAILPRUNE_SCREENSHOT_DIR (where screenshots are saved; created on demand).
'use strict';
const fs = require('fs');
const path = require('path');

const playwrightDir =
  process.env.MAILPRUNE_PLAYWRIGHT || '/usr/local/lib/mailprune-test/browser/node_modules/playwright-core';
const chromiumPath = process.env.MAILPRUNE_CHROMIUM || '/usr/bin/chromium';

// Flags for a headless run as root on a machine without a display or network.
const chromiumFlags = [
  '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
];

function loadPlaywright() {
  if (!fs.existsSync(path.join(playwrightDir, 'package.json'))) {
    throw new Error(`playwright-core not found in ${playwrightDir}: run scripts/setup`);
  }
  return require(playwrightDir);
}

async function launch() {
  if (!fs.existsSync(chromiumPath)) throw new Error(`${chromiumPath} not found: run scripts/setup`);
  const { chromium } = loadPlaywright();
  return chromium.launch({ executablePath: chromiumPath, args: chromiumFlags, headless: true });
}

// The file for screenshot `name` (PNG) in the run's screenshot folder.
function screenshotPath(name) {
  const dir = process.env.MAILPRUNE_SCREENSHOT_DIR || path.join(process.cwd(), 'screenshots');
  fs.mkdirSync(dir, { recursive: true });
  return path.join(dir, `${name}.png`);
}

module.exports = { launch, screenshotPath, chromiumFlags };
