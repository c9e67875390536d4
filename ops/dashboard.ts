// The dashboard: the standard graphs (requests, errors, latency p50/p99, flag
// exposures) of princess and prod side by side, each with the stack's deploys
// as vertical lines, redrawn every 10 s. The pictures come straight from each
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
  .note { padding: 0 24px; color: #555; font-size: 13px; }`,
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

draw();
setInterval(draw, 10_000);
</script>
</body>
</html>
`;
}
