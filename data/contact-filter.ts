// Every production email, phone number and name word (what a message may quote of
// a member: their contacts), in a Bloom filter the copy workers share, so each
// message that leaves the scrubber is checked against all of them (not a sample):
// the emails, phone-shaped runs and words the leak scan's own finder
// (text-finds.ts) reads in the scrubbed text are looked up as written, and the few
// the filter may hold are confirmed against production afterwards. A Bloom filter
// never misses a value it holds; what it holds by chance the confirmation drops.
// Its size is bounded, so memory stays flat: more values only make chance matches,
// and so confirmations, more frequent.
import { mix32 } from './mix32.ts';
import { findContacts, forEachWord } from './text-finds.ts';

export type ContactKind = 'emails' | 'phones' | 'names';

/** The filter's bits and, before them, whether it is filled and the first units of its words. */
export interface SharedContactFilter {
  readonly buffer: SharedArrayBuffer;
}

/** The filter's first word: being filled, filled, or filling it failed. */
const filling = 0;
export const filterReady = 1;
export const filterFailed = 2;

const hashes = 7;
/** At least 16 bits per value: chance matches 0.08% with 10^5 values, 0.16% with 2 x 10^6 (measured); 4 MB at most. */
const bitsPerValue = 16;
const fewestBits = 2 ** 16;
const mostBits = 2 ** 25;
/**
 * Bits per block: a value's 7 bits all lie in one block of one cache line (64
 * bytes), so a lookup costs one memory access however big the filter, where 7
 * spread over 4 MB cost 7 (a filter blocked this way matches by chance a little
 * more often at the same size).
 */
const blockBits = 512;

/** A filter sized for about `values` values (pure). */
export function createContactFilter(values: number): SharedContactFilter {
  const wanted = Math.min(mostBits, Math.max(fewestBits, values * bitsPerValue));
  const bits = 2 ** Math.ceil(Math.log2(wanted));
  return { buffer: new SharedArrayBuffer(headerBytes + bits / 8) };
}

/** The state word, then a bit per UTF-16 unit: which units start a name word. */
const headerBytes = 4 + 65536 / 8;

/** Two independent 32-bit hashes of the UTF-16 units of `value[from, to)`: one picks the block, the other the bits in it. */
function hashPair(value: string, from: number, to: number): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  for (let i = from; i < to; i++) {
    const code = value.charCodeAt(i);
    a = Math.imul(a ^ code, 0x01000193);
    b = Math.imul(b ^ code, 0x5bd1e995);
    b ^= b >>> 15;
  }
  return [mix32(a), mix32(b)];
}

/** A view of a shared filter: add values (one thread), ask about them (any). */
export class ContactFilter {
  readonly #state: Int32Array;
  /** a bit per UTF-16 unit: some name word starts with it */
  readonly #firstUnits: Uint32Array;
  readonly #words: Uint32Array;
  /** the last block's number: blocks are a power of two */
  readonly #blockMask: number;

  constructor(shared: SharedContactFilter) {
    this.#state = new Int32Array(shared.buffer, 0, 1);
    this.#firstUnits = new Uint32Array(shared.buffer, 4, 65536 / 32);
    this.#words = new Uint32Array(shared.buffer, headerBytes);
    this.#blockMask = (this.#words.length * 32) / blockBits - 1;
  }

  /** Adds an email or a phone number. */
  add(value: string): void {
    this.#probe(value, 0, value.length, true);
  }

  /** Adds a name word, and its first unit to those words start with. */
  addWord(word: string): void {
    const unit = word.charCodeAt(0);
    this.#firstUnits[unit >>> 5]! |= 1 << (unit & 31);
    this.#probe(word, 0, word.length, true);
  }

  /** False: production has no such value. True: it may (confirm it). */
  mayHold(value: string): boolean {
    return this.#probe(value, 0, value.length, false);
  }

