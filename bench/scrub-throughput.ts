// In-process throughput of the scrubber on COPY TEXT files (no database): each
// file is pushed through a ScrubStream in 64 KiB chunks, as pg-copy-streams
// delivers it, and the rows/s and MB/s are printed.
//
//   bin/node bench/scrub-throughput.ts <dir with members.copy, orders.copy, messages.copy>
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createTransforms, keep, type ValueTransform } from '../data/scrub-transforms.ts';
import { ScrubStream } from '../data/scrubber.ts';

const dir = process.argv[2] ?? '/tmp/pr';
const key = Buffer.alloc(32, 7);

const tables: Record<string, (t: ReturnType<typeof createTransforms>) => ValueTransform[]> = {
  members: (t) => [
    keep,
    t['fake-name'],
    t['fake-email'],
    t['fake-address'],
    t['fake-phone'],
    t['date-shift'],
    t['fake-ip'],
    keep,
  ],
  orders: (t) => [keep, keep, keep, keep, keep, t['fake-address'], keep],
  messages: (t) => [keep, keep, keep, t['redact-text'], keep],
};

const members = await readFile(join(dir, 'members.copy'), 'utf8');
const tokens = new Set<string>();
for (const line of members.split('\n')) for (const w of (line.split('\t')[1] ?? '').split(/\s+/)) if (w) tokens.add(w);
const transforms = createTransforms(key, tokens);
for (const [table, make] of Object.entries(tables)) {
  const data = await readFile(join(dir, `${table}.copy`));
  const chunks = [];
  for (let i = 0; i < data.length; i += 65536) chunks.push(data.subarray(i, i + 65536));
  const scrubber = new ScrubStream(make(transforms));
  const started = performance.now();
  let out = 0;
  await pipeline(
    Readable.from(chunks),
    scrubber,
    new Writable({ write: (c: Buffer, _e, cb) => ((out += c.length), cb()) }),
  );
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `${table.padEnd(9)} ${scrubber.rows} rows ${seconds.toFixed(2)} s ${Math.round(scrubber.rows / seconds)} rows/s ${(data.length / 2 ** 20 / seconds).toFixed(1)} MB/s`,
  );
}
