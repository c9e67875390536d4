// One part of one table streamed from production's COPY TO through the scrubber
// into princess's COPY FROM, with nothing on disk and one unfinished row in memory.
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import type { ColumnRule } from './scrub-rules.ts';
import { columnTransform, type Transforms } from './scrub-transforms.ts';
import { ScrubStream } from './scrubber.ts';

/** A table, or the rows of it whose key lies in [from, to], when the table is copied in parts. */
export interface CopyPart {
  table: string;
  columns: string[];
  range?: { key: string; from: number; to: number };
}

export interface PartCopied {
  rows: number;
  bytes: number;
}

const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** The SELECT a part's COPY TO reads (pure). */
export function partQuery(part: CopyPart): string {
  const where = part.range ? ` WHERE ${ident(part.range.key)} BETWEEN ${part.range.from} AND ${part.range.to}` : '';
  return `SELECT ${part.columns.map(ident).join(', ')} FROM ${ident(part.table)}${where}`;
}

export async function copyPart(prod: pg.Client, next: pg.Client, part: CopyPart, rules: readonly ColumnRule[], transforms: Transforms, onProgress: (rows: number) => void): Promise<PartCopied> {
  // columnTransform keeps JSON valid when free text is redacted inside a jsonb value.
  const perColumn = part.columns.map((column) => columnTransform(rules.find((r) => r.table === part.table && r.column === column)!, transforms));
  const scrubber = new ScrubStream(perColumn, { table: part.table, columns: part.columns, onProgress, progressEvery: 10_000 });
  let bytes = 0;
  const source = prod.query(copyTo(`COPY (${partQuery(part)}) TO STDOUT`));
  source.on('data', (chunk: Buffer) => (bytes += chunk.length));
  await pipeline(source, scrubber, next.query(copyFrom(`COPY ${ident(part.table)} (${part.columns.map(ident).join(', ')}) FROM STDIN`)));
  return { rows: scrubber.rows, bytes };
}
