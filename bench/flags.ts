// Config flags in the site's request path:
//   1. evaluate() alone: ns per evaluation over 10^6 evaluations (20 flags of
//      every kind, 1000 visitors), and one request's worth (cookies read, 20 flags
//      evaluated, their exposure counters made and formatted into the packet);
//   2. the site's cost with 20 flags against none, in the same run: two site
//      servers on 127.0.0.1 (child processes, the site's own createApp and statsd
//      client), home page with 60 items from an in-memory pool and cache (no
//      PostgreSQL or memcached needed), many short rounds of keep-alive requests
//      alternating between the two; the verdict compares medians of the rounds'
//      paired ratios, of server CPU per request and of requests per second.
//
//   bin/node bench/flags.ts [--evaluations 1000000] [--requests 2000] [--rounds 15] [--concurrency 16] [--max-seconds 150]
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Agent, createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createApp } from '../site/app.ts';
import type { Cache } from '../site/cache.ts';
import type { Pool } from '../site/db.ts';
import { evaluate, noFlags, parseFlags, type FlagContext, type Flags } from '../site/flags.ts';
import { readFlagSettings, requestFlags } from '../site/flag-request.ts';
import type { ItemRow } from '../site/home-page.ts';
import { createStatsd } from '../site/statsd.ts';
import { packetFormatter } from '../site/statsd-line.ts';

const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};

/** 20 flags of every kind the file knows; the home page's two among them. */
const twentyFlags = `flags:
  sale_banner: { percent: 50 }
  new_banner: { percent: 30, variants: { blue: 50, green: 50 }, admin: blue }
${Array.from({ length: 18 }, (_, i) => {
  const kinds = [
    `true`,
    `false`,
    `{ percent: ${5 * (i + 1)} }`,
    `{ percent: 20, variants: { a: 34, b: 33, c: 33 } }`,
    `{ percent: 0, users: [ada, bob, "1234"], groups: [beta] }`,
    `{ bucket: user, percent: 50, variants: { x: 50, y: 50 } }`,
  ];
  return `  flag_${i}: ${kinds[i % kinds.length]}`;
}).join('\n')}
`;

function flagsOf(text: string): Flags {
  const parsed = parseFlags(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.flags;
}

const visitorIds = Array.from({ length: 1000 }, () => randomBytes(16).toString('base64url'));

// ---- 1. evaluation cost -----------------------------------------------------

function evaluationCost(evaluations: number): { nsPerEvaluation: number; nsPerRequestOf20: number; nsPerReader: number } {
  const flags = flagsOf(twentyFlags);
  const names = [...flags.keys()];
  const contexts: FlagContext[] = visitorIds.map((visitorId, i) => ({
    visitorId,
    ...(i % 3 === 0 && { userId: String(i) }),
    groups: [],
    isAdmin: false,
    tier: 'prod',
    urlOverrides: new Map(),
  }));
  let sink = 0;
  // Each measured loop is its own function, so the JIT compiles each one for what it calls.
  const perEvaluation = (count: number): number => {
    const started = process.hrtime.bigint();
    for (let i = 0; i < count; i++) sink += evaluate(flags, names[i % names.length]!, contexts[i % contexts.length]!).length;
    return Number(process.hrtime.bigint() - started) / count;
  };
  perEvaluation(evaluations / 10); // warm up the JIT
  const nsPerEvaluation = perEvaluation(evaluations);

  // As the app does it: a reader per request, the page's flags, their exposures in the request's packet.
  const settings = readFlagSettings({});
  const formatPacket = packetFormatter('shop');
  const requests = evaluations / names.length;
  const headers = visitorIds.map((id, i) => ({ cookie: `visitor=${id}${i % 3 === 0 ? `; user=${i}` : ''}` }));
  const perRequest = (count: number): number => {
    const started = process.hrtime.bigint();
    for (let i = 0; i < count; i++) {
      const request = requestFlags(flags, headers[i % headers.length]!, '', settings);
      for (const name of names) sink += request.variant(name).length;
      sink += formatPacket([{ name: 'requests', value: 1, type: 'c' }, ...request.exposures()]).length;
    }
    return Number(process.hrtime.bigint() - started) / count;
  };
  perRequest(requests / 10);
  const nsPerRequestOf20 = perRequest(requests);
  // What the throughput harness adds by asking the 18 extra flags through a reader of its own.
  const perReader = (count: number): number => {
    const started = process.hrtime.bigint();
    for (let i = 0; i < count; i++) sink += requestFlags(flags, headers[i % headers.length]!, '', settings).context.visitorId.length;
    return Number(process.hrtime.bigint() - started) / count;
  };
  perReader(requests / 10);
  const nsPerReader = perReader(requests);
  if (sink === 0) console.error('(nothing evaluated)');
  return { nsPerEvaluation, nsPerRequestOf20, nsPerReader };
}

// ---- 2. the site's throughput -----------------------------------------------

const items: ItemRow[] = Array.from({ length: 60 }, (_, i) => ({ title: `Handmade item ${i}`, priceCents: 500 + i * 37, shop: `Shop ${i % 7}` }));

/** A site server on 127.0.0.1 serving from memory: what `--serve none|twenty` runs in a child. */
async function serve(which: 'none' | 'twenty'): Promise<void> {
  const pool = { query: async () => ({ rows: items }) } as unknown as Pool;
  const cache: Cache = { getJson: async <T>() => items as T, setJson: async () => {}, roundTrip: async () => {}, close: () => {} };
  // Port 9 (discard): nobody listens; the client sends and forgets, as in production.
  const statsd = createStatsd({ host: '127.0.0.1', port: 9 }, 'shop');
  const flags = which === 'none' ? noFlags : flagsOf(twentyFlags);
  const flagSettings = readFlagSettings({});
  // The home page asks for its two flags through the app's reader. A page using
  // 20 would ask the other 18 on that same reader; the app does not hand it out,
  // so they are asked here on a second one, and their exposures are tallied as
  // the app tallies its own. The second reader (cookies read again) makes this a
  // slight overestimate.
  const extraNames = [...flags.keys()].filter((name) => name !== 'sale_banner' && name !== 'new_banner');
  const appStatsd = statsd;
  const app = createApp({ shopName: 'bench shop', teamDir: '/nonexistent', servedBy: 'bench', pool, cache, statsd: appStatsd, flags: () => flags, flagsDigest: () => '', flagSettings });
  let sink = 0;
  const handler =
    which === 'none'
      ? app
      : (request: IncomingMessage, response: ServerResponse) => {
          const asked = requestFlags(flags, request.headers, '', flagSettings);
          for (const name of extraNames) sink += asked.variant(name).length;
          response.on('close', () => statsd.tally(asked.exposures()));
          app(request, response);
        };
  process.on('SIGTERM', () => process.exit(sink > 0 ? 0 : 1));
  // The parent asks for this process's CPU time around each round.
  process.on('message', () => process.send?.(process.cpuUsage()));
  console.log = () => {}; // the app's access log would measure the terminal
  const server = createServer({ keepAliveTimeout: 60_000 }, handler);
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as AddressInfo).port}\n`));
}

function startServer(which: 'none' | 'twenty'): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--serve', which], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the ${which} server exited with ${code}`)));
    child.stdout!.once('data', (data: Buffer) => resolve({ child, port: Number(data.toString().trim()) }));
  });
}

