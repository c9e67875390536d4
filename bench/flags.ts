// Config flags in the site's request path:
//   1. evaluate() alone: ns per evaluation over 10^6 evaluations (20 flags of
//      every kind, 1000 visitors), and one request's worth as the app does it (a
//      reader, cookies read, 20 flags asked, their exposures counted in the site's
//      statsd client); each the fastest of five runs;
//   2. the site's cost with 20 flags against none, in the same run: two site
//      servers on 127.0.0.1 (child processes, the site's own createApp and statsd
//      client), home page with 60 items from an in-memory pool and cache (no
//      PostgreSQL or memcached needed). With 20 flags the home page asks all 20 on
//      the app's reader; with none it asks nothing; both serve the same bytes for
//      the same request (checked before measuring). Many short rounds of
//      keep-alive requests alternating between the two, over a few fresh pairs
//      of servers; the verdict compares medians of the rounds' paired ratios,
//      of server CPU per request and of requests per second.
//
//   bin/node bench/flags.ts [--evaluations 1000000] [--requests 2000] [--rounds 36] [--pairs 4] [--concurrency 16] [--max-seconds 150]
//                           [--visitors 1000]   (returning visitors in turn; 100000: nearly every request one the app has not remembered)
//                           [--other-cookies]   (every request's header differs by an analytics cookie)
//                           [--server-flags "--cpu-prof --cpu-prof-dir=DIR"]   (node options for both servers)
//                           [--control]   (both servers without flags: the harness's own noise and bias)
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Agent, createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createApp } from '../site/app.ts';
import type { Cache } from '../site/cache.ts';
import type { Pool } from '../site/db.ts';
import { evaluate, noFlags, off, parseFlags, type FlagContext, type Flags } from '../site/flags.ts';
import {
  exposureCounter,
  readFlagSettings,
  rememberedVisitors,
  requestFlags,
  Visitors,
  type RequestFlags,
} from '../site/flag-request.ts';
import { homePage, renderHomePage, type HomeView, type ItemRow } from '../site/home-page.ts';
import { createStatsd } from '../site/statsd.ts';

const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};

/**
 * The 18 flags the bench's page asks besides the home page's two, written out
 * as a page's code names its flags (literals, not the file's own strings).
 */
const moreFlagNames = [
  'flag_0',
  'flag_1',
  'flag_2',
  'flag_3',
  'flag_4',
  'flag_5',
  'flag_6',
  'flag_7',
  'flag_8',
  'flag_9',
  'flag_10',
  'flag_11',
  'flag_12',
  'flag_13',
  'flag_14',
  'flag_15',
  'flag_16',
  'flag_17',
] as const;

/** 20 flags of every kind the file knows; the home page's two among them. */
const twentyFlags = `flags:
  sale_banner: { percent: 50 }
  new_banner: { percent: 30, variants: { blue: 50, green: 50 }, admin: blue }
${moreFlagNames
  .map((name, i) => {
    const kinds = [
      `true`,
      `false`,
      `{ percent: ${5 * (i + 1)} }`,
      `{ percent: 20, variants: { a: 34, b: 33, c: 33 } }`,
      `{ percent: 0, users: [ada, bob, "1236", "2001"], groups: [beta] }`,
      `{ bucket: user, percent: 50, variants: { x: 50, y: 50 } }`,
    ];
    return `  ${name}: ${kinds[i % kinds.length]}`;
  })
  .join('\n')}
`;

