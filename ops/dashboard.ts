// The dashboard: the standard graphs (requests, errors, latency p50/p99, flag
// exposures) of princess and prod side by side, each with the stack's deploys
// as vertical lines, redrawn every 10 s, and the A/B tests of prod's flags
// judged per variant (/api/ab, deploy/ab-report.ts). The pictures come straight from each
// stack's Graphite (the browser runs where its ports are published); this page
// only says which. One static document: its script changes image URLs, never
// markup.
import { pageHead } from './page-head.ts';
import { graphite } from '../roles/graphite.ts';
import { hostPort } from '../stacks/ports.ts';
import { fixedPortBase } from '../stacks/tiers.ts';
import { expandMetric, renderUrl } from '../stacks/graphite.ts';
import { escapeHtml } from '../site/html.ts';

export interface DashboardStack {
  name: string;
  /** its graphite-web, e.g. http://127.0.0.1:18101/ */
  graphiteUrl: string;
}

/** The standard graphs: a title and the friendly metric names drawn in it. */
export const standardGraphs: { title: string; metrics: string[] }[] = [
  { title: 'requests/s', metrics: ['requests'] },
  { title: 'errors/s', metrics: ['errors'] },
  { title: 'latency p50 and p99 (ms)', metrics: ['latency.p50', 'latency.p99'] },
  { title: 'flag exposures/s by variant', metrics: ['flags'] },
];

/** princess and prod: fixed ports, so their Graphite is known without asking anyone. */
export function fixedStacks(): DashboardStack[] {
  return (['princess', 'prod'] as const).map((name) => ({
    name,
    graphiteUrl: `http://127.0.0.1:${hostPort(fixedPortBase(name), graphite.publish.http!)}/`,
  }));
}

function graphCell(stack: DashboardStack, graph: (typeof standardGraphs)[number]): string {
  const url = renderUrl(stack.graphiteUrl, {
    targets: graph.metrics.flatMap(expandMetric).map((t) => t.target),
    title: `${stack.name}: ${graph.title}`,
    width: 640,
    height: 280,
  });
  return `<figure><img data-src="${escapeHtml(url)}" alt="${escapeHtml(`${stack.name}: ${graph.title}`)}" width="640" height="280"><figcaption></figcaption></figure>`;
}

