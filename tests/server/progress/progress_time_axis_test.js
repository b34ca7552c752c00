// The progress chart's time axis in French and English at every zoom of uPlot's axis (year,
// month, day, hour, minute, second): server/progress/assets/progress.js' progressTimeFormats()
// run under Node with the uPlot build compiled into the binary, its templates formatted by
// uPlot's own fmtDate. tests/browser/progress_live.js checks the same on the real page (the labels
// drawn at the minute zoom); this covers the other rows.
//
//   node progress_time_axis_test.js PROGRESS_JS UPLOT_CJS
//
// Exits 0 when every check passed, 1 with the failures on stderr.
'use strict';
const fs = require('fs');
const vm = require('vm');

const [progressJs, uplotCjs] = process.argv.slice(2);
const uPlot = require(uplotCjs);
// The page's script without a page: its IIFE finds no #progress and returns; the function stays.
const sandbox = { document: { getElementById: () => null }, window: {} };
vm.runInNewContext(fs.readFileSync(progressJs, 'utf8'), sandbox);

const failures = [];
function expect(what, got, want) {
  if (got !== want) failures.push(`${what}: ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
}

// uPlot's stamp for a tick: the row's label, plus the rollover it appends (2: year, 4: day).
function stamp(formats, step, rollover, date) {
  const row = formats.axis.find((r) => r[0] === step);
  if (!row) throw new Error(`no axis row for a step of ${step} s`);
  return uPlot.fmtDate(row[1] + (rollover ? row[rollover] : ''), formats.names)(date);
}

const minute = 60;
const hour = 3600;
const day = 86400;
// Local time, as uPlot formats it: the same wall-clock time in any time zone.
const date = new Date(2026, 1, 3, 14, 5, 9);  // Tuesday 3 February 2026, 14:05:09
const cases = {
  fr: [
    [365 * day, 0, '2026'],
    [28 * day, 2, 'févr.\n2026'],
    [day, 0, '3 févr.'],
    [day, 2, '3 févr.\n2026'],
    [hour, 4, '14 h\n3 févr.'],
    [minute, 0, '14:05'],
    [minute, 2, '14:05\n3 févr. 2026'],
    [minute, 4, '14:05\n3 févr.'],
    [1, 4, ':09\n3 févr. 14:05'],
  ],
  en: [
    [365 * day, 0, '2026'],
    [28 * day, 2, 'Feb\n2026'],
    [day, 0, 'Feb 3'],
    [day, 2, 'Feb 3\n2026'],
    [hour, 4, '2pm\nFeb 3'],
    [minute, 0, '2:05pm'],
    [minute, 2, '2:05pm\nFeb 3, 2026'],
    [minute, 4, '2:05pm\nFeb 3'],
    [1, 4, ':09\nFeb 3 2:05pm'],
  ],
};
for (const lang of ['fr', 'en']) {
  const formats = sandbox.progressTimeFormats(lang);
  for (const [step, rollover, want] of cases[lang]) {
    expect(`${lang} step ${step} rollover ${rollover}`, stamp(formats, step, rollover, date), want);
  }
  // uPlot falls back to its last row for steps under a second: it must still be this language's.
  expect(`${lang} last row`, formats.axis[formats.axis.length - 1][0], 1);
  expect(`${lang} legend`, uPlot.fmtDate(formats.legend, formats.names)(date),
    lang === 'fr' ? 'mar. 3 févr. 2026, 14:05' : 'Tue, Feb 3, 2026, 2:05pm');
  // Every month and weekday has a name in this language (uPlot shows "undefined" otherwise).
  for (let month = 0; month < 12; ++month) {
    const text = uPlot.fmtDate('{MMM} {MMMM}', formats.names)(new Date(2026, month, 1));
    if (/undefined/.test(text)) failures.push(`${lang} month ${month}: ${text}`);
  }
  expect(`${lang} weekdays`, formats.names.WWW.length + formats.names.WWWW.length, 14);
}
const french = sandbox.progressTimeFormats('fr').names;
expect('French months', french.MMM.join(' '), 'janv. févr. mars avr. mai juin juil. août sept. oct. nov. déc.');
expect('French default', JSON.stringify(sandbox.progressTimeFormats('de').names), JSON.stringify(french));

if (failures.length) {
  process.stderr.write(`${failures.join('\n')}\n`);
  process.exit(1);
}
process.stdout.write('progress time axis: ok\n');
