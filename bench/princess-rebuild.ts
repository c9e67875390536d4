// Princess rebuild against the raw baseline, on the same data in the same run:
// `pg_dump -Fc | pg_restore` of prod into princess's server without scrubbing,
// then `devenv princess rebuild`. Throughput (MB/s of COPY text, rows/s) and the
// rebuild's peak memory and where its time went, for each size.
//
//   bin/node bench/princess-rebuild.ts [--members 100000,1000000]
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { projectRoot } from '../cli/paths.ts';
import { connect } from '../cli/postgres.ts';

const args = process.argv.slice(2);
const membersAt = args.indexOf('--members');
const sizes = (membersAt >= 0 ? (args[membersAt + 1] ?? '') : '100000,1000000').split(',').map(Number);

async function sql(stack: string, database: string, text: string): Promise<void> {
  const client = await connect(stack, database);
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** Peak resident memory of a running process, read from /proc until it exits. */
function watchPeakMemory(pid: number): { stop: () => number } {
  let peak = 0;
  const timer = setInterval(() => {
    readFile(`/proc/${pid}/status`, 'utf8').then(
      (status) => (peak = Math.max(peak, Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024)),
      () => {},
    );
  }, 100);
  return { stop: () => (clearInterval(timer), peak) };
}

async function main(): Promise<void> {
  const home = await mkdtemp(join(tmpdir(), 'devenv-bench-princess-'));
  await writeFile(join(home, 'scrub.key'), randomBytes(32).toString('hex'));
  const devenv = (...a: string[]) => execa(join(projectRoot, 'bin', 'devenv'), a, { env: { ...process.env, DEVENV_HOME: home } });
  const results = [];
  try {
    for (const members of sizes) {
      console.error(`${members} members: fresh prod and princess`);
      for (const stack of ['prod', 'princess']) await devenv(stack, 'down', '--purge-data').catch(() => {});
      await devenv('prod', 'up');
      await devenv('princess', 'up');
      const generateStarted = performance.now();
      await devenv('prod', 'generate', '--members', String(members), '--seed', '11');
      const generateSeconds = (performance.now() - generateStarted) / 1000;

      console.error(`${members} members: raw baseline pg_dump -Fc | pg_restore`);
      await sql('princess', 'postgres', 'DROP DATABASE IF EXISTS shop_raw WITH (FORCE)');
      await sql('princess', 'postgres', 'CREATE DATABASE shop_raw');
      const rawStarted = performance.now();
      await execa('bash', ['-o', 'pipefail', '-c',
        'docker exec -e PGPASSWORD=shop prod-db pg_dump -h 127.0.0.1 -U shop -Fc shop | docker exec -i -e PGPASSWORD=shop princess-db pg_restore -h 127.0.0.1 -U shop --no-owner -d shop_raw']);
      const rawSeconds = (performance.now() - rawStarted) / 1000;
      // Without FORCE: autovacuum may be analysing the restored tables, and only plain
      // DROP DATABASE stops it (FORCE refuses to signal a superuser's process).
      await sql('princess', 'postgres', 'DROP DATABASE shop_raw');

      console.error(`${members} members: devenv princess rebuild`);
      const rebuildStarted = performance.now();
      const rebuild = devenv('princess', 'rebuild', '--json');
      const memory = watchPeakMemory(rebuild.pid!);
      const summary = JSON.parse((await rebuild).stdout) as { rows: number; megabytes: number; seconds: number; leaks: { hits: number }; phases: Record<string, number> };
      const rebuildSeconds = (performance.now() - rebuildStarted) / 1000;
      const peakMiB = memory.stop();
      const result = {
        members,
        rows: summary.rows,
        megabytes: summary.megabytes,
        generateSeconds,
        raw: { seconds: rawSeconds, megabytesPerSecond: summary.megabytes / rawSeconds, rowsPerSecond: summary.rows / rawSeconds },
        rebuild: { seconds: rebuildSeconds, megabytesPerSecond: summary.megabytes / rebuildSeconds, rowsPerSecond: summary.rows / rebuildSeconds, peakMiB, leakHits: summary.leaks.hits, phases: summary.phases },
        throughputRatio: rawSeconds / rebuildSeconds,
      };
      results.push(result);
      console.error(
        `${members} members, ${summary.rows} rows, ${summary.megabytes.toFixed(0)} MB: raw ${rawSeconds.toFixed(1)} s (${result.raw.megabytesPerSecond.toFixed(1)} MB/s), ` +
          `scrubbed rebuild ${rebuildSeconds.toFixed(1)} s (${result.rebuild.megabytesPerSecond.toFixed(1)} MB/s, ${Math.round(result.rebuild.rowsPerSecond)} rows/s), ` +
          `ratio ${result.throughputRatio.toFixed(2)}x (goal >= 0.7x), peak ${peakMiB.toFixed(0)} MiB; ` +
          Object.entries(summary.phases).map(([phase, seconds]) => `${phase} ${seconds.toFixed(1)} s`).join(', '),
      );
    }
    console.log(JSON.stringify({ at: new Date().toISOString(), results }, null, 2));
  } finally {
    for (const stack of ['prod', 'princess']) await devenv(stack, 'down', '--purge-data').catch(() => {});
    await rm(home, { recursive: true, force: true });
  }
}

await main();