export function dashboardPage(stacks: DashboardStack[] = fixedStacks()): string {
  const heads = stacks
    .map((s) => `<h2>${escapeHtml(s.name)} <a href="${escapeHtml(s.graphiteUrl)}">Graphite</a></h2>`)
    .join('');
  const rows = standardGraphs.map((graph) => stacks.map((stack) => graphCell(stack, graph)).join('')).join('\n');
  return `${pageHead(
    'devenv graphs',
    `  header { display: flex; gap: 24px; align-items: baseline; }
  header a { color: #cfe3ff; }
  .ranges button { font: inherit; border: 1px solid #cfe3ff; background: transparent; color: white; border-radius: 4px; padding: 2px 8px; cursor: pointer; }
  .ranges button[aria-pressed="true"] { background: #cfe3ff; color: #1d3557; }
  main { display: grid; grid-template-columns: repeat(${stacks.length}, minmax(0, 1fr)); gap: 12px 16px; padding: 16px 24px; }
  h2 { font-size: 16px; margin: 0; }
  h2 a { font-size: 12px; font-weight: normal; }
  figure { margin: 0; background: white; border: 1px solid #ddd; border-radius: 6px; padding: 4px; }
  img { width: 100%; height: auto; display: block; }
  figcaption { color: #9d0208; font-size: 13px; min-height: 0; }
  .note { padding: 0 24px; color: #555; font-size: 13px; }
  #ab { padding: 8px 24px 24px; }
  #ab table { border-collapse: collapse; background: white; margin: 6px 0 16px; font-size: 13px; }
  #ab th, #ab td { border: 1px solid #ddd; padding: 4px 8px; text-align: left; }
  #ab td.significant { color: #9d0208; font-weight: 600; }
  #ab h3 { font-size: 14px; margin: 12px 0 0; }`,
  )}
<body>
<header>
  <h1>Graphs</h1>
  <span class="ranges" role="group" aria-label="time range">
    <button type="button" data-from="-15min">15 min</button>
    <button type="button" data-from="-1h" aria-pressed="true">1 h</button>
    <button type="button" data-from="-6h">6 h</button>
    <button type="button" data-from="-24h">24 h</button>
    <button type="button" data-from="-7d">7 d</button>
  </span>
  <a href="/">Deploys</a>
</header>
<p class="note">Orange vertical lines are deploys. Redrawn every 10 s; <span id="updated"></span></p>
<main>
${heads}
${rows}
</main>
<section id="ab">
  <h2>A/B tests on prod, by variant against the control</h2>
  <div id="ab-reports"><p class="note">Reading the figures...</p></div>
</section>
<script type="module">
let from = '-1h';
const images = [...document.querySelectorAll('img[data-src]')];

function draw() {
  const stamp = Date.now();
  for (const img of images) {
    const url = new URL(img.dataset.src);
    url.searchParams.set('from', from);
    url.searchParams.set('_', String(stamp));
    // load beside the shown picture, and swap when it is there: no flicker, no broken frame
    const next = new Image();
    next.onload = () => { img.src = next.src; img.nextElementSibling.textContent = ''; img.dataset.loaded = 'true'; };
    next.onerror = () => { img.nextElementSibling.textContent = 'Graphite did not answer for ' + img.alt; };
    next.src = url.toString();
  }
  document.getElementById('updated').textContent = 'last drawn ' + new Date().toLocaleTimeString();
}

for (const button of document.querySelectorAll('.ranges button')) {
  button.addEventListener('click', () => {
    from = button.dataset.from;
    for (const b of document.querySelectorAll('.ranges button')) b.setAttribute('aria-pressed', String(b === button));
    draw();
  });
}

const pct = (r) => (r.rate * 100).toFixed(r.rate > 0 && r.rate < 0.01 ? 2 : 1) + '%';
const cell = (text, className) => { const td = document.createElement('td'); td.textContent = text; if (className) td.className = className; return td; };
const pText = (p) => (p < 0.0001 ? 'p < 0.0001' : 'p = ' + p.toFixed(4));

async function drawAb() {
  const box = document.getElementById('ab-reports');
  const answer = await fetch('/api/ab?since=' + encodeURIComponent(from), { cache: 'no-store' });
  const reports = await answer.json();
  if (!answer.ok) { box.textContent = reports.error; return; }
  if (reports.length === 0) { box.textContent = 'No flag of site/flags.yaml has two variants.'; return; }
  box.replaceChildren(...reports.flatMap((report) => {
    const title = document.createElement('h3');
    title.textContent = report.flag + (report.enoughData ? '' : ': not enough data yet (' + report.minVisitors + ' visitors a variant)');
    const table = document.createElement('table');
    const head = document.createElement('tr');
    for (const name of ['variant', 'visitors', 'conversion (95%)', 'errors (95%)', 'p50', 'p99', 'against ' + report.control])
      head.append(Object.assign(document.createElement('th'), { textContent: name }));
    table.append(head);
    for (const v of report.variants) {
      const row = document.createElement('tr');
      row.dataset.variant = v.variant;
      const vs = v.versusControl;
      const significant = vs && report.enoughData && (vs.conversion.p < 0.01 || vs.errors.p < 0.01);
      row.append(cell(v.variant), cell(String(v.visitors)),
        cell(pct(v.conversion) + ' (' + pct({ rate: v.conversion.low }) + '-' + pct({ rate: v.conversion.high }) + ')'),
        cell(pct(v.errorRate) + ' (' + pct({ rate: v.errorRate.low }) + '-' + pct({ rate: v.errorRate.high }) + ')'),
        cell(v.p50Ms === null ? '-' : v.p50Ms.toFixed(0) + ' ms'), cell(v.p99Ms === null ? '-' : v.p99Ms.toFixed(0) + ' ms'),
        cell(!vs ? 'control' : !report.enoughData ? 'not enough data yet'
          : 'conversion ' + pText(vs.conversion.p) + '; errors ' + pText(vs.errors.p), significant ? 'significant' : ''));
      table.append(row);
    }
    return [title, table];
  }));
}

draw();
setInterval(draw, 10_000);
drawAb().catch((error) => { document.getElementById('ab-reports').textContent = 'The A/B figures could not be read: ' + error.message; });
setInterval(() => drawAb().catch(() => {}), 10_000);
</script>
</body>
</html>
`;
}
