// The transforms of the scrub rules: deterministic pseudonyms under a secret key.
// Every fake is an HMAC-SHA256 of the real value, so one value gets the same
// pseudonym wherever it appears (members.email and an email inside a message,
// members.name and a name in a message body), across tables and across runs
// with the same key, while nobody without the key can map a fake back.
import { hmacSha256 } from './hmac.ts';
import { typeFamily } from './scrub-rules.ts';
import type { ColumnRule, TransformName } from './scrub-rules.ts';

export type ValueTransform = (value: string | null) => string | null;

export interface Transforms extends Readonly<Record<TransformName, ValueTransform>> {
  /** redact-text for json and jsonb: only inside string literals, so the value stays valid JSON and its numbers untouched. */
  readonly redactJson: ValueTransform;
}

export const minimumKeyBytes = 16;

/** The keep transform; the scrubber recognises it and copies such fields through without decoding them. */
export const keep: ValueTransform = (value) => value;

/** The function a rule applies to its column: redact-text on json or jsonb works inside the JSON's strings. */
export function columnTransform(rule: ColumnRule, transforms: Transforms): ValueTransform {
  return rule.transform === 'redact-text' && typeFamily(rule.type) === 'json'
    ? transforms.redactJson
    : transforms[rule.transform];
}

/**
 * The transforms under `key`. `knownNameTokens` are the distinct
 * whitespace-separated tokens of production's members.name: redact-text replaces
 * them (as written, word-bounded) inside free text, and no pseudonym is ever one of them.
 */