function flagsOf(text: string): Flags {
  const parsed = parseFlags(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.flags;
}

const prod = readFlagSettings({});

function contextOf(visitorId: string, userId?: string): FlagContext {
  return { visitorId, userId, groups: [], isAdmin: false, tier: 'prod', urlOverrides: new Map() };
}

/**
 * `--visitors` returning visitors (default 1000) who, with the 20 flags, see
 * neither banner (about a third of visitors): so both servers serve them the
 * same page, while their two banner flags are still hashed and decided as
 * anyone's. A banner is the feature's cost (a bigger page), not the flags'.
 */
const visitorCount = option('visitors', 1000);
const visitorIds: string[] = [];
{
  const flags = flagsOf(twentyFlags);
  while (visitorIds.length < visitorCount) {
    const id = randomBytes(16).toString('base64url');
    const context = contextOf(id);
    if (evaluate(flags, 'sale_banner', context) === off && evaluate(flags, 'new_banner', context) === off)
      visitorIds.push(id);
  }
}
/**
 * The cookie of a server's n-th request: the visitors in turn, one request in
 * three with a user id (a logged-in visitor's header differs from the same
 * visitor's logged out): 2 x visitors different headers, in a cycle. With
 * --other-cookies each header also carries an analytics cookie of its own.
 */
const otherCookies = args.includes('--other-cookies');
const cookieOf = (n: number): string => {
  const visitor = n % visitorIds.length;
  const round = Math.floor(n / visitorIds.length);
  // An analytics cookie that changes on every request: no two headers alike.
  const other = otherCookies ? `_ga=GA1.2.${n}.${1764000000 + n}; ` : '';
  return `${other}visitor=${visitorIds[visitor]}${(visitor + round) % 3 === 0 ? `; user=${visitor}` : ''}`;
};
const distinctCookies = visitorIds.length * 2;
const cookies = Array.from({ length: 3000 }, (_, i) => cookieOf(i));

// ---- 1. evaluation cost -----------------------------------------------------

/** The fastest of five measures: on a shared machine, other work only ever adds time. */
const fastest = (measure: () => number): number => Math.min(...Array.from({ length: 5 }, measure));

function evaluationCost(evaluations: number): {
  nsPerEvaluation: number;
  nsPerRequestOf20: number;
  nsPerNewRequestOf20: number;
} {
  const flags = flagsOf(twentyFlags);
  const names = ['sale_banner', 'new_banner', ...moreFlagNames];
  const contexts = visitorIds.map((visitorId, i) => contextOf(visitorId, i % 3 === 0 ? String(i) : undefined));
  let sink = 0;
  // Each measured loop is its own function, so the JIT compiles each one for what it calls.
  const perEvaluation = (count: number): number => {
    const started = process.hrtime.bigint();
    for (let i = 0; i < count; i++)
      sink += evaluate(flags, names[i % names.length]!, contexts[i % contexts.length]!).length;
    return Number(process.hrtime.bigint() - started) / count;
  };
  perEvaluation(evaluations / 10); // warm up the JIT
  const nsPerEvaluation = fastest(() => perEvaluation(evaluations));

  // As the app does it: a reader per request, 20 flags asked, their exposures
  // counted in the statsd client; visitors remembered (as the app does), or not
  // (each request a visitor the app has not seen since the flags were loaded).
  const statsd = createStatsd({ host: '127.0.0.1', port: 9 }, 'shop');
  const countExposure = exposureCounter(statsd);
  const requests = evaluations / names.length;
  const headers = cookies.map((cookie) => ({ cookie }));
  const perRequest = (count: number, visitors: Visitors | undefined): number => {
    const started = process.hrtime.bigint();
    for (let i = 0; i < count; i++) {
      const request = requestFlags(flags, headers[i % headers.length]!, '', prod, countExposure, visitors);
      for (const name of names) sink += request.variant(name).length;
    }
    return Number(process.hrtime.bigint() - started) / count;
  };
  const visitors = new Visitors();
  perRequest(requests / 10, visitors);
  perRequest(requests / 10, undefined);
  const nsPerRequestOf20 = fastest(() => perRequest(requests, visitors));
  const nsPerNewRequestOf20 = fastest(() => perRequest(requests, undefined));
  statsd.close();
  if (sink === 0) console.error('(nothing evaluated)');
  return { nsPerEvaluation, nsPerRequestOf20, nsPerNewRequestOf20 };
}

// ---- 2. the site's throughput -----------------------------------------------

const items: ItemRow[] = Array.from({ length: 60 }, (_, i) => ({
  id: i + 1,
  title: `Handmade item ${i}`,
  priceCents: 500 + i * 37,
  shop: `Shop ${i % 7}`,
}));

type Which = 'none' | 'twenty';

/** A site server on 127.0.0.1 serving from memory: what `--serve none|twenty` runs in a child. */
async function serve(which: Which): Promise<void> {
  const pool = { query: async () => ({ rows: items }) } as unknown as Pool;
  const cache: Cache = {
    getJson: async <T>() => items as T,
    setJson: async () => {},
    roundTrip: async () => {},
    close: () => {},
  };
  // Port 9 (discard): nobody listens; the client sends and forgets, as in production.
  const statsd = createStatsd({ host: '127.0.0.1', port: 9 }, 'shop');
  const flags = which === 'none' ? noFlags : flagsOf(twentyFlags);
  // The home page with 20 flags: the site's page (its two banners) and 18 more
  // asked on the same reader, standing for switches whose every branch renders
  // the same bytes (a new code path rolled out behind a flag, a kill switch
  // left on). Without flags the page asks nothing and shows no banner.
  // The 18 asks are timed where they run, between a request's network and
  // rendering work: what an evaluation costs in the request path, caches as
  // they are there (the first ask also reads who asks).
  let switchedOn = 0;
  const asks = { count: 0, ns: 0 };
  const pageWithTwentyFlags = (view: HomeView, asked: RequestFlags): string => {
    const started = performance.now();
    for (const name of moreFlagNames) if (asked.variant(name) !== off) switchedOn++;
    asks.ns += (performance.now() - started) * 1e6;
    asks.count += moreFlagNames.length;
    return homePage(view, asked);
  };
  const pageWithoutFlags = (view: HomeView): string => renderHomePage({ ...view, saleBanner: false });
  const app = createApp({
    shopName: 'bench shop',
    teamDir: '/nonexistent',
    servedBy: 'bench',
    pool,
    cache,
    statsd,
    flags: () => flags,
    flagsDigest: () => '',
    flagSettings: prod,
    homePage: which === 'none' ? pageWithoutFlags : pageWithTwentyFlags,
  });
  process.on('SIGTERM', () => process.exit(which === 'none' || switchedOn > 0 ? 0 : 1));
  // The parent asks for this process's CPU time and timed asks around each round.
  // Garbage collection's pauses on the main thread, which the CPU per request includes.
  let gcMs = 0;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcMs += entry.duration;
  }).observe({ entryTypes: ['gc'] });
  process.on('message', () => {
    const usage = process.cpuUsage();
    process.send?.({ cpuUs: usage.user + usage.system, asks: asks.count, asksNs: asks.ns, gcMs } satisfies ServerTally);
  });
  console.log = () => {}; // the app's access log would measure the terminal
  const server = createServer({ keepAliveTimeout: 60_000 }, app);
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as AddressInfo).port}\n`));
}

function startServer(which: Which): Promise<{ child: ChildProcess; port: number }> {
  // --cpu-prof and the like given to the bench go to both servers (bin/node bench/flags.ts --server-flags "--cpu-prof").
  const at = args.indexOf('--server-flags');
  const nodeFlags = at >= 0 ? args[at + 1]!.split(' ').filter(Boolean) : [];
  const child = spawn(process.execPath, [...nodeFlags, fileURLToPath(import.meta.url), '--serve', which], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the ${which} server exited with ${code}`)));
    child.stdout!.once('data', (data: Buffer) => resolve({ child, port: Number(data.toString().trim()) }));
  });
}