  /**
   * mayHold for the word `text[from, to)`, without cutting it out. Most words
   * start with a unit no name word starts with (names are written capitalised),
   * so they cost one bit read, not a hash and a memory access in a large filter.
   */
  mayHoldWord(text: string, from: number, to: number): boolean {
    const unit = text.charCodeAt(from);
    return (this.#firstUnits[unit >>> 5]! & (1 << (unit & 31))) !== 0 && this.#probe(text, from, to, false);
  }

  /** The 7 bits of `value[from, to)`: set them (`add`), or whether all are set. */
  #probe(value: string, from: number, to: number, add: boolean): boolean {
    const [h1, h2] = hashPair(value, from, to);
    const first = (h1 & this.#blockMask) * (blockBits / 32);
    // The bits in the block: h2 and a step made odd from it walk 7 distinct places of 512.
    const step = (h2 >>> 9) | 1;
    for (let i = 0; i < hashes; i++) {
      const bit = (h2 + Math.imul(i, step)) & (blockBits - 1);
      const word = first + (bit >>> 5);
      const mask = 1 << (bit & 31);
      if (add) this.#words[word]! |= mask;
      else if ((this.#words[word]! & mask) === 0) return false;
    }
    return true;
  }

  /** Marks the filter filled (or not) and wakes the threads waiting for it. */
  settle(state: typeof filterReady | typeof filterFailed): void {
    Atomics.store(this.#state, 0, state);
    Atomics.notify(this.#state, 0);
  }

  /** Blocks this thread (a worker's) until the filter is filled; false when filling it failed. */
  waitReady(): boolean {
    Atomics.wait(this.#state, 0, filling);
    return Atomics.load(this.#state, 0) === filterReady;
  }
}

/** What one column's check found: the values the filter may hold, with how often each came, as written. */
export interface ContactFinds {
  /** rows whose value was looked at */
  rows: number;
  emails: [string, number][];
  phones: [string, number][];
  names: [string, number][];
  /** per kind, matches past the ones held (heldFinds distinct per kind): counted as hits, since they cannot be confirmed */
  unconfirmed: Record<ContactKind, number>;
}

/** Distinct matches held per kind and column: chance matches stay far below it unless data leaks wholesale. */
const heldFinds = 10_000;

/** Checks scrubbed text, value by value, against the filter; bounded memory. */
export class ContactCheck {
  /** the filter, asked for at the first value (it may still be filling when the check is made) */
  readonly #filter: () => ContactFilter;
  readonly #held: Record<ContactKind, Map<string, number>> = { emails: new Map(), phones: new Map(), names: new Map() };
  #rows = 0;
  readonly #unconfirmed: Record<ContactKind, number> = { emails: 0, phones: 0, names: 0 };

  constructor(filter: () => ContactFilter) {
    this.#filter = filter;
  }

  inspect(text: string): void {
    this.#rows++;
    const filter = this.#filter();
    findContacts(text, (kind, value) => {
      if (filter.mayHold(value)) this.#hold(kind, value);
    });
    forEachWord(text, (from, to) => {
      if (filter.mayHoldWord(text, from, to)) this.#hold('names', text.slice(from, to));
    });
  }

  #hold(kind: ContactKind, value: string): void {
    const held = this.#held[kind];
    const n = held.get(value);
    if (n !== undefined) held.set(value, n + 1);
    else if (held.size < heldFinds) held.set(value, 1);
    else this.#unconfirmed[kind]++;
  }

  finds(): ContactFinds {
    return {
      rows: this.#rows,
      emails: [...this.#held.emails],
      phones: [...this.#held.phones],
      names: [...this.#held.names],
      unconfirmed: { ...this.#unconfirmed },
    };
  }
}

/** Two parts' finds of one column as one, held as a part's are (pure). */
export function mergeFinds(a: ContactFinds | undefined, b: ContactFinds): ContactFinds {
  if (a === undefined) return b;
  const unconfirmed = {
    emails: a.unconfirmed.emails + b.unconfirmed.emails,
    phones: a.unconfirmed.phones + b.unconfirmed.phones,
    names: a.unconfirmed.names + b.unconfirmed.names,
  };
  const merge = (kind: ContactKind) => {
    const all = new Map(a[kind]);
    for (const [value, n] of b[kind]) {
      const before = all.get(value);
      if (before !== undefined || all.size < heldFinds) all.set(value, (before ?? 0) + n);
      else unconfirmed[kind] += n;
    }
    return [...all];
  };
  return {
    rows: a.rows + b.rows,
    emails: merge('emails'),
    phones: merge('phones'),
    names: merge('names'),
    unconfirmed,
  };
}
