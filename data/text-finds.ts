// What the leak scan looks up from free text: everything shaped like an email or
// a phone number, and every word (a name word alone is a leak too). Pure, so the
// scan can run it in the process over the text streamed out of PostgreSQL, which
// is several times cheaper than PostgreSQL's own regular expressions and splits.
//
// These patterns are the scan's own, deliberately not the scrubber's: the check
// must not share the code it checks.

export type TextFindKind = 'emails' | 'phones' | 'names';

const emailPattern = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+[A-Za-z]/g;
const phonePattern = /\+?[0-9(][0-9 ().-]{5,}[0-9]/g;
const hasDigit = /[0-9]/;
const letter = /\p{Alphabetic}/u;

const apostrophe = 0x27;
const hyphen = 0x2d;

/** A word holds letters (any script), apostrophes and hyphens: "O'Neil", "Jean-Luc". */
function isWordUnit(text: string, i: number): boolean {
  const code = text.charCodeAt(i);
  if (code < 0x80)
    return (code >= 0x61 && code <= 0x7a) || (code >= 0x41 && code <= 0x5a) || code === apostrophe || code === hyphen;
  // Outside ASCII: a letter decides, surrogate pairs read whole.
  const point = text.codePointAt(i)!;
  return letter.test(String.fromCodePoint(point));
}

/** Words worth reporting, and the first UTF-16 unit of each, so most words are passed over without being cut out. */
export interface WordSet {
  readonly words: ReadonlySet<string>;
  readonly firstUnits: ReadonlySet<number>;
}

export function wordSet(words: Iterable<string>): WordSet {
  const set = new Set([...words].filter((w) => w !== ''));
  return { words: set, firstUnits: new Set([...set].map((w) => w.charCodeAt(0))) };
}

/**
 * Calls `found` with each email, phone-shaped run and word of `text`, in order of
 * kind; with `only`, just the words in it (the rest cannot be a hit).
 */
export function findInText(text: string, found: (kind: TextFindKind, value: string) => void, only?: WordSet): void {
  findContacts(text, found);
  forEachWord(text, (from, to) => {
    if (only && !only.firstUnits.has(text.charCodeAt(from))) return;
    const word = text.slice(from, to);
    if (!only || only.words.has(word)) found('names', word);
  });
}

/**
 * Calls `word` with the bounds of each word of `text`, in order, without cutting
 * any out. ASCII by a table, the rest by `isWordUnit`: the copy runs this on
 * every message.
 */
export function forEachWord(text: string, word: (from: number, to: number) => void): void {
  const length = text.length;
  let start = -1;
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80 ? asciiWordUnits[code] === 1 : isWordUnit(text, i)) {
      if (start === -1) start = i;
    } else if (start !== -1) {
      word(start, i);
      start = -1;
    }
    // The low half of a surrogate pair belongs to the character just read.
    if (code >= 0xd800 && code <= 0xdbff) i++;
  }
  if (start !== -1) word(start, length);
}

/** isWordUnit below 128, by character code. */
const asciiWordUnits = Uint8Array.from({ length: 128 }, (_, code) =>
  isWordUnit(String.fromCharCode(code), 0) ? 1 : 0,
);

/**
 * Calls `found` with each email, as written, then each phone-shaped run, by its
 * digits (`phoneDigits`). By `exec` on the patterns themselves, from the start
 * each time: the copy runs this on every message, and `matchAll` copies the
 * pattern per call.
 */
export function findContacts(text: string, found: (kind: 'emails' | 'phones', value: string) => void): void {
  if (text.includes('@')) {
    emailPattern.lastIndex = 0;
    for (let match = emailPattern.exec(text); match !== null; match = emailPattern.exec(text))
      found('emails', match[0]);
  }
  if (hasDigit.test(text)) {
    phonePattern.lastIndex = 0;
    for (let match = phonePattern.exec(text); match !== null; match = phonePattern.exec(text))
      found('phones', phoneDigits(match[0]));
  }
}

/**
 * A phone number as the leak checks compare it: its digits alone, so "+1 (415)
 * 555-2671" in a column and "+1 415.555.2671" in a message are one number, as the
 * scrubber takes them. PostgreSQL's side is `phoneDigitsSql`.
 */
export function phoneDigits(phone: string): string {
  return phone.replace(nonDigits, '');
}

const nonDigits = /[^0-9]/g;

/** phoneDigits in SQL, of the text expression `expression`. */
export const phoneDigitsSql = (expression: string): string => `regexp_replace(${expression}, '[^0-9]', '', 'g')`;
