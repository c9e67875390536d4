// The scrubber stream: COPY TEXT rows in, scrubbed rows out, however the bytes are chunked.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { decodeRow, encodeRow } from '../../data/copy-text.ts';
import { parseScrubRules } from '../../data/scrub-rules.ts';
import type { ColumnInfo } from '../../data/scrub-rules.ts';
import { columnTransform, createTransforms, keep } from '../../data/scrub-transforms.ts';
import type { ValueTransform } from '../../data/scrub-transforms.ts';
import { createScrubber } from '../../data/scrubber.ts';
import type { ScrubberOptions } from '../../data/scrubber.ts';

const transforms = createTransforms(Buffer.alloc(32, 5), new Set(['María', 'López', 'Anna']));
const columns = ['id', 'name', 'email', 'birth_date', 'last_login_ip'];
const members: ColumnInfo[] = [
  { table: 'members', column: 'id', type: 'int8', nullable: false, unique: true, primaryKey: true },
  { table: 'members', column: 'name', type: 'text', nullable: false, unique: false, primaryKey: false },
  { table: 'members', column: 'email', type: 'text', nullable: false, unique: true, primaryKey: false },
  { table: 'members', column: 'birth_date', type: 'date', nullable: false, unique: false, primaryKey: false },
  { table: 'members', column: 'last_login_ip', type: 'inet', nullable: true, unique: false, primaryKey: false },
];
const rules = parseScrubRules(
  'tables:\n  members:\n    id: keep\n    name: fake-name\n    email: fake-email\n    birth_date: date-shift\n    last_login_ip: null\n',
  members,
);
const perColumn: ValueTransform[] = columns.map((column) =>
  columnTransform(rules.columns.find((r) => r.column === column)!, transforms),
);

const rows: (string | null)[][] = [
  ['1', 'María López', 'maria@example.com', '1984-02-29', '8.8.8.8'],
  ['2', 'Anna\tTab', 'anna@example.com', '1990-12-31', null],
  ['3', 'Zoë 🙂 back\\slash\nnewline', 'zoe@example.com', '2001-01-01', '1.1.1.1'],
];
const input = Buffer.from(rows.map((row) => `${encodeRow(row)}\n`).join(''), 'utf8');
const expected = rows.map((row) => [
  row[0] ?? null,
  ...row.slice(1, 4).map((value, i) => (perColumn[i + 1] as ValueTransform)(value)),
  null,
]);

/** Runs `chunks` through a scrubber and returns its output and final row count. */
async function scrub(
  chunks: Buffer[],
  options: ScrubberOptions = { table: 'members', columns },
  each: readonly ValueTransform[] = perColumn,
): Promise<{ out: Buffer; rows: number }> {
  const scrubber = createScrubber(each, options);
  const out: Buffer[] = [];
  await pipeline(Readable.from(chunks), scrubber, async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) out.push(chunk);
  });
  return { out: Buffer.concat(out), rows: scrubber.rows };
}

const parse = (out: Buffer) =>
  out
    .toString('utf8')
    .split('\n')
    .filter((line, i, all) => i < all.length - 1 || line !== '')
    .map(decodeRow);

