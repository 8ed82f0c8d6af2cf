// check-page.js DOM.html REPORT.json NETLOG.json CONSOLE.log
// The rendered report page (chromium --dump-dom) against the JSON report:
// every element with data-k="JSON.path" must show the number at that path
// (percent "48.0%", duration "2h05m", plain numbers); nothing may have been
// fetched from the network; the console must hold no error.
'use strict';
const fs = require('fs');
// REPORT.json "-": a page without numbers to compare (the policy card).
const [dom, json, netlog, consoleLog] = process.argv.slice(2).map((f) => f === '-' ? null : fs.readFileSync(f, 'utf8'));
const report = json === null ? null : JSON.parse(json);
let failures = 0, checked = 0;
const fail = (msg) => { failures++; console.error('FAIL: ' + msg); };

// Resolve "a.b[2].c" in an object.
function at(obj, path) {
  for (const part of path.match(/[^.[\]]+/g)) {
    if (obj === null || obj === undefined) return undefined;
    obj = obj[/^\d+$/.test(part) ? Number(part) : part];
  }
  return obj;
}
// The number a cell shows: "2h05m" -> 125, "48.0%" -> 48, "n/a"/"-" -> null.
function shown(text) {
  const t = text.replace(/&[a-z#0-9]+;/g, '').trim();
  let m;
  if ((m = /^(\d+)h(\d\d)m$/.exec(t))) return Number(m[1]) * 60 + Number(m[2]);
  if (t === 'n/a' || t === '-') return null;
  if ((m = /^(-?\d+(?:\.\d+)?)%?$/.exec(t))) return Number(m[1]);
  return NaN;
}
const re = /<(\w+)[^>]*\sdata-k="([^"]+)"[^>]*>([^<]*)<\/\1>/g;
let m;
while (report && (m = re.exec(dom))) {
  const want = at(report, m[2]), got = shown(m[3]);
  checked++;
  if (want === undefined) fail(`${m[2]}: not in the JSON report`);
  else if (!(want === got || (typeof want === 'number' && Math.abs(want - got) < 1e-9)))
    fail(`${m[2]}: page shows "${m[3]}", JSON has ${want}`);
}
if (report && checked < 20) fail(`only ${checked} numbers found on the page`);

// Network: every URL request in the net log that the page started (its
// initiator is the page's origin; the browser's own service requests, such as
// update checks, carry "not an origin") must be for a file: or data: URL.
const log = JSON.parse(netlog.replace(/,\s*$/, '') + (/\]\s*}\s*$/.test(netlog) ? '' : ']}'));
const startJob = log.constants.logEventTypes.URL_REQUEST_START_JOB;
const urls = new Set();
for (const e of log.events) {
  if (e.type !== startJob || !e.params || !e.params.url) continue;
  if (e.params.initiator === 'not an origin') continue;
  urls.add(e.params.url);
}
for (const u of urls)
  if (!/^(file|data|about|blob):/.test(u)) fail(`network request: ${u}`);

// Console: chromium --enable-logging=stderr writes console messages as CONSOLE(...) lines.
for (const line of consoleLog.split('\n'))
  if (/:CONSOLE[:(]|Uncaught/.test(line)) fail(`console: ${line}`);

console.log(`${checked} numbers checked, ${urls.size} URLs requested, ${failures} failures`);
process.exit(failures ? 1 : 0);