export function createTransforms(key: Buffer | undefined, knownNameTokens: ReadonlySet<string>): Transforms {
  if (!key || key.length < minimumKeyBytes) {
    throw new Error(
      `the scrub key is missing or shorter than ${minimumKeyBytes} bytes (got ${key?.length ?? 0}); give it at least 32 random bytes, e.g. from \`openssl rand -hex 32\``,
    );
  }
  // A copy, so that a caller reusing its buffer cannot change pseudonyms mid-copy.
  const mac = hmacSha256(Buffer.from(key));
  /** The first candidate `make` builds from the HMAC of `value` that `acceptable` takes (the next attempt otherwise). */
  const derive = (
    domain: string,
    value: string,
    make: (bytes: Buffer) => string,
    acceptable: (fake: string) => boolean,
  ): string => {
    // One attempt almost always does; the bound turns a pathological name list into an error instead of a hang.
    for (let attempt = 0; attempt < 1000; attempt++) {
      const fake = make(mac(domain, value, attempt));
      if (acceptable(fake)) return fake;
    }
    throw new Error(
      `no ${domain} pseudonym in 1000 tries differed from the value and from every known name token; pass the words of members' names as known name tokens, nothing more`,
    );
  };

  const knownLowercase = new Set([...knownNameTokens].map((token) => token.toLowerCase()));
  const nameTokens = new BoundedCache<string, string>(10_000);
  const fakeNameToken = (token: string): string => {
    let fake = nameTokens.get(token);
    if (fake === undefined) {
      const lower = token.toLowerCase();
      // Case folded, so "MARIA" and "Maria" share a pseudonym; never a real member's name token, so the leak scan sees no false leak.
      const base = derive(
        'name',
        lower,
        pseudonymToken,
        (candidate) => candidate !== lower && !knownLowercase.has(candidate),
      );
      fake = withShapeOf(token, base);
      nameTokens.set(token, fake);
    }
    return fake;
  };
  // Tokens of punctuation only ("&", "-") say nothing about the person and are kept.
  const fakeName = (name: string): string =>
    name.replace(/\S+/g, (token) => (/[\p{L}\p{N}]/u.test(token) ? fakeNameToken(token) : token));

  const fakeEmail = (email: string): string => {
    const normal = email.trim().toLowerCase();
    // Read as words, "u3de07…" has "ude"; a leak scan splitting text into words must not find a name there.
    const spellsNoName = (fake: string) =>
      !(fake.slice(0, fake.indexOf('@')).match(/[a-z]+/g) ?? []).some((word) => knownNameTokens.has(word));
    // 80 bits: a collision among even 10^9 addresses has odds below 10^-6.
    return derive(
      'email',
      normal,
      (bytes) => `u${bytes.toString('hex').slice(0, 20)}@example.invalid`,
      (fake) => fake !== normal && spellsNoName(fake),
    );
  };

  const fakePhone = (phone: string): string => {
    // Digits only, so "+1 (415) 555-2671" in a column and "+1 415 555 2671" in a message match.
    const digits = phone.replace(/\D/g, '');
    const make = (bytes: Buffer) => {
      const n = bytes.readUInt32BE(0) % 1_000_000;
      return `+1-555-01${String(Math.floor(n / 10_000)).padStart(2, '0')}-${String(n % 10_000).padStart(4, '0')}`;
    };
    return derive('phone', digits, make, (fake) => fake !== phone && fake.replace(/\D/g, '') !== digits);
  };

  const fakeAddress = (address: string): string => {
    const normal = address.trim().replace(/\s+/g, ' ').toLowerCase();
    const make = (bytes: Buffer) => {
      const number = (bytes.readUInt16BE(0) % 9999) + 1;
      const street = capitalise(syllables(bytes.subarray(2), 3));
      const town = capitalise(syllables(bytes.subarray(5), 2));
      return `${number} ${street} ${streetKinds[(bytes[8] ?? 0) % streetKinds.length]}, ${town}ville`;
    };
    return derive('address', normal, make, (fake) => fake.toLowerCase() !== normal);
  };

  const fakeIp = (ip: string): string => {
    const normal = ip.trim().toLowerCase();
    const make = (bytes: Buffer) =>
      `${documentationNetworks[(bytes[0] ?? 0) % documentationNetworks.length]}.${((bytes[1] ?? 0) % 254) + 1}`;
    return derive('ip', normal, make, (fake) => fake !== normal && `${fake}/32` !== normal);
  };

  // Dates repeat (some 36,500 birthdays in a century), so most shifts are remembered rather than computed.
  const shiftedDates = new BoundedCache<string, string>(50_000);
  const dateShift = (value: string): string => {
    let shifted = shiftedDates.get(value);
    if (shifted === undefined) shiftedDates.set(value, (shifted = shiftDate(value, shiftDays(mac('date', value, 0)))));
    return shifted;
  };

  const hash = (value: string): string => mac('hash', value, 0).toString('hex');

  const firstWords = new Set([...knownNameTokens].map((token) => /^[\p{L}\p{M}\p{N}_]+/u.exec(token)?.[0] ?? ''));
  const names: KnownNames = {
    tokens: knownNameTokens,
    firstWords,
    firstUnits: new Set([...firstWords].filter((w) => w !== '').map((w) => w.charCodeAt(0))),
    longest: [...knownNameTokens].reduce((longest, token) => Math.max(longest, token.length), 0),
    fake: fakeNameToken,
  };
  const redactText = (text: string): string => redact(text, fakeEmail, fakePhone, names);

  const nullable =
    (transform: (value: string) => string): ValueTransform =>
    (value) =>
      value === null ? null : transform(value);
  return {
    keep,
    null: () => null,
    'fake-name': nullable(fakeName),
    'fake-email': nullable(fakeEmail),
    'fake-address': nullable(fakeAddress),
    'fake-phone': nullable(fakePhone),
    'fake-ip': nullable(fakeIp),
    'date-shift': nullable(dateShift),
    hash: nullable(hash),
    'redact-text': nullable(redactText),
    // Each JSON string literal decoded, redacted and written back; untouched literals keep their spelling.
    redactJson: nullable((json) =>
      json.replace(/"(?:[^"\\]|\\.)*"/g, (literal) => {
        const text = JSON.parse(literal) as string;
        const redacted = redactText(text);
        return redacted === text ? literal : JSON.stringify(redacted);
      }),
    ),
  };
}