describe('the scrubber stream', () => {
  it('scrubs each column with its transform and keeps keep columns byte for byte', async () => {
    const { out, rows: count } = await scrub([input]);
    assert.deepEqual(parse(out), expected);
    assert.equal(count, 3);
    assert.ok(out.toString('utf8').endsWith('\n'));
    assert.ok(!out.toString('utf8').includes('maria@example.com'));
    const escaped = Buffer.from('\\x31\tAnna\ta@example.com\t2000-01-01\t\\N\n');
    assert.ok((await scrub([escaped])).out.toString('utf8').startsWith('\\x31\t'), 'a kept field is not re-encoded');
  });

  it('counts values of must-change columns that came out unchanged, kept ones included', async () => {
    const keepEmail = perColumn.map((t, i) => (i === 2 ? (v: string | null) => v : t));
    const scrubber = createScrubber([perColumn[0]!, perColumn[1]!, keepEmail[2]!, perColumn[3]!, perColumn[4]!], {
      table: 'members',
      columns,
      mustChange: [false, true, true, true, true],
    });
    await pipeline(Readable.from([input]), scrubber, async (source: AsyncIterable<Buffer>) => {
      for await (const _ of source);
    });
    // email passed through by a transform that changes nothing: all 3; the rest changed (ip made null).
    assert.deepEqual(scrubber.unchanged, [0, 0, 3, 0, 0]);
    const kept = createScrubber([keep, keep, keep, keep, keep], { mustChange: [false, false, false, false, true] });
    await pipeline(Readable.from([input]), kept, async (source: AsyncIterable<Buffer>) => {
      for await (const _ of source);
    });
    assert.deepEqual(kept.unchanged, [0, 0, 0, 0, 2], 'a kept column counts its non-null values');
  });

  it('pushes back on its writer when nobody reads its output', () => {
    const scrubber = createScrubber(perColumn, { table: 'members', columns });
    const row = Buffer.from(`${encodeRow(['1', 'Anna', 'a@example.com', '2000-01-01', null])}\n`);
    let writes = 0;
    while (scrubber.write(row)) writes++;
    // Held: at most a high-water mark of output and one of input, each overshot by one row.
    assert.ok(
      scrubber.readableLength <= scrubber.readableHighWaterMark + 4 * row.length,
      `${scrubber.readableLength} bytes of output held`,
    );
    assert.ok(
      scrubber.writableLength <= scrubber.writableHighWaterMark + row.length,
      `${scrubber.writableLength} bytes of input held`,
    );
    assert.ok(
      writes * row.length <= scrubber.readableHighWaterMark + scrubber.writableHighWaterMark + 4 * row.length,
      `"wait" after ${writes} rows`,
    );
    scrubber.destroy();
  });

  it('gives the same rows wherever the input is split, inside UTF-8 characters included', async () => {
    const whole = (await scrub([input])).out;
    for (let cut = 0; cut <= input.length; cut++) {
      const { out } = await scrub([input.subarray(0, cut), input.subarray(cut)]);
      assert.ok(out.equals(whole), `split at byte ${cut}`);
    }
    for (let a = 1; a < input.length; a += 7) {
      for (let b = a; b < input.length; b += 5) {
        const { out } = await scrub([input.subarray(0, a), input.subarray(a, b), input.subarray(b)]);
        assert.ok(out.equals(whole), `split at bytes ${a} and ${b}`);
      }
    }
    const bytes = Array.from(input, (byte) => Buffer.from([byte]));
    assert.ok((await scrub(bytes)).out.equals(whole), 'one byte at a time');
  });

  it('reports progress every N rows', async () => {
    const many = Buffer.from(
      Array.from({ length: 25 }, (_, i) => `${i}\tAnna\ta${i}@example.com\t2000-01-01\t\\N\n`).join(''),
    );
    const seen: number[] = [];
    const { rows: count } = await scrub([many], {
      table: 'members',
      columns,
      progressEvery: 10,
      onProgress: (n) => seen.push(n),
    });
    assert.deepEqual(seen, [10, 20]);
    assert.equal(count, 25);
  });

  it('refuses a copy cut short inside a row', async () => {
    await assert.rejects(scrub([input.subarray(0, input.length - 1)]), (error: Error) =>
      /^the copy of members ended inside row 3 \(no final newline\)/.test(error.message),
    );
  });

  it('refuses a row with the wrong number of fields, naming table, row and columns', async () => {
    await assert.rejects(
      scrub([Buffer.from('1\tAnna\n')]),
      (error: Error) =>
        error.message ===
        'members, row 1: 2 fields for 5 columns (id, name, email, birth_date, last_login_ip); copy exactly these columns, in this order',
    );
  });

  it('names table, column and row when a transform fails, without the value', async () => {
    await assert.rejects(
      scrub([
        Buffer.from(
          `${encodeRow(['1', 'Anna', 'a@example.com', '1984-02-29', null])}\n${encodeRow(['2', 'Anna', 'b@example.com', '29.02.1984', null])}\n`,
        ),
      ]),
      (error: Error) => {
        assert.match(
          error.message,
          /^members\.birth_date, row 2: date-shift needs PostgreSQL's ISO output, got the form "99\.99\.9999"/,
        );
        assert.ok(!error.message.includes('1984'));
        return true;
      },
    );
  });

  it('refuses options that do not match the transforms', () => {
    assert.throws(
      () => createScrubber(perColumn, { table: 'members', columns: ['id'] }),
      /members: 1 column names for 5 transforms/,
    );
    assert.throws(
      () => createScrubber(perColumn, { progressEvery: 0 }),
      /progressEvery must be a positive whole number/,
    );
  });

  it('names columns by position when it was not told their names', async () => {
    await assert.rejects(
      scrub([Buffer.from('1\n')], {}),
      /^Error: the table, row 1: 1 fields for 5 columns \(column 1, column 2,/,
    );
  });
});

describe('inspect: what leaves each column, row by row', () => {
  it('sees every non-null value as it leaves, decoded, kept or scrubbed', async () => {
    const seen: Record<string, string[]> = { id: [], name: [], last_login_ip: [] };
    const inspect = columns.map((column) =>
      column in seen ? (value: string) => void seen[column]!.push(value) : undefined,
    );
    await scrub([input], { table: 'members', columns, inspect });
    assert.deepEqual(seen.id, ['1', '2', '3'], 'a kept column is decoded for the look');
    assert.deepEqual(
      seen.name,
      expected.map((row) => row[1]),
      'the scrubbed values, not the originals',
    );
    assert.deepEqual(seen.last_login_ip, [], 'null comes out: nothing to see');
  });
});
