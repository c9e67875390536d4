// The flags of one request: who asks (visitor cookie, user cookie, staff cookie,
// ?features=), each flag evaluated at most once, and the exposures to count.
//
// - visitor: a random id in an HttpOnly cookie, made on the first visit; what
//   flags with `bucket: visitor` hash, so a visitor keeps their variant.
// - user: the `user` cookie a login sets (the shop has no login yet). It is not
//   authenticated, so `users:` lists are for rolling out, never for access.
// - staff: the `staff` cookie must equal STAFF_TOKEN (a secret on the web role);
//   staff get each flag's `admin` value and are in the group "staff". Without
//   STAFF_TOKEN nobody is staff.
// - ?features=a:on,b:blue,c:off forces flags, only in the tiers flags.ts allows
//   (dev, princess); DEVENV_TIER names the tier (unset: prod, so never).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { decide, evaluate, exposuresOf, off, outcomeOf, type Exposure, type FlagContext, type Flags, type Outcome } from './flags.ts';
import type { Statsd } from './statsd.ts';

export interface FlagSettings {
  tier: string;
  /** sha256 of STAFF_TOKEN, or undefined when no one is staff */
  staffDigest: Buffer | undefined;
}

export function readFlagSettings(env: Readonly<Record<string, string | undefined>>): FlagSettings {
  const token = env.STAFF_TOKEN ?? '';
  return { tier: env.DEVENV_TIER || 'prod', staffDigest: token === '' ? undefined : digest(token) };
}

export interface RequestFlags {
  /** the variant of a flag for this request ("off" when off); counts one exposure per flag */
  variant(name: string): string;
  /** every flag of the file for this request, without counting exposures (for /flags.json) */
  all(): Record<string, string>;
  /** `flags.<name>.<variant>` counters of the flags this request evaluated, in the order asked */
  exposures(): Exposure[];
  /** the Set-Cookie header when this request made a visitor id and used it */
  cookie(): string | undefined;
  readonly context: FlagContext;
}

/** Counts an exposure: the outcome of a flag of `flags` (or of one not in them) that a request evaluated. */
export type CountExposure = (flags: Flags, outcome: Outcome) => void;

/** A visitor id: 16 to 64 of [A-Za-z0-9_-]. */
const isVisitorId = (text: string): boolean => text.length >= 16 && text.length <= 64 && allOf(text, visitorChar);
/** A user id: 1 to 64 of [A-Za-z0-9_.@-]. */
const isUserId = (text: string): boolean => text.length >= 1 && text.length <= 64 && allOf(text, userChar);
const twoYears = 2 * 365 * 24 * 3600;

/** `countExposure` sees each flag the request evaluates, once, when it is first asked. */
export function requestFlags(flags: Flags, headers: IncomingHttpHeaders, search: string, settings: FlagSettings, countExposure?: CountExposure): RequestFlags {
  return new Reader(flags, headers, search, settings, countExposure);
}

// One per request, on every route: nothing is read until a flag is asked, a flag
// is found again by its place in the file, and what a request keeps are outcomes
// made once per flags load (exposures included), so asking allocates little.
class Reader implements RequestFlags {
  readonly #flags: Flags;
  readonly #headers: IncomingHttpHeaders;
  readonly #search: string;
  readonly #settings: FlagSettings;
  readonly #countExposure: CountExposure | undefined;
  #context: FlagContext | undefined;
  /** the visitor cookie as it came, when it was a valid id */
  #known: string | undefined;
  #used = false;
  /** the outcomes so far, in the order asked: each flag is evaluated and counted once */
  readonly #outcomes: Outcome[] = [];
  /** the outcomes so far, by the flag's place in the file */
  #byFlag: (Outcome | undefined)[] | undefined;
  /** the names asked that are not in the file (off) */
  #missing: string[] | undefined;

  constructor(flags: Flags, headers: IncomingHttpHeaders, search: string, settings: FlagSettings, countExposure: CountExposure | undefined) {
    this.#flags = flags;
    this.#headers = headers;
    this.#search = search;
    this.#settings = settings;
    this.#countExposure = countExposure;
  }

