// The two-button page: the queue with its head group's buttons (Princess, then
// Production), the live log of the current deploy, and the history. One static
// document; its script reads the API every second and writes text only (never
// HTML from data), so names and commit messages cannot inject markup. Its buttons
// act as the person logged in (a session from `devenv ops login`'s link); without
// one they stay disabled and the page says how to log in.

import { pageHead } from './page-head.ts';

export function deployPage(): string {
  return `${pageHead(
    'devenv deploys',
    `  main { display: grid; grid-template-columns: minmax(320px, 1fr) 2fr; gap: 16px; padding: 16px 24px; }
  section { background: white; border: 1px solid #ddd; border-radius: 6px; padding: 12px 16px; }
  h2 { font-size: 16px; margin: 0 0 8px; }
  .buttons { display: flex; gap: 12px; margin: 12px 0; }
  button { font-size: 18px; padding: 12px 20px; border-radius: 6px; border: 0; color: white; cursor: pointer; }
  button:disabled { opacity: 0.4; cursor: not-allowed; }
  #press-princess { background: #b5179e; }
  #press-prod { background: #2a9d8f; }
  .group { border-left: 4px solid #ccc; padding: 4px 8px; margin: 6px 0; }
  .group.head { border-color: #e76f51; background: #fff4ef; }
  .hold { background: #ffe8a3; padding: 6px 8px; border-radius: 4px; }
  #message { min-height: 1.4em; color: #9d0208; }
  pre#log { background: #111; color: #ddd; padding: 8px; height: 320px; overflow: auto; font-size: 12px; white-space: pre-wrap; }
  table { border-collapse: collapse; width: 100%; font-size: 13px; }
  td, th { border-bottom: 1px solid #eee; padding: 4px 6px; text-align: left; vertical-align: top; }
  .succeeded { color: #2a9d8f; } .failed, .rolled-back { color: #9d0208; } .running { color: #e76f51; }
  details pre { margin: 4px 0; font-size: 12px; }
  #history { grid-column: 1 / -1; }`,
  )}
<body>
<header><h1>Deploys <a href="/dashboard" style="margin-left: 16px; font-size: 14px; font-weight: normal; color: #cfe3ff;">Graphs of princess and prod, with deploy lines</a> <a href="/logs" style="margin-left: 16px; font-size: 14px; font-weight: normal; color: #cfe3ff;">Live logs</a></h1></header>
<main>
  <section id="queue">
    <h2>Queue</h2>
    <div id="who" role="status"></div>
    <div id="hold"></div>
    <div id="head"></div>
    <div class="buttons">
      <button id="press-princess" type="button" disabled>Princess</button>
      <button id="press-prod" type="button" disabled>Production</button>
    </div>
    <div id="message" role="status"></div>
    <div id="groups"></div>
  </section>
  <section id="live">
    <h2 id="log-title">Live log</h2>
    <pre id="log"></pre>
  </section>
  <section id="history">
    <h2>History</h2>
    <table><thead><tr><th>#</th><th>stage</th><th>train</th><th>who</th><th>what</th><th>took</th><th>result</th><th></th></tr></thead><tbody id="history-rows"></tbody></table>
  </section>
</main>
<script type="module">
const $ = (id) => document.getElementById(id);
const el = (tag, text, className) => { const e = document.createElement(tag); if (text !== undefined) e.textContent = text; if (className) e.className = className; return e; };
let shownDeploy = 0;
let lastLine = 0;
let person = null;

async function refreshSession() {
  const response = await fetch('/api/session', { cache: 'no-store' });
  person = response.ok ? (await response.json()).user : null;
  $('who').textContent = person ? 'You are ' + person + '.' : 'Not logged in: run devenv ops login and open the link it prints to use the buttons.';
}

async function getJson(path) {
  const response = await fetch(path, { cache: 'no-store' });
  if (!response.ok) throw new Error(path + ': ' + response.status);
  return response.json();
}

function describeGroup(group, index) {
  const div = el('div', undefined, 'group' + (index === 0 ? ' head' : ''));
  div.dataset.train = group.train;
  const who = group.entries.map((e) => e.user + ' @ ' + e.commit.slice(0, 10)).join(', ');
  div.append(el('strong', (index === 0 ? 'head: ' : (index + 1) + '. ') + group.train + ' train'), el('div', who));
  return div;
}

async function refreshQueue() {
  const queue = await getJson('/api/queue');
  $('hold').replaceChildren(...(queue.hold ? [el('div', 'held by ' + queue.hold.by + ': ' + queue.hold.reason, 'hold')] : []));
  $('groups').replaceChildren(...queue.groups.map(describeGroup));
  const head = queue.groups[0];
  // Once princess runs the head group's release, prod waits for each rider's .good (the presser vouches for their own).
  const goods = queue.goods || [];
  const waiting = head && head.groupId !== null ? head.entries.map((e) => e.user).filter((u) => u !== person && !goods.includes(u)) : [];
  $('head').textContent = head
    ? 'Head: ' + head.entries.map((e) => e.user + (goods.includes(e.user) ? ' (.good)' : '')).join(', ') + ' (' + head.train + ')' +
      (waiting.length ? '. Production waits for .good from ' + waiting.join(', ') + '.' : '')
    : 'The queue is empty.';
  const free = person && head && !queue.hold && !queue.running;
  $('press-princess').disabled = !free;
  $('press-prod').disabled = !free || waiting.length > 0;
  return queue;
}

async function refreshHistory() {
  const deploys = await getJson('/api/deploys?limit=25');
  $('history-rows').replaceChildren(...deploys.map((d) => {
    const row = el('tr');
    row.dataset.deploy = String(d.id);
    const what = el('td');
    const details = el('details');
    details.append(el('summary', d.commit.slice(0, 10) + (d.changes ? ': ' + d.changes.split('\\n')[0] : '')), el('pre', [d.changes, d.diffStat].filter(Boolean).join('\\n\\n')));
    what.append(details);
    // The log lines of princess and prod from the deploy's start to its end (or now).
    const logs = el('a', 'logs');
    logs.href = '/logs?from=' + encodeURIComponent(d.startedAt) + '&until=' + encodeURIComponent(d.finishedAt || new Date().toISOString());
    const logsCell = el('td');
    logsCell.append(logs);
    row.append(el('td', '#' + d.id), el('td', d.stage + (d.hosts && d.hosts.length ? ' on ' + d.hosts.join(', ') : '')), el('td', d.train), el('td', d.users.join(', ') + ' (by ' + d.driver + ')'), what,
      el('td', d.seconds === null ? 'running' : d.seconds + ' s'), el('td', d.state + (d.error ? ': ' + d.error : ''), d.state), logsCell);
    return row;
  }));
  return deploys;
}

async function refreshLog(deploys) {
  const current = deploys[0];
  if (!current) return;
  if (current.id !== shownDeploy) {
    shownDeploy = current.id;
    lastLine = 0;
    $('log').textContent = '';
  }
  $('log-title').textContent = 'Live log: deploy #' + current.id + ' to ' + current.stage + ' (' + current.state + ')';
  const lines = await getJson('/api/deploys/' + current.id + '/log?after=' + lastLine);
  if (lines.length === 0) return;
  lastLine = lines[lines.length - 1].id;
  const log = $('log');
  const atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
  log.append(document.createTextNode(lines.map((l) => l.at.slice(11, 19) + ' ' + l.line).join('\\n') + '\\n'));
  if (atBottom) log.scrollTop = log.scrollHeight;
}

async function refresh() {
  try {
    await refreshQueue();
    await refreshLog(await refreshHistory());
  } catch (error) {
    $('message').textContent = 'cannot reach the deploy service: ' + error.message;
  }
}

async function press(stage) {
  $('message').textContent = 'starting the ' + stage + ' deploy...';
  $('press-princess').disabled = true;
  $('press-prod').disabled = true;
  const response = await fetch('/api/press', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ stage }) });
  const result = await response.json();
  $('message').textContent = response.ok ? 'deploy #' + result.deploy.id + ' to ' + stage + ' started' : result.error;
  if (response.status === 401) await refreshSession();
  await refresh();
}

$('press-princess').addEventListener('click', () => press('princess'));
$('press-prod').addEventListener('click', () => press('prod'));
refreshSession().then(refresh);
setInterval(refresh, 1000);
</script>
</body>
</html>
`;
}
