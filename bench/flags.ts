// Config flags in the site's request path:
//   1. evaluate() alone: ns per evaluation over 10^6 evaluations (20 flags of
//      every kind, 1000 visitors), and one request's worth (cookies read, 20 flags
//      evaluated, their exposure counters made);
//   2. the site's throughput with 20 flags against none, in the same run: two
//      site servers on 127.0.0.1 (child processes, the site's own createApp and
//      statsd client), home page with 60 items from an in-memory pool and cache
//      (no PostgreSQL or memcached needed), a bounded number of keep-alive
//      requests per round, rounds alternating between the two.
//
//   bin/node bench/flags.ts [--evaluations 1000000] [--requests 5000] [--rounds 7] [--concurrency 16]
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
import { formatPacket } from '../site/statsd-line.ts';

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

function evaluationCost(evaluations: number): { nsPerEvaluation: number; nsPerRequestOf20: number } {
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
  const run = (count: number): number => {
    const started = process.hrtime.bigint();
    for (let i = 0; i < count; i++) sink += evaluate(flags, names[i % names.length]!, contexts[i % contexts.length]!).length;
    return Number(process.hrtime.bigint() - started);
  };
  run(evaluations / 10); // warm up the JIT
  const nsPerEvaluation = run(evaluations) / evaluations;

  const settings = readFlagSettings({});
  const requests = evaluations / names.length;
  const headers = visitorIds.map((id, i) => ({ cookie: `visitor=${id}${i % 3 === 0 ? `; user=${i}` : ''}` }));
  const perRequest = (count: number): number => {
    const started = process.hrtime.bigint();
    for (let i = 0; i < count; i++) {
      const request = requestFlags(flags, headers[i % headers.length]!, '', settings);
      for (const name of names) sink += request.variant(name).length;
      sink += request.exposures().length;
    }
    return Number(process.hrtime.bigint() - started);
  };
  perRequest(requests / 10);
  const nsPerRequestOf20 = perRequest(requests) / requests;
  if (sink === 0) console.error('(nothing evaluated)');
  return { nsPerEvaluation, nsPerRequestOf20 };
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
  const names = [...flags.keys()];
  const flagSettings = readFlagSettings({});
  const app = createApp({ shopName: 'bench shop', teamDir: '/nonexistent', servedBy: 'bench', pool, cache, statsd, flags: () => flags, flagsDigest: () => '', flagSettings });
  // The home page itself asks for its two flags; the other 18 are asked here
  // as a page using 20 would, their exposure lines formatted as the app's packet
  // would carry them (one more requestFlags than a real page: an overestimate).
  let sink = 0;
  const handler =
    which === 'none'
      ? app
      : (request: IncomingMessage, response: ServerResponse) => {
          const asked = requestFlags(flags, request.headers, '', flagSettings);
          for (const name of names) if (name !== 'sale_banner' && name !== 'new_banner') asked.variant(name);
          sink += formatPacket('shop', asked.exposures()).length;
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

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

async function main(): Promise<void> {
  const serveAt = args.indexOf('--serve');
  if (serveAt >= 0) return serve(args[serveAt + 1] === 'twenty' ? 'twenty' : 'none');

  const evaluations = option('evaluations', 1_000_000);
  const requests = option('requests', 5000);
  const rounds = option('rounds', 7);
  const concurrency = option('concurrency', 16);

  const cost = evaluationCost(evaluations);
  console.log(`evaluate(): ${cost.nsPerEvaluation.toFixed(0)} ns per evaluation (${evaluations} evaluations, 20 flags, 1000 visitors)`);
  console.log(`one request's flags (cookies read, 20 flags evaluated, 20 exposure counters): ${(cost.nsPerRequestOf20 / 1000).toFixed(2)} us`);

  const none = await startServer('none');
  const twenty = await startServer('twenty');
  try {
    await load(none.port, requests, concurrency); // warm-up of both
    await load(twenty.port, requests, concurrency);
    const rates = { none: [] as number[], twenty: [] as number[] };
    const cpu = { none: [] as number[], twenty: [] as number[] };
    for (let round = 0; round < rounds; round++) {
      // Alternate which goes first, so a drift of the machine falls on both.
      const order = round % 2 === 0 ? (['none', 'twenty'] as const) : (['twenty', 'none'] as const);
      for (const which of order) {
        const server = which === 'none' ? none : twenty;
        const before = await cpuOf(server.child);
        rates[which].push(await load(server.port, requests, concurrency));
        cpu[which].push(((await cpuOf(server.child)) - before) / requests);
      }
    }
    const [a, b] = [median(rates.none), median(rates.twenty)];
    // Each round's two runs are neighbours in time: their ratio is less noisy than the medians'.
    const paired = median(rates.twenty.map((rate, i) => rate / rates.none[i]!));
    console.log(`home page, no flags:   ${a.toFixed(0)} requests/s (median of ${rounds} rounds of ${requests}; all: ${rates.none.map((r) => r.toFixed(0)).join(' ')})`);
    console.log(`home page, 20 flags:   ${b.toFixed(0)} requests/s (all: ${rates.twenty.map((r) => r.toFixed(0)).join(' ')})`);
    const [cpuA, cpuB] = [median(cpu.none), median(cpu.twenty)];
    console.log(`server CPU per request: ${cpuA.toFixed(1)} us with no flags, ${cpuB.toFixed(1)} us with 20: ${(((cpuB - cpuA) / cpuA) * 100).toFixed(1)}% more, so ${((cpuA / cpuB) * 100).toFixed(1)}% of the CPU-bound throughput (medians of ${rounds} rounds)`);
    console.log(`throughput with 20 flags: ${(paired * 100).toFixed(1)}% of none, median of the rounds' ratios (loss ${((1 - paired) * 100).toFixed(1)}%; goal < 2%); ratio of medians ${((b / a) * 100).toFixed(1)}%`);
  } finally {
    none.child.kill();
    twenty.child.kill();
  }
}

await main();