  get context(): FlagContext {
    return (this.#context ??= this.#readContext());
  }

  variant(name: string): string {
    this.#used = true;
    const compiled = this.#flags.get(name);
    if (compiled === undefined) {
      this.#missing ??= [];
      if (!this.#missing.includes(name)) {
        this.#missing.push(name);
        this.#exposed(outcomeOf(name, off));
      }
      return off;
    }
    this.#byFlag ??= new Array<Outcome | undefined>(this.#flags.size);
    let outcome = this.#byFlag[compiled.index];
    if (outcome === undefined) {
      outcome = decide(compiled, this.context);
      this.#byFlag[compiled.index] = outcome;
      this.#exposed(outcome);
    }
    return outcome.variant;
  }

  all(): Record<string, string> {
    this.#used = true;
    const context = this.context;
    return Object.fromEntries([...this.#flags.keys()].map((name) => [name, evaluate(this.#flags, name, context)]));
  }

  exposures(): Exposure[] {
    return this.#outcomes.map((outcome) => outcome.exposure);
  }

  cookie(): string | undefined {
    const visitorId = this.#context?.visitorId;
    return this.#used && visitorId !== undefined && visitorId !== this.#known ? `visitor=${visitorId}; Path=/; Max-Age=${twoYears}; HttpOnly; SameSite=Lax` : undefined;
  }

  // Counted as it is first asked, while the outcome is still in the CPU's cache,
  // rather than in a second pass over the request's outcomes when it ends.
  #exposed(outcome: Outcome): void {
    this.#outcomes.push(outcome);
    this.#countExposure?.(this.#flags, outcome);
  }

  #readContext(): FlagContext {
    const cookies = readCookies(this.#headers.cookie);
    const known = cookies.visitor !== undefined && isVisitorId(cookies.visitor) ? cookies.visitor : undefined;
    this.#known = known;
    const { staffDigest, tier } = this.#settings;
    const staff = staffDigest !== undefined && isStaff(cookies.staff, staffDigest);
    return {
      visitorId: known ?? randomBytes(16).toString('base64url'),
      userId: cookies.user !== undefined && isUserId(cookies.user) ? cookies.user : undefined,
      groups: staff ? staffGroups : noGroups,
      isAdmin: staff,
      tier,
      urlOverrides: this.#search !== '' && this.#search.includes('features=') ? parseFeatures(new URLSearchParams(this.#search).getAll('features')) : noOverrides,
    };
  }
}

/**
 * Counts exposures in the statsd client's tally: a flag of the file by its
 * outcome's slot, in a list made once per flags load, a flag not in the file by
 * name.
 */
export function exposureCounter(statsd: Pick<Statsd, 'tally' | 'tallyList'>): CountExposure {
  const lists = new WeakMap<Flags, (slot: number) => void>();
  let lastFlags: Flags | undefined;
  let countSlot: (slot: number) => void = () => {};
  const listOf = (flags: Flags): ((slot: number) => void) => {
    let count = lists.get(flags);
    if (count === undefined) lists.set(flags, (count = statsd.tallyList(exposuresOf(flags).map((exposure) => exposure.name))));
    return count;
  };
  return (flags, outcome) => {
    if (outcome.slot < 0) return statsd.tally([outcome.exposure]);
    if (flags !== lastFlags) {
      lastFlags = flags;
      countSlot = listOf(flags);
    }
    countSlot(outcome.slot);
  };
}

const noOverrides: ReadonlyMap<string, string> = new Map();
const noGroups: readonly string[] = Object.freeze([]);
const staffGroups: readonly string[] = Object.freeze(['staff']);

/** `a:on,b:blue` (several `features=` allowed); a bare name means "on". */
export function parseFeatures(values: readonly string[]): ReadonlyMap<string, string> {
  const overrides = new Map<string, string>();
  for (const part of values.flatMap((value) => value.split(','))) {
    const [name = '', variant = 'on'] = part.trim().split(':', 2);
    if (name !== '') overrides.set(name, variant.trim());
  }
  return overrides;
}

/** Of one shape whatever the header holds, so reading them stays monomorphic. */
type FlagCookies = { visitor: string | undefined; user: string | undefined; staff: string | undefined };

/**
 * The three cookies flags read (the last of a name wins), names and values
 * trimmed as String.prototype.trim would, the others skipped without copying
 * them. One pass over the characters, copying each value once: in the server,
 * about two thirds of the time of indexOf, slice and trim.
 */
function readCookies(header: string | undefined): FlagCookies {
  const found: FlagCookies = { visitor: undefined, user: undefined, staff: undefined };
  if (!header) return found;
  const length = header.length;
  let start = 0;
  while (start < length) {
    let equals = -1;
    let end = start;
    for (; end < length; end++) {
      const code = header.charCodeAt(end);
      if (code === semicolon) break;
      if (code === equalsSign && equals < 0) equals = end;
    }
    if (equals > start) {
      const name = cookieName(header, start, equals);
      if (name !== undefined) found[name] = trimmedSlice(header, equals + 1, end);
    }
    start = end + 1;
  }
  return found;
}

const semicolon = 0x3b;
const equalsSign = 0x3d;

/** Which of the three `header[from, to)` names, spaces around it ignored. */
function cookieName(header: string, from: number, to: number): keyof FlagCookies | undefined {
  while (from < to && isSpace(header.charCodeAt(from))) from++;
  while (to > from && isSpace(header.charCodeAt(to - 1))) to--;
  const name = to - from === 7 ? 'visitor' : to - from === 4 ? 'user' : to - from === 5 ? 'staff' : undefined;
  return name !== undefined && header.startsWith(name, from) ? name : undefined;
}

/** `header.slice(from, to).trim()`, with one copy. */
function trimmedSlice(header: string, from: number, to: number): string {
  while (from < to && isSpace(header.charCodeAt(from))) from++;
  while (to > from && isSpace(header.charCodeAt(to - 1))) to--;
  return header.slice(from, to);
}

// Which characters below 128 ids may hold, as bits: checked on every request,
// by this table rather than by regular expressions, which cost more.
const visitorChar = 1;
const userChar = 2;
const idChars = Uint8Array.from({ length: 128 }, (_, code) => {
  const char = String.fromCharCode(code);
  return (/[A-Za-z0-9_-]/.test(char) ? visitorChar : 0) | (/[A-Za-z0-9_.@-]/.test(char) ? userChar : 0);
});

/** Every character of `text` is of `kind` (visitorChar or userChar). */
function allOf(text: string, kind: number): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 128 || (idChars[code]! & kind) === 0) return false;
  }
  return true;
}

/** What String.prototype.trim removes. */
function isSpace(code: number): boolean {
  if (code < 0x80) return code === 0x20 || (code >= 0x09 && code <= 0x0d);
  return code === 0xa0 || code === 0x1680 || (code >= 0x2000 && code <= 0x200a) || code === 0x2028 || code === 0x2029 || code === 0x202f || code === 0x205f || code === 0x3000 || code === 0xfeff;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Compared as digests in constant time: the cookie's length and content tell an attacker nothing. */
function isStaff(cookie: string | undefined, staffDigest: Buffer): boolean {
  return cookie !== undefined && cookie !== '' && timingSafeEqual(digest(cookie), staffDigest);
}