const streetKinds = ['Street', 'Lane', 'Road', 'Way'];
const documentationNetworks = ['192.0.2', '198.51.100', '203.0.113'];

// Syllables that read as names but, put together, rarely spell a real one; the
// endings (x, z, q, double consonants) mark a pseudonym as synthetic at a glance.
const onsets = ['ka', 'te', 'zo', 'vi', 'mu', 'ry', 'lo', 'fe', 'qui', 'dra', 'sa', 'no', 'be', 'tsu', 'go', 'xe'];
const middles = ['vo', 'lim', 'ra', 'ne', 'do', 'ki', 'sel', 'mo', 'tu', 'ga', 'ri', 'pe', 'ny', 'zu', 'la', 'ko'];
const endings = [
  'ru',
  'mbe',
  'xo',
  'zan',
  'kku',
  'vex',
  'tsa',
  'qen',
  'ddi',
  'zel',
  'nox',
  'ppa',
  'vru',
  'lqe',
  'xis',
  'zzo',
];

/** A lowercase pseudonym of 2 to 4 syllables: an onset, up to two middles, an ending (about 70,000 of them). */
function pseudonymToken(bytes: Buffer): string {
  return syllables(bytes.subarray(1), 2 + ((bytes[0] ?? 0) % 3));
}

/** `count` syllables (at least 2) chosen by `bytes`: an onset, middles, an ending. */
function syllables(bytes: Buffer, count: number): string {
  const pick = (list: readonly string[], i: number) => list[(bytes[i] ?? 0) % list.length] as string;
  let word = pick(onsets, 0);
  for (let i = 1; i < count - 1; i++) word += pick(middles, i);
  return word + pick(endings, count - 1);
}

const capitalise = (word: string): string => word.charAt(0).toUpperCase() + word.slice(1);

/** `base` (lowercase) written the way `token` is: UPPER, lower or Capitalised. */
function withShapeOf(token: string, base: string): string {
  const letters = token.replace(/\P{L}/gu, '');
  if (letters.length > 1 && letters === letters.toUpperCase()) return base.toUpperCase();
  if (letters === letters.toLowerCase()) return base;
  return capitalise(base);
}

/** Days in [-180, -1] or [1, 180]: never 0, so no date survives unchanged. */
function shiftDays(bytes: Buffer): number {
  const n = bytes.readUInt32BE(0) % 360;
  return n < 180 ? n - 180 : n - 179;
}

// PostgreSQL's ISO output: date, then for timestamps the time and, for timestamptz, the offset; BC last.
const isoDate = /^(\d{4,})-(\d{2})-(\d{2})( \d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:[+-]\d{2}(?::\d{2}){0,2})?)?( BC)?$/;

/** A date, timestamp or timestamptz in PostgreSQL's ISO text output, `days` later; the time of day and offset are kept. */
function shiftDate(value: string, days: number): string {
  if (value === 'infinity' || value === '-infinity') return value;
  const match = isoDate.exec(value);
  // The value's form only (digits as 9, letters as a): error messages end up in logs, personal data must not.
  if (!match)
    throw new Error(
      `date-shift needs PostgreSQL's ISO output, got the form "${value.replace(/\d/g, '9').replace(/\p{L}/gu, 'a').slice(0, 40)}"; copy with DateStyle ISO`,
    );
  const [, year, month, day, time = '', bc] = match as unknown as [
    string,
    string,
    string,
    string,
    string | undefined,
    string | undefined,
  ];
  // Astronomical years (1 BC is year 0), so a shift can cross the era.
  const date = new Date(0);
  date.setUTCFullYear(bc ? 1 - Number(year) : Number(year), Number(month) - 1, Number(day) + days);
  const shiftedYear = date.getUTCFullYear();
  const pad = (n: number, width: number) => String(n).padStart(width, '0');
  const ymd = `${pad(shiftedYear > 0 ? shiftedYear : 1 - shiftedYear, 4)}-${pad(date.getUTCMonth() + 1, 2)}-${pad(date.getUTCDate(), 2)}`;
  return `${ymd}${time}${shiftedYear > 0 ? '' : ' BC'}`;
}

