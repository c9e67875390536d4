// The live log page (/logs): every line of princess and prod as it is written,
// newest at the bottom, from the service's event stream (/api/logs/stream), or
// the lines of one deploy's time (/logs?from=...&until=..., from the history).
// A filter (a regular expression; an invalid one says so), "unexpected only"
// (hides the expected noise listed in the repo's site/expected-logs.txt),
// errors highlighted, pause and resume. The filters run in a worker watched by
// the page: a pattern that takes too long (catastrophic backtracking) is
// stopped and said to be too slow, and the page never hangs on it.
import { pageHead } from './page-head.ts';

const style = `
  main { padding: 12px 24px; }
  #controls { display: flex; gap: 12px; align-items: center; flex-wrap: wrap; margin-bottom: 8px; }
  #filter { font: 14px ui-monospace, monospace; width: 28em; padding: 4px 6px; }
  #filter.bad { outline: 2px solid #c0392b; }
  #problem { color: #c0392b; }
  #notice { color: #8a6d00; }
  #lines { background: #111; color: #ddd; font: 13px/1.35 ui-monospace, monospace; height: 70vh; overflow-y: auto;
           padding: 8px; border-radius: 4px; white-space: pre-wrap; word-break: break-all; }
  .line.error { color: #ff7b72; font-weight: 600; }
  .line .where { color: #79c0ff; }
  .line .time { color: #8b949e; }
  .hidden { display: none; }`;

