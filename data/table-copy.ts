// One part of one table streamed from production's COPY TO through the scrubber
// into princess's COPY FROM, with nothing on disk and one unfinished row in memory.
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { ident } from './catalog.ts';
import type { ColumnRule } from './scrub-rules.ts';
import { columnTransform, keep, type Transforms } from './scrub-transforms.ts';
import { ScrubStream } from './scrubber.ts';

/** A table, or the rows of it whose key lies in [from, to], when the table is copied in parts. */
export interface CopyPart {
  table: string;
  columns: string[];
  range?: { key: string; from: number; to: number };
}

export interface PartCopied {
  /** the rows PostgreSQL reports its COPY FROM stored */
  rows: number;
  bytes: number;
  /** Per column that must change: non-null values that came out unchanged (a leak). */
  unchanged: Record<string, number>;
}

/** The SELECT a part's COPY TO reads (pure). */
export function partQuery(part: CopyPart): string {
  const where = part.range ? ` WHERE ${ident(part.range.key)} BETWEEN ${part.range.from} AND ${part.range.to}` : '';
  return `SELECT ${part.columns.map(ident).join(', ')} FROM ${ident(part.table)}${where}`;
}

/**
 * Rows passed through untouched, counted: a raw newline byte always ends a COPY TEXT
 * row (one inside a value is escaped), so nothing needs decoding.
 */
class RowCounter extends Transform {
  rows = 0;
  readonly #onProgress: (rows: number) => void;
  #reported = 0;
  constructor(onProgress: (rows: number) => void) {
    super();
    this.#onProgress = onProgress;
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    for (let at = chunk.indexOf(0x0a); at !== -1; at = chunk.indexOf(0x0a, at + 1)) this.rows++;
    if (this.rows - this.#reported >= 10_000) this.#onProgress((this.#reported = this.rows));
    callback(null, chunk);
  }
}

/**
 * `mustChange` names the part's columns (table.column) whose values must all come
 * out changed; `inspect` has, by column name, what looks at each value leaving.
 */
export async function copyPart(
  prod: pg.Client,
  next: pg.Client,
  part: CopyPart,
  rules: readonly ColumnRule[],
  transforms: Transforms,
  mustChange: ReadonlySet<string>,
  onProgress: (rows: number) => void,
  inspect: Readonly<Record<string, (value: string) => void>> = {},
): Promise<PartCopied> {
  // columnTransform keeps JSON valid when free text is redacted inside a jsonb value.
  const perColumn = part.columns.map((column) =>
    columnTransform(rules.find((r) => r.table === part.table && r.column === column)!, transforms),
  );
  const checked = part.columns.map((column) => mustChange.has(`${part.table}.${column}`));
  const inspected = part.columns.map((column) => inspect[column]);
  // A table kept whole, with nothing to check, is passed through as it comes: no row is split or decoded.
  const between =
    perColumn.every((transform) => transform === keep) &&
    !checked.includes(true) &&
    inspected.every((f) => f === undefined)
      ? new RowCounter(onProgress)
      : new ScrubStream(perColumn, {
          table: part.table,
          columns: part.columns,
          onProgress,
          progressEvery: 10_000,
          mustChange: checked,
          inspect: inspected,
        });
  let bytes = 0;
  const source = prod.query(copyTo(`COPY (${partQuery(part)}) TO STDOUT`));
  source.on('data', (chunk: Buffer) => (bytes += chunk.length));
  const sink = next.query(copyFrom(`COPY ${ident(part.table)} (${part.columns.map(ident).join(', ')}) FROM STDIN`));
  await pipeline(source, between, sink);
  if (sink.rowCount !== between.rows)
    throw new Error(
      `${part.table}: ${between.rows} rows went through the scrubber but PostgreSQL stored ${sink.rowCount}`,
    );
  const unchanged =
    between instanceof ScrubStream
      ? Object.fromEntries(
          part.columns.flatMap((column, i) => (checked[i] ? [[column, between.unchanged[i] ?? 0]] : [])),
        )
      : {};
  return { rows: sink.rowCount, bytes, unchanged };
}
