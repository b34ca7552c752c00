// progress.js: live updates of a mailprune progress page. The page is complete without it (the
// server renders every figure); this script listens to the page's Server-Sent Events, swaps in
// the sections the server re-rendered for each new snapshot, and draws the timeline with uPlot.
'use strict';
// The chart's time axis in the page's language (`lang`: 'fr' or 'en'): uPlot's own date templates
// ({D}, {MMM}, {HH}...) with French or English month and day names, and each language's order
// ("29 nov." / "Nov 29", 24-hour clock in French). Returns { names } for uPlot.fmtDate, { axis }
// for the x axis' `values` and { legend } for the time series' value. A global, so that
// tests/server/progress checks it under Node.
function progressTimeFormats(lang) {
  var names = lang === 'en' ? {
    MMMM: ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October',
      'November', 'December'],
    MMM: ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'],
    WWWW: ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'],
    WWW: ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'],
  } : {
    MMMM: ['janvier', 'février', 'mars', 'avril', 'mai', 'juin', 'juillet', 'août', 'septembre', 'octobre',
      'novembre', 'décembre'],
    MMM: ['janv.', 'févr.', 'mars', 'avr.', 'mai', 'juin', 'juil.', 'août', 'sept.', 'oct.', 'nov.', 'déc.'],
    WWWW: ['dimanche', 'lundi', 'mardi', 'mercredi', 'jeudi', 'vendredi', 'samedi'],
    WWW: ['dim.', 'lun.', 'mar.', 'mer.', 'jeu.', 'ven.', 'sam.'],
  };
  var formats = lang === 'en' ?
    { day: '{MMM} {D}', dayYear: '{MMM} {D}, {YYYY}', hour: '{h}{aa}', time: '{h}:{mm}{aa}', legend: '{WWW}, ' } :
    { day: '{D} {MMM}', dayYear: '{D} {MMM} {YYYY}', hour: '{H} h', time: '{HH}:{mm}', legend: '{WWW} ' };
  // uPlot's axis rows: [tick step in seconds, label, then what is appended to the label of the
  // first tick and of a tick where the year, month, day, hour, minute or second changes, 1].
  var minute = 60;
  var hour = 3600;
  var day = 86400;
  var nl = '\n';
  var axisStamps = [
    [365 * day, '{YYYY}', null, null, null, null, null, null, 1],
    [28 * day, '{MMM}', nl + '{YYYY}', null, null, null, null, null, 1],
    [day, formats.day, nl + '{YYYY}', null, null, null, null, null, 1],
    [hour, formats.hour, nl + formats.dayYear, null, nl + formats.day, null, null, null, 1],
    [minute, formats.time, nl + formats.dayYear, null, nl + formats.day, null, null, null, 1],
    [1, ':{ss}', nl + formats.dayYear + ' ' + formats.time, null, nl + formats.day + ' ' + formats.time, null,
      nl + formats.time, null, 1],
  ];
  var legendStamp = formats.legend + formats.dayYear + ', ' + formats.time;
  return { names: names, axis: axisStamps, legend: legendStamp };
}

(function () {
  var main = document.getElementById('progress');
  if (!main || !window.EventSource) return;
  var lang = main.getAttribute('data-lang') || 'fr';
  var live = document.getElementById('live');
  var chartBox = document.getElementById('chart');
  var fallback = document.getElementById('timeline');
  var chart = null;

  // Decimal units, one decimal below 10, as the server writes them (French: comma, "Go").
  function formatBytes(bytes) {
    var units = lang === 'en' ? ['B', 'kB', 'MB', 'GB', 'TB'] : ['o', 'ko', 'Mo', 'Go', 'To'];
    var value = Math.max(0, bytes || 0);
    var unit = 0;
    while (value >= 1000 && unit < units.length - 1) {
      value /= 1000;
      unit += 1;
    }
    var text = value < 10 && unit > 0 ? value.toFixed(1) : String(Math.round(value));
    text = text.replace(/\.0$/, '');
    if (lang !== 'en') text = text.replace('.', ',');
    return text + '\u00a0' + units[unit];
  }

  var time = progressTimeFormats(lang);

  // uPlot compiles every template through this, so its names are the page's language.
  function fmtDate(template) {
    return window.uPlot.fmtDate(template, time.names);
  }

  function chartWidth() {
    return Math.max(280, Math.min(chartBox.clientWidth || main.clientWidth || 640, 960));
  }

  function drawTimeline(timeline, target) {
    if (!window.uPlot || !timeline || timeline[0].length === 0) {
      if (chart) {
        chart.destroy();
        chart = null;
      }
      chartBox.hidden = true;
      fallback.hidden = false;
      return;
    }
    var data = [timeline[0], timeline[1]];
    if (data[0].length === 1) {
      // A lone point leaves the time axis without a span (uPlot then stretches it over years):
      // start the curve from nothing freed an hour before it.
      data = [[data[0][0] - 3600, data[0][0]], [0, data[1][0]]];
    }
    if (chart) {
      chart.setData(data);
    } else {
      chart = new uPlot({
        width: chartWidth(),
        height: 240,
        fmtDate: fmtDate,
        series: [{ label: lang === 'en' ? 'Time' : 'Heure', value: time.legend }, {
          label: lang === 'en' ? 'Freed' : 'Libéré',
          stroke: '#1f6f8b',
          fill: 'rgba(31, 111, 139, 0.15)',
          width: 2,
          value: function (u, v) { return v == null ? '' : formatBytes(v); },
        }],
        axes: [{ values: time.axis }, { size: 70, values: function (u, values) { return values.map(formatBytes); } }],
        scales: { y: { range: function (u, min, max) { return [0, Math.max(max, 1)]; } } },
      }, data, chartBox);
      window.addEventListener('resize', function () {
        if (chart) chart.setSize({ width: chartWidth(), height: 240 });
      });
    }
    chartBox.hidden = false;
    fallback.hidden = true;
    main.setAttribute('data-chart', 'drawn');
  }

  function apply(snapshot) {
    ['summary', 'teams', 'breakdown', 'timeline', 'updated'].forEach(function (id) {
      var element = document.getElementById(id);
      // The server escaped every text it put in these fragments (team and campaign names).
      if (element && snapshot.sections[id] !== undefined) element.innerHTML = snapshot.sections[id];
    });
    main.setAttribute('data-version', snapshot.version);
    drawTimeline(snapshot.timeline, snapshot.target_bytes);
  }

  var events = new EventSource(main.getAttribute('data-events'));
  events.addEventListener('snapshot', function (event) {
    try {
      apply(JSON.parse(event.data));
    } catch (e) {
      return;
    }
    if (live) live.hidden = false;
  });
  events.addEventListener('gone', function () {
    events.close();
    if (live) live.hidden = true;
  });
  events.onerror = function () {
    if (live) live.hidden = true;  // EventSource reconnects by itself
  };
})();