const email = /[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.\p{L}{2,}/gu;
// 7 to 15 digits (E.164) with spaces, dots, dashes or brackets between them, as in "+1 (415) 555-2671"; not glued to a word or a longer number.
const phone = /(?<![\p{L}\p{N}+])\+?\(?\d(?:[ .()-]{0,2}\d){6,14}(?![\p{L}\p{N}])/gu;
const isoDateOnly = /^\d{4}-\d{2}-\d{2}$/;
const wordChar = /[\p{L}\p{M}\p{N}_]/u;

/** Looks like a phone number rather than a date, an amount or an id. */
function isPhoneLike(run: string): boolean {
  if (isoDateOnly.test(run)) return false;
  const digits = run.replace(/\D/g, '').length;
  return run.startsWith('+') || /[ .()-]/.test(run) || digits >= 10;
}

interface KnownNames {
  readonly tokens: ReadonlySet<string>;
  /** The word each token begins with ("Jean" of "Jean-Luc", "O" of "O'Brien"): any other word is passed over at once (so is a token opening with punctuation). */
  readonly firstWords: ReadonlySet<string>;
  /** The first UTF-16 unit of each first word: most words are passed over on this alone. */
  readonly firstUnits: ReadonlySet<number>;
  /** The length of the longest token, which bounds the candidates tried at each word. */
  readonly longest: number;
  readonly fake: (token: string) => string;
}

/**
 * Free text with its emails, phone numbers and known name tokens replaced, in
 * that order; what one step wrote is never looked at by the next.
 */
function redact(
  text: string,
  fakeEmail: (email: string) => string,
  fakePhone: (phone: string) => string,
  names: KnownNames,
): string {
  // An email needs an @ and a phone number a digit: text without one skips that pass (most messages).
  const withoutPhones = (rest: string) =>
    /\d/.test(rest)
      ? replaceOutside(
          rest,
          rest.matchAll(phone),
          (run) => (isPhoneLike(run) ? fakePhone(run) : run),
          (words) => replaceNames(words, names),
        )
      : replaceNames(rest, names);
  return text.includes('@') ? replaceOutside(text, emailsIn(text), fakeEmail, withoutPhones) : withoutPhones(text);
}

/** `text` with each match of `pattern` replaced and everything between matches handed to `between`. */
function replaceOutside(
  text: string,
  matches: Iterable<{ index: number; 0: string }>,
  replace: (match: string) => string,
  between: (part: string) => string,
): string {
  let out = '';
  let last = 0;
  for (const match of matches) {
    out += between(text.slice(last, match.index)) + replace(match[0]);
    last = match.index + match[0].length;
  }
  return out + between(text.slice(last));
}

const isAsciiSpace = (code: number) => code === 0x20 || (code >= 0x09 && code <= 0x0d);

/**
 * The email matches of `text`, as `text.matchAll(email)` finds them. An email never
 * holds whitespace, so each match lies in a run without it around an @: only those
 * runs are searched, not the whole text (the unicode pattern is slow to scan with).
 */
function* emailsIn(text: string): Generator<{ index: number; 0: string }> {
  for (let at = text.indexOf('@'); at !== -1; ) {
    let start = at;
    while (start > 0 && !isAsciiSpace(text.charCodeAt(start - 1))) start--;
    let end = at + 1;
    while (end < text.length && !isAsciiSpace(text.charCodeAt(end))) end++;
    for (const match of text.slice(start, end).matchAll(email)) yield { index: start + match.index, 0: match[0] };
    at = text.indexOf('@', end);
  }
}

/** [A-Za-z0-9_] */
function isAsciiWordChar(code: number): boolean {
  return (
    (code >= 0x61 && code <= 0x7a) || (code >= 0x41 && code <= 0x5a) || (code >= 0x30 && code <= 0x39) || code === 0x5f
  );
}

/** Is the character at `i` a word character ([\p{L}\p{M}\p{N}_]), and how many code units it takes. */
function wordUnitAt(text: string, i: number): number {
  const code = text.charCodeAt(i);
  if (code < 0x80) return isAsciiWordChar(code) ? 1 : 0;
  const point = text.codePointAt(i)!;
  const units = point > 0xffff ? 2 : 1;
  return wordChar.test(String.fromCodePoint(point)) ? units : -units;
}

/**
 * Known name tokens, as written and word-bounded. Only a word that begins some
 * token is looked at further, longest candidate first and never across a space,
 * so "Lopez," finds "Lopez" and "Jean-Luc" wins over "Jean" when both are names.
 * Words are read by hand rather than by a regular expression: this runs on every
 * word of every message, and a word whose first character begins no token is
 * passed over without being cut out of the text.
 */
function replaceNames(text: string, names: KnownNames): string {
  let out = '';
  let done = 0;
  let i = 0;
  const length = text.length;
  while (i < length) {
    const code = text.charCodeAt(i);
    // ASCII inline (nearly all text), the rest through wordUnitAt.
    const unit = code < 0x80 ? (isAsciiWordChar(code) ? 1 : 0) : wordUnitAt(text, i);
    if (unit <= 0) {
      i += unit === 0 ? 1 : -unit;
      continue;
    }
    const start = i;
    i += unit;
    while (i < length) {
      const next = text.charCodeAt(i);
      if (next < 0x80) {
        if (!isAsciiWordChar(next)) break;
        i++;
      } else {
        const units = wordUnitAt(text, i);
        if (units <= 0) break;
        i += units;
      }
    }
    if (start < done || !names.firstUnits.has(text.charCodeAt(start)) || !names.firstWords.has(text.slice(start, i)))
      continue;
    const found = longestTokenAt(text, start, names);
    if (!found) continue;
    out += text.slice(done, start) + names.fake(found);
    done = start + found.length;
  }
  return out + text.slice(done);
}

function longestTokenAt(text: string, start: number, names: KnownNames): string | undefined {
  const space = text.slice(start, start + names.longest).search(/\s/);
  for (let end = space === -1 ? Math.min(text.length, start + names.longest) : start + space; end > start; end--) {
    // A word boundary after the candidate: the text ends, or a word does not go on.
    if (end < text.length && wordChar.test(text[end] as string) && wordChar.test(text[end - 1] as string)) continue;
    const candidate = text.slice(start, end);
    if (names.tokens.has(candidate)) return candidate;
  }
  return undefined;
}

/**
 * A Map that forgets what has not been used for a while, so memory stays flat over
 * millions of rows: two generations, the older dropped whole when the newer fills,
 * an entry used meanwhile carried over. Cheaper than exact LRU order (no delete and
 * re-insert on every hit), which matters on the path of every value.
 */
class BoundedCache<K, V> {
  #current = new Map<K, V>();
  #previous = new Map<K, V>();
  readonly #capacity: number;
  constructor(capacity: number) {
    this.#capacity = capacity;
  }
  get(key: K): V | undefined {
    const value = this.#current.get(key);
    if (value !== undefined) return value;
    const old = this.#previous.get(key);
    if (old !== undefined) this.set(key, old);
    return old;
  }
  set(key: K, value: V): void {
    if (this.#current.size >= this.#capacity) {
      this.#previous = this.#current;
      this.#current = new Map();
    }
    this.#current.set(key, value);
  }
}