const script = String.raw`
const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const windowed = params.has('from') && params.has('until');
const maxShown = 5000;
const errorPattern = /\b(error|exception|fatal|panic|failed)\b|\b5\d\d\b/i;
let paused = false;
let heldBack = [];
let expected = [];
let filterSource = '';
let unexpectedOnly = false;

// The filters run here, in a worker: a pattern that never ends can be stopped.
const workerCode = 'let f = null, e = [];' +
  'onmessage = (m) => { const d = m.data;' +
  '  if (d.kind === "set") { f = d.filter ? new RegExp(d.filter, "i") : null; e = d.expected.map((p) => new RegExp(p, "i")); postMessage({ kind: "set" }); return; }' +
  '  const keep = d.lines.map((l) => (!f || f.test(l.text)) && !(d.unexpectedOnly && e.some((x) => x.test(l.text))));' +
  '  postMessage({ kind: "keep", id: d.id, keep }); };';
const workerUrl = URL.createObjectURL(new Blob([workerCode], { type: 'text/javascript' }));
let worker;
let asked = 0;
const pending = new Map();

function startWorker() {
  worker = new Worker(workerUrl);
  worker.onmessage = (m) => {
    if (m.data.kind !== 'keep') return;
    const done = pending.get(m.data.id);
    if (done) { pending.delete(m.data.id); done(m.data.keep); }
  };
  worker.postMessage({ kind: 'set', filter: filterSource, expected });
}

/** Which lines pass the filters; a worker that takes longer than 1 s is stopped, and its filter with it. */
function judge(lines) {
  const id = ++asked;
  return new Promise((resolve) => {
    const watchdog = setTimeout(() => {
      pending.delete(id);
      worker.terminate();
      filterSource = '';
      $('filter').classList.add('bad');
      $('problem').textContent = 'the filter takes too long (catastrophic backtracking?): it is off; simplify it';
      startWorker();
      resolve(lines.map(() => true));
    }, 1000);
    pending.set(id, (keep) => { clearTimeout(watchdog); resolve(keep); });
    worker.postMessage({ kind: 'lines', id, lines: lines.map((l) => ({ text: l.text })), unexpectedOnly });
  });
}

function render(line) {
  const row = document.createElement('div');
  row.className = 'line' + (errorPattern.test(line.text) ? ' error' : '');
  row.dataset.text = line.text;
  const time = document.createElement('span');
  time.className = 'time';
  time.textContent = (line.time || '').slice(11, 23) + ' ';
  const where = document.createElement('span');
  where.className = 'where';
  where.textContent = line.stack + (line.host ? '@' + line.host : '') + ' ' + line.container + ' | ';
  row.append(time, where, document.createTextNode(line.text));
  return row;
}

async function append(lines) {
  if (lines.length === 0) return;
  const box = $('lines');
  const atBottom = box.scrollTop + box.clientHeight >= box.scrollHeight - 8;
  const keep = await judge(lines);
  const rows = lines.map((line, i) => {
    const row = render(line);
    if (!keep[i]) row.classList.add('hidden');
    return row;
  });
  box.append(...rows);
  while (box.childElementCount > maxShown) box.firstElementChild.remove();
  updateCount();
  if (atBottom) box.scrollTop = box.scrollHeight;
}

function updateCount() {
  const box = $('lines');
  const hidden = box.querySelectorAll('.line.hidden').length;
  $('count').textContent = hidden === 0 ? box.childElementCount + ' lines' : (box.childElementCount - hidden) + ' of ' + box.childElementCount + ' lines shown';
}

async function refilter() {
  const rows = [...$('lines').children];
  const keep = await judge(rows.map((row) => ({ text: row.dataset.text })));
  rows.forEach((row, i) => row.classList.toggle('hidden', !keep[i]));
  updateCount();
}

function setFilter() {
  const source = $('filter').value;
  try {
    new RegExp(source, 'i');
  } catch (error) {
    $('filter').classList.add('bad');
    $('problem').textContent = 'not a regular expression: ' + error.message;
    return;
  }
  $('filter').classList.remove('bad');
  $('problem').textContent = '';
  filterSource = source;
  worker.postMessage({ kind: 'set', filter: filterSource, expected });
  void refilter();
}

$('filter').addEventListener('input', setFilter);
$('unexpected').addEventListener('change', () => { unexpectedOnly = $('unexpected').checked; void refilter(); });
$('pause').addEventListener('click', () => {
  paused = !paused;
  $('pause').textContent = paused ? 'Resume' : 'Pause';
  if (!paused) { const lines = heldBack; heldBack = []; $('notice').textContent = ''; void append(lines); }
});

async function main() {
  expected = (await (await fetch('/api/logs/patterns')).json()).patterns;
  startWorker();
  if (windowed) {
    $('mode').textContent = 'Lines from ' + params.get('from') + ' to ' + params.get('until');
    $('pause').classList.add('hidden');
    const lines = await (await fetch('/api/logs?from=' + encodeURIComponent(params.get('from')) + '&until=' + encodeURIComponent(params.get('until')))).json();
    await append(lines);
    return;
  }
  const events = new EventSource('/api/logs/stream');
  events.onmessage = (m) => {
    const line = JSON.parse(m.data);
    if (paused) { heldBack.push(line); $('notice').textContent = heldBack.length + ' new lines while paused'; return; }
    void append([line]);
  };
  events.addEventListener('missed', (m) => {
    $('notice').textContent = 'this page could not keep up: ' + JSON.parse(m.data).count + ' lines were missed';
  });
  events.onerror = () => { $('notice').textContent = 'the stream was cut; reconnecting'; };
  events.onopen = () => { $('notice').textContent = ''; };
}
main();
`;

export function logsPage(): string {
  return `${pageHead('Logs: princess and prod', style)}
<body>
<header><h1>Logs of princess and prod <a href="/" style="margin-left: 16px; font-size: 14px; font-weight: normal; color: #cfe3ff;">Deploys</a></h1></header>
<main>
  <div id="controls">
    <input id="filter" placeholder="filter: a regular expression" autocomplete="off">
    <label><input type="checkbox" id="unexpected"> unexpected only</label>
    <button id="pause">Pause</button>
    <span id="count"></span>
    <span id="problem"></span>
    <span id="notice"></span>
  </div>
  <div id="mode"></div>
  <div id="lines"></div>
</main>
<script>${script}</script>
</body>
</html>`;
}
