// Princess rebuild against the raw baseline, on the same data in the same run:
// `pg_dump -Fc | pg_restore` of prod into princess's server without scrubbing,
// then `devenv princess rebuild`. Throughput (MB/s of COPY text, rows/s) and the
// rebuild's peak memory and where its time went, for each size.
//
//   bin/node bench/princess-rebuild.ts [--members 100000,1000000] [--repeat 1]
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { contextFromEnvironment, projectRoot } from '../lib/paths.ts';
import { connect, databaseAddress } from '../data/postgres.ts';

const args = process.argv.slice(2);
const membersAt = args.indexOf('--members');
const sizes = (membersAt >= 0 ? (args[membersAt + 1] ?? '') : '100000,1000000').split(',').map(Number);
const repeatAt = args.indexOf('--repeat');
/** Rounds of baseline and rebuild per size. */
const repeat = repeatAt >= 0 ? Number(args[repeatAt + 1]) : 1;
if (!(Number.isInteger(repeat) && repeat >= 1))
  throw new Error(`--repeat takes a whole number of rounds, got ${args[repeatAt + 1]}`);

async function sql(stack: string, database: string, text: string): Promise<void> {
  const client = await connect(await databaseAddress(contextFromEnvironment(), stack), database);
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** Peak resident memory and CPU time of a running process (its threads included), read from /proc until it exits. */
function watchProcess(pid: number): { stop: () => { peakMiB: number; cpuSeconds: number } } {
  let peakMiB = 0;
  let cpuSeconds = 0;
  const timer = setInterval(() => {
    readFile(`/proc/${pid}/status`, 'utf8').then(
      (status) => (peakMiB = Math.max(peakMiB, Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024)),
      () => {},
    );
    // utime and stime, in clock ticks (100 a second), after the command name in brackets.
    readFile(`/proc/${pid}/stat`, 'utf8').then(
      (stat) => {
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        cpuSeconds = Math.max(cpuSeconds, (Number(fields[11]) + Number(fields[12])) / 100);
      },
      () => {},
    );
  }, 100);
  return { stop: () => (clearInterval(timer), { peakMiB, cpuSeconds }) };
}

/** CPU seconds a container has used so far (its cgroup's cpuacct, v1 or v2). */
async function containerCpuSeconds(name: string): Promise<number> {
  const id = (await execa('docker', ['inspect', '-f', '{{.Id}}', name])).stdout.trim();
  const v1 = await readFile(`/sys/fs/cgroup/cpuacct/docker/${id}/cpuacct.usage`, 'utf8').catch(() => undefined);
  if (v1 !== undefined) return Number(v1) / 1e9;
  const v2 = await readFile(`/sys/fs/cgroup/system.slice/docker-${id}.scope/cpu.stat`, 'utf8').catch(() => '');
  return Number(/usage_usec (\d+)/.exec(v2)?.[1] ?? Number.NaN) / 1e6;
}

/** Wall seconds of `run`, and the CPU seconds both database servers spent meanwhile. */
async function measured<T>(run: () => Promise<T>): Promise<{ value: T; seconds: number; serverCpuSeconds: number }> {
  const cpu = async () => (await containerCpuSeconds('prod-db')) + (await containerCpuSeconds('princess-db'));
  const cpuBefore = await cpu();
  const started = performance.now();
  const value = await run();
  const seconds = (performance.now() - started) / 1000;
  return { value, seconds, serverCpuSeconds: (await cpu()) - cpuBefore };
}

/** The middle value; the mean of the two middle ones for an even count. */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

async function main(): Promise<void> {
  const home = await mkdtemp(join(tmpdir(), 'devenv-bench-princess-'));
  await writeFile(join(home, 'scrub.key'), randomBytes(32).toString('hex'));
  const devenv = (...a: string[]) =>
    execa(join(projectRoot, 'bin', 'devenv'), a, { env: { ...process.env, DEVENV_HOME: home } });
  const results = [];
  const baseline = async () => {
    await sql('princess', 'postgres', 'DROP DATABASE IF EXISTS shop_raw');
    await sql('princess', 'postgres', 'CREATE DATABASE shop_raw');
    const run = await measured(() =>
      execa('bash', [
        '-o',
        'pipefail',
        '-c',
        // Each side logs in with the password its container was given (each tier has its own).
        `docker exec prod-db sh -c 'PGPASSWORD="$POSTGRES_PASSWORD" exec pg_dump -h 127.0.0.1 -U shop -Fc shop' | docker exec -i princess-db sh -c 'PGPASSWORD="$POSTGRES_PASSWORD" exec pg_restore -h 127.0.0.1 -U shop --no-owner -d shop_raw'`,
      ]),
    );
    // Without FORCE: autovacuum may be analysing the restored tables, and only plain
    // DROP DATABASE stops it (FORCE refuses to signal a superuser's process).
    await sql('princess', 'postgres', 'DROP DATABASE shop_raw');
    return { seconds: run.seconds, serverCpuSeconds: run.serverCpuSeconds };
  };
  const rebuild = async () => {
    const child = devenv('princess', 'rebuild', '--json');
    const watch = watchProcess(child.pid!);
    const run = await measured(() => child);
    const summary = JSON.parse(run.value.stdout) as {
      rows: number;
      megabytes: number;
      seconds: number;
      leaks: { hits: number };
      phases: Record<string, number>;
    };
    return { summary, seconds: run.seconds, serverCpuSeconds: run.serverCpuSeconds, ...watch.stop() };
  };
  try {
    for (const members of sizes) {
      console.error(`${members} members: fresh prod and princess`);
      for (const stack of ['prod', 'princess']) await devenv(stack, 'down', '--purge-data').catch(() => {});
      await devenv('prod', 'up');
      await devenv('princess', 'up');
      const generateStarted = performance.now();
      await devenv('prod', 'generate', '--members', String(members), '--seed', '11');
      const generateSeconds = (performance.now() - generateStarted) / 1000;

      // Rounds of baseline and rebuild, which goes first alternating, so a burst of
      // other work on the shared machine lands on both sides alike.
      const rounds = [];
      for (let round = 0; round < repeat; round++) {
        console.error(
          `${members} members, round ${round + 1} of ${repeat}: raw pg_dump -Fc | pg_restore, and devenv princess rebuild`,
        );
        const rawFirst = round % 2 === 0;
        const first = rawFirst ? await baseline() : await rebuild();
        const second = rawFirst ? await rebuild() : await baseline();
        const raw = (rawFirst ? first : second) as Awaited<ReturnType<typeof baseline>>;
        const scrubbed = (rawFirst ? second : first) as Awaited<ReturnType<typeof rebuild>>;
        rounds.push({
          raw,
          rebuild: scrubbed,
          ratio: raw.seconds / scrubbed.seconds,
          load: (await readFile('/proc/loadavg', 'utf8')).split(' ')[0],
        });
        const { summary } = scrubbed;
        console.error(
          `  raw ${raw.seconds.toFixed(1)} s (servers ${raw.serverCpuSeconds.toFixed(1)} CPU s), rebuild ${scrubbed.seconds.toFixed(1)} s (servers ${scrubbed.serverCpuSeconds.toFixed(1)} CPU s, devenv ${scrubbed.cpuSeconds.toFixed(1)} CPU s), ` +
            `ratio ${(raw.seconds / scrubbed.seconds).toFixed(2)}x, peak ${scrubbed.peakMiB.toFixed(0)} MiB, leak hits ${summary.leaks.hits}; ` +
            Object.entries(summary.phases)
              .map(([phase, seconds]) => `${phase} ${seconds.toFixed(1)} s`)
              .join(', '),
        );
      }
      const { rows, megabytes } = rounds[0]!.rebuild.summary;
      const rawSeconds = median(rounds.map((r) => r.raw.seconds));
      const rebuildSeconds = median(rounds.map((r) => r.rebuild.seconds));
      const result = {
        members,
        rows,
        megabytes,
        generateSeconds,
        rounds,
        raw: { seconds: rawSeconds, megabytesPerSecond: megabytes / rawSeconds, rowsPerSecond: rows / rawSeconds },
        rebuild: {
          seconds: rebuildSeconds,
          megabytesPerSecond: megabytes / rebuildSeconds,
          rowsPerSecond: rows / rebuildSeconds,
          peakMiB: Math.max(...rounds.map((r) => r.rebuild.peakMiB)),
        },
        /** the median of the rounds' paired ratios */
        throughputRatio: median(rounds.map((r) => r.ratio)),
      };
      results.push(result);
      console.error(
        `${members} members, ${rows} rows, ${megabytes.toFixed(0)} MB: raw ${rawSeconds.toFixed(1)} s (${result.raw.megabytesPerSecond.toFixed(1)} MB/s), ` +
          `scrubbed rebuild ${rebuildSeconds.toFixed(1)} s (${result.rebuild.megabytesPerSecond.toFixed(1)} MB/s, ${Math.round(result.rebuild.rowsPerSecond)} rows/s), ` +
          `ratio ${result.throughputRatio.toFixed(2)}x (median of ${repeat}; goal >= 0.7x), peak ${result.rebuild.peakMiB.toFixed(0)} MiB`,
      );
    }
    console.log(JSON.stringify({ at: new Date().toISOString(), results }, null, 2));
  } finally {
    for (const stack of ['prod', 'princess']) await devenv(stack, 'down', '--purge-data').catch(() => {});
    await rm(home, { recursive: true, force: true });
  }
}

await main();