/** A server's CPU time so far (user + system) and its timed flag asks so far. */
interface ServerTally {
  cpuUs: number;
  asks: number;
  asksNs: number;
  /** garbage collection's pauses so far */
  gcMs: number;
}

function tallyOf(child: ChildProcess): Promise<ServerTally> {
  return new Promise((resolve) => {
    child.once('message', (tally) => resolve(tally as ServerTally));
    child.send('tally');
  });
}

/**
 * `count` GET / requests, `concurrency` at a time, on kept-alive connections,
 * with the cookies of requests first.. of the cycle: requests per second.
 * `onBody` sees each response.
 */
async function load(
  port: number,
  count: number,
  concurrency: number,
  first: number,
  onBody?: (i: number, body: Buffer) => void,
): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  let next = 0;
  const one = (i: number) =>
    new Promise<void>((resolve, reject) => {
      const req = httpRequest(
        { host: '127.0.0.1', port, path: '/', agent, headers: { cookie: cookieOf(first + i) } },
        (res) => {
          if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode}`));
          if (res.headers['set-cookie'] !== undefined) reject(new Error('a returning visitor was given a cookie'));
          if (onBody === undefined) {
            res.resume();
            res.on('end', resolve);
            return;
          }
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            onBody(i, Buffer.concat(chunks));
            resolve();
          });
        },
      );
      req.on('error', reject);
      req.end();
    });
  const worker = async () => {
    while (next < count) await one(next++);
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return count / seconds;
}

/** Throws unless both servers answer every request of `cookies` with the same bytes. */
async function checkSamePages(nonePort: number, twentyPort: number, concurrency: number): Promise<number> {
  const pages: Buffer[] = [];
  await load(nonePort, cookies.length, concurrency, 0, (i, body) => void (pages[i] = body));
  let differing = 0;
  await load(
    twentyPort,
    cookies.length,
    concurrency,
    0,
    (i, body) => void (differing += body.equals(pages[i]!) ? 0 : 1),
  );
  if (differing > 0)
    throw new Error(
      `${differing} of ${cookies.length} requests got a different page from the two servers: the comparison would not be fair`,
    );
  return pages[0]!.length;
}

/** The median and the quartiles either side of it. */
function spread(values: readonly number[]): { median: number; low: number; high: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): number => {
    const position = (sorted.length - 1) * q;
    const below = Math.floor(position);
    return sorted[below]! + (sorted[Math.min(below + 1, sorted.length - 1)]! - sorted[below]!) * (position - below);
  };
  return { median: at(0.5), low: at(0.25), high: at(0.75) };
}

const shown = (s: { median: number; low: number; high: number }, digits: number, scale = 1): string =>
  `${(s.median * scale).toFixed(digits)} (quartiles ${(s.low * scale).toFixed(digits)}..${(s.high * scale).toFixed(digits)})`;

async function main(): Promise<void> {
  const serveAt = args.indexOf('--serve');
  if (serveAt >= 0) return serve(args[serveAt + 1] === 'twenty' ? 'twenty' : 'none');

  const evaluations = option('evaluations', 1_000_000);
  const requests = option('requests', 2000);
  const rounds = option('rounds', 36);
  const pairs = option('pairs', 4);
  const concurrency = option('concurrency', 16);
  const maxSeconds = option('max-seconds', 150);

  const cost = evaluationCost(evaluations);
  console.log(
    `evaluate(): ${cost.nsPerEvaluation.toFixed(0)} ns per evaluation (${evaluations} evaluations, 20 flags, 1000 visitors)`,
  );
  console.log(
    `one request's flags (a reader, 20 flags asked, their exposures counted): a returning visitor ${(cost.nsPerRequestOf20 / 1000).toFixed(2)} us, ` +
      `a visitor not seen since the flags were loaded (cookies read, ids checked, 20 flags decided) ${(cost.nsPerNewRequestOf20 / 1000).toFixed(2)} us`,
  );

  const control = args.includes('--control');
  if (control) console.log('control run: the "20 flags" server serves without flags too');
  const rates = { none: [] as number[], twenty: [] as number[] };
  const cpu = { none: [] as number[], twenty: [] as number[] };
  /** per round, us of garbage collection's pauses per request */
  const gc = { none: [] as number[], twenty: [] as number[] };
  /** per round, ns per flag evaluation in the 20-flag server's request path */
  const askNs: number[] = [];
  let asks = 0;
  const started = performance.now();
  // The rounds are shared among fresh pairs of servers: how the JIT happens to
  // compile a process moves its CPU per request by a few percent for its whole
  // life, as much as what is measured.
  for (let pair = 0; pair < pairs; pair++) {
    const none = { ...(await startServer('none')), served: cookies.length };
    const twenty = { ...(await startServer(control ? 'none' : 'twenty')), served: cookies.length };
    try {
      const bytes = await checkSamePages(none.port, twenty.port, concurrency); // a warm-up of both too
      if (pair === 0) {
        console.log(`both servers answered ${cookies.length} requests with the same pages (${bytes} bytes each)`);
        console.log(
          `${visitorIds.length} visitors, ${otherCookies ? 'every request with a header of its own (an analytics cookie)' : `${distinctCookies} different cookie headers in turn`} (the app remembers the last ${rememberedVisitors})`,
        );
      }
      // One server under load at a time, as a replica serves on its own machine.
      const until = Math.round((rounds * (pair + 1)) / pairs);
      for (let round = rates.none.length; round < until && (performance.now() - started) / 1000 < maxSeconds; round++) {
        // Alternate which goes first, so a drift of the machine falls on both.
        const order = round % 2 === 0 ? (['none', 'twenty'] as const) : (['twenty', 'none'] as const);
        for (const which of order) {
          const server = which === 'none' ? none : twenty;
          const before = await tallyOf(server.child);
          rates[which].push(await load(server.port, requests, concurrency, server.served));
          server.served += requests;
          const after = await tallyOf(server.child);
          cpu[which].push((after.cpuUs - before.cpuUs) / requests);
          gc[which].push(((after.gcMs - before.gcMs) * 1000) / requests);
          if (after.asks > before.asks) {
            askNs.push((after.asksNs - before.asksNs) / (after.asks - before.asks));
            asks += after.asks - before.asks;
          }
        }
      }
    } finally {
      none.child.kill();
      twenty.child.kill();
    }
  }
  const done = rates.none.length;
  // A round's two runs are neighbours in time: their ratio carries less of the machine's drift than either alone.
  const cpuRatio = spread(cpu.twenty.map((us, i) => us / cpu.none[i]!));
  const rateRatio = spread(rates.twenty.map((rate, i) => rate / rates.none[i]!));
  console.log(
    `${done} rounds of ${requests} requests to each server (${pairs} pairs of servers), ${concurrency} in flight, ${((performance.now() - started) / 1000).toFixed(0)} s`,
  );
  console.log(
    `server CPU per request, us: no flags ${shown(spread(cpu.none), 1)}, 20 flags ${shown(spread(cpu.twenty), 1)}`,
  );
  console.log(
    `garbage collection's pauses per request, us: no flags ${shown(spread(gc.none), 1)}, 20 flags ${shown(spread(gc.twenty), 1)}`,
  );
  console.log(`requests/s: no flags ${shown(spread(rates.none), 0)}, 20 flags ${shown(spread(rates.twenty), 0)}`);
  if (askNs.length > 0)
    console.log(
      `a flag evaluation in the server's request path: ${shown(spread(askNs), 0)} ns (median of the rounds, wall time around the page's 18 asks, ${asks} evaluations; the first ask of a request also reads who asks)`,
    );
  console.log(
    `20 flags vs none, median of the rounds' ratios: CPU per request ${shown(cpuRatio, 1, 100)}%, throughput ${shown(rateRatio, 1, 100)}%`,
  );
  const cpuLoss = 1 - 1 / cpuRatio.median;
  const rateLoss = 1 - rateRatio.median;
  const met = cpuLoss < 0.02 && rateLoss < 0.02;
  console.log(
    `verdict: CPU-bound throughput loss ${(cpuLoss * 100).toFixed(1)}%, measured throughput loss ${(rateLoss * 100).toFixed(1)}%: goal < 2% ${met ? 'met' : 'not met'}`,
  );
}

await main();
