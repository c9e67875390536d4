// The stream between production's COPY TO and princess's COPY FROM for one
// table: COPY TEXT rows in, the same rows with each column's transform applied
// out. Chunks may split a row (or a UTF-8 character) anywhere; only the unfinished
// row is held back, and Transform's own backpressure does the rest.
import { Transform } from 'node:stream';
import type { TransformCallback } from 'node:stream';
import { decodeField, encodeField, splitFields } from './copy-text.ts';
import { keep } from './scrub-transforms.ts';
import type { ValueTransform } from './scrub-transforms.ts';

export interface ScrubberOptions {
  /** For messages: the table, and its columns in copy order. */
  readonly table?: string;
  readonly columns?: readonly string[];
  /** Called with the row count every `progressEvery` rows (10,000 unless set). */
  readonly onProgress?: (rows: number) => void;
  readonly progressEvery?: number;
  /**
   * Columns (in copy order) whose every non-null value must come out changed: the
   * catalog's personal columns other than free text. How many did not is counted
   * per column, a row-by-row leak check that costs one comparison.
   */
  readonly mustChange?: readonly boolean[];
  /**
   * Per column (in copy order), what looks at each of its non-null values as it
   * leaves, kept or scrubbed: the leak check of free text, row by row.
   */
  readonly inspect?: readonly (((value: string) => void) | undefined)[];
}

const newline = 0x0a;

export class ScrubStream extends Transform {
  /** Per column in copy order; keep is copied through without decoding. */
  readonly #transforms: readonly ValueTransform[];
  readonly #table: string;
  readonly #columns: readonly string[];
  readonly #onProgress: ((rows: number) => void) | undefined;
  readonly #progressEvery: number;
  readonly #mustChange: readonly boolean[];
  readonly #unchanged: number[];
  readonly #inspect: readonly (((value: string) => void) | undefined)[];
  /** The bytes of the row not yet ended by a newline. */
  #pending: Buffer[] = [];
  #rows = 0;

  constructor(transforms: readonly ValueTransform[], options: ScrubberOptions = {}) {
    super();
    const {
      table = 'the table',
      columns = transforms.map((_, i) => `column ${i + 1}`),
      onProgress,
      progressEvery = 10_000,
      mustChange = [],
      inspect = [],
    } = options;
    if (columns.length !== transforms.length)
      throw new Error(
        `${table}: ${columns.length} column names for ${transforms.length} transforms; give one transform per copied column`,
      );
    if (!Number.isInteger(progressEvery) || progressEvery < 1)
      throw new Error(`progressEvery must be a positive whole number of rows, got ${progressEvery}`);
    this.#transforms = transforms;
    this.#table = table;
    this.#columns = columns;
    this.#onProgress = onProgress;
    this.#progressEvery = progressEvery;
    this.#mustChange = transforms.map((_, i) => mustChange[i] === true);
    this.#unchanged = transforms.map(() => 0);
    this.#inspect = transforms.map((_, i) => inspect[i]);
  }

  /** Per column in copy order: non-null values that came out as they went in (only counted where they must change). */
  get unchanged(): readonly number[] {
    return this.#unchanged;
  }

  /** Rows scrubbed so far. */
  get rows(): number {
    return this.#rows;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      // Rows end at the chunk's last newline; a newline byte never sits inside a
      // UTF-8 character, so the rows before it decode as one string.
      const last = chunk.lastIndexOf(newline);
      if (last === -1) {
        if (chunk.length > 0) this.#pending.push(chunk);
        callback();
        return;
      }
      const head =
        this.#pending.length > 0 ? Buffer.concat([...this.#pending, chunk.subarray(0, last)]) : chunk.subarray(0, last);
      this.#pending = last + 1 < chunk.length ? [chunk.subarray(last + 1)] : [];
      const text = head.toString('utf8');
      let out = '';
      let start = 0;
      for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
        out += this.#scrubRow(text.slice(start, end));
        start = end + 1;
      }
      out += this.#scrubRow(text.slice(start));
      callback(null, Buffer.from(out, 'utf8'));
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    if (this.#pending.length > 0) {
      callback(
        new Error(
          `the copy of ${this.#table} ended inside row ${this.#rows + 1} (no final newline): it was cut short; copy the table again`,
        ),
      );
      return;
    }
    callback();
  }

  #scrubRow(line: string): string {
    const row = ++this.#rows;
    const fields = splitFields(line);
    if (fields.length !== this.#columns.length) {
      throw new Error(
        `${this.#table}, row ${row}: ${fields.length} fields for ${this.#columns.length} columns (${this.#columns.join(', ')}); copy exactly these columns, in this order`,
      );
    }
    for (let i = 0; i < fields.length; i++) {
      const transform = this.#transforms[i];
      const field = fields[i] as string;
      const inspect = this.#inspect[i];
      if (transform === keep || transform === undefined) {
        if (this.#mustChange[i] && field !== '\\N') this.#unchanged[i]!++;
        if (inspect !== undefined && field !== '\\N') inspect(decodeField(field)!);
        continue;
      }
      try {
        const value = decodeField(field);
        const fake = transform(value);
        if (this.#mustChange[i] && value !== null && fake === value) this.#unchanged[i]!++;
        if (inspect !== undefined && fake !== null) inspect(fake);
        fields[i] = encodeField(fake);
      } catch (error) {
        throw new Error(`${this.#table}.${this.#columns[i]}, row ${row}: ${(error as Error).message}`);
      }
    }
    if (row % this.#progressEvery === 0) this.#onProgress?.(row);
    return `${fields.join('\t')}\n`;
  }
}

/** A scrubber for one table's copy: `transforms[i]` applies to the copy's i-th column. */
export function createScrubber(transforms: readonly ValueTransform[], options: ScrubberOptions = {}): ScrubStream {
  return new ScrubStream(transforms, options);
}