/** The server's CPU time so far (user + system), in microseconds. */
function cpuOf(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    child.once('message', (usage) => resolve((usage as NodeJS.CpuUsage).user + (usage as NodeJS.CpuUsage).system));
    child.send('cpu');
  });
}

/** `count` GET / requests, `concurrency` at a time, on kept-alive connections: requests per second. */
async function load(port: number, count: number, concurrency: number): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  let next = 0;
  const one = (i: number) =>
    new Promise<void>((resolve, reject) => {
      const cookie = `visitor=${visitorIds[i % visitorIds.length]}${i % 3 === 0 ? `; user=${i % 5000}` : ''}`;
      const req = httpRequest({ host: '127.0.0.1', port, path: '/', agent, headers: { cookie } }, (res) => {
        if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode}`));
        res.resume();
        res.on('end', resolve);
      });
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
  const rounds = option('rounds', 15);
  const concurrency = option('concurrency', 16);
  const maxSeconds = option('max-seconds', 150);

  const cost = evaluationCost(evaluations);
  console.log(`evaluate(): ${cost.nsPerEvaluation.toFixed(0)} ns per evaluation (${evaluations} evaluations, 20 flags, 1000 visitors)`);
  console.log(`one request's flags (cookies read, 20 flags evaluated, their exposures formatted into the packet): ${(cost.nsPerRequestOf20 / 1000).toFixed(2)} us`);
  console.log(`a reader made and its cookies read (what the harness's second reader adds): ${(cost.nsPerReader / 1000).toFixed(2)} us`);

  const none = await startServer('none');
  const twenty = await startServer('twenty');
  const started = performance.now();
  try {
    await load(none.port, requests, concurrency); // warm-up of both
    await load(twenty.port, requests, concurrency);
    const rates = { none: [] as number[], twenty: [] as number[] };
    const cpu = { none: [] as number[], twenty: [] as number[] };
    for (let round = 0; round < rounds && (performance.now() - started) / 1000 < maxSeconds; round++) {
      // Alternate which goes first, so a drift of the machine falls on both.
      const order = round % 2 === 0 ? (['none', 'twenty'] as const) : (['twenty', 'none'] as const);
      for (const which of order) {
        const server = which === 'none' ? none : twenty;
        const before = await cpuOf(server.child);
        rates[which].push(await load(server.port, requests, concurrency));
        cpu[which].push(((await cpuOf(server.child)) - before) / requests);
      }
    }
    const done = rates.none.length;
    // A round's two runs are neighbours in time: their ratio carries less of the machine's drift than either alone.
    const cpuRatio = spread(cpu.twenty.map((us, i) => us / cpu.none[i]!));
    const rateRatio = spread(rates.twenty.map((rate, i) => rate / rates.none[i]!));
    console.log(`${done} rounds of ${requests} requests to each server, ${concurrency} in flight, ${((performance.now() - started) / 1000).toFixed(0)} s`);
    console.log(`server CPU per request, us: no flags ${shown(spread(cpu.none), 1)}, 20 flags ${shown(spread(cpu.twenty), 1)}`);
    console.log(`requests/s: no flags ${shown(spread(rates.none), 0)}, 20 flags ${shown(spread(rates.twenty), 0)}`);
    console.log(`20 flags vs none, median of the rounds' ratios: CPU per request ${shown(cpuRatio, 1, 100)}%, throughput ${shown(rateRatio, 1, 100)}%`);
    const cpuLoss = 1 - 1 / cpuRatio.median;
    const rateLoss = 1 - rateRatio.median;
    const met = cpuLoss < 0.02 && rateLoss < 0.02;
    console.log(
      `verdict: CPU-bound throughput loss ${(cpuLoss * 100).toFixed(1)}%, measured throughput loss ${(rateLoss * 100).toFixed(1)}%: goal < 2% ${met ? 'met' : 'not met'}`,
    );
  } finally {
    none.child.kill();
    twenty.child.kill();
  }
}

await main();
