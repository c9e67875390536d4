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
import { decide, evaluate, off, outcomeOf, type FlagContext, type Flags, type Outcome } from './flags.ts';
import type { Metric } from './statsd-line.ts';

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
  /** `flags.<name>.<variant>` counters of the flags this request evaluated */
  exposures(): (Metric & { type: 'c' })[];
  /** the Set-Cookie header when this request made a visitor id and used it */
  cookie(): string | undefined;
  readonly context: FlagContext;
}

const visitorPattern = /^[A-Za-z0-9_-]{16,64}$/;
const userPattern = /^[A-Za-z0-9_.@-]{1,64}$/;
const twoYears = 2 * 365 * 24 * 3600;

export function requestFlags(flags: Flags, headers: IncomingHttpHeaders, search: string, settings: FlagSettings): RequestFlags {
  return new Reader(flags, headers, search, settings);
}

// One per request, on every route: nothing is read until a flag is asked, a flag
// is found again by its place in the file, and what a request keeps are outcomes
// made once per flags load (exposures included), so asking allocates little.
class Reader implements RequestFlags {
  readonly #flags: Flags;
  readonly #headers: IncomingHttpHeaders;
  readonly #search: string;
  readonly #settings: FlagSettings;
  #context: FlagContext | undefined;
  /** the visitor cookie as it came, when it was a valid id */
  #known: string | undefined;
  #used = false;
  /** the outcomes so far, in the order asked: each flag is evaluated and counted once */
  readonly #outcomes: Outcome[] = [];
  /** the same, by the flag's place in the file */
  #byFlag: (Outcome | undefined)[] | undefined;
  /** the names asked that are not in the file (off) */
  #missing: string[] | undefined;

  constructor(flags: Flags, headers: IncomingHttpHeaders, search: string, settings: FlagSettings) {
    this.#flags = flags;
    this.#headers = headers;
    this.#search = search;
    this.#settings = settings;
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
        this.#outcomes.push(outcomeOf(name, off));
      }
      return off;
    }
    this.#byFlag ??= new Array<Outcome | undefined>(this.#flags.size);
    let outcome = this.#byFlag[compiled.index];
    if (outcome === undefined) {
      outcome = decide(compiled, this.context);
      this.#byFlag[compiled.index] = outcome;
      this.#outcomes.push(outcome);
    }
    return outcome.variant;
  }

  all(): Record<string, string> {
    this.#used = true;
    const context = this.context;
    return Object.fromEntries([...this.#flags.keys()].map((name) => [name, evaluate(this.#flags, name, context)]));
  }

  exposures(): (Metric & { type: 'c' })[] {
    return this.#outcomes.map((outcome) => outcome.exposure);
  }

  cookie(): string | undefined {
    const visitorId = this.#context?.visitorId;
    return this.#used && visitorId !== undefined && visitorId !== this.#known ? `visitor=${visitorId}; Path=/; Max-Age=${twoYears}; HttpOnly; SameSite=Lax` : undefined;
  }

  #readContext(): FlagContext {
    const cookies = readCookies(this.#headers.cookie);
    const known = cookies.visitor !== undefined && visitorPattern.test(cookies.visitor) ? cookies.visitor : undefined;
    this.#known = known;
    const { staffDigest, tier } = this.#settings;
    const staff = staffDigest !== undefined && isStaff(cookies.staff, staffDigest);
    return {
      visitorId: known ?? randomBytes(16).toString('base64url'),
      userId: cookies.user !== undefined && userPattern.test(cookies.user) ? cookies.user : undefined,
      groups: staff ? staffGroups : noGroups,
      isAdmin: staff,
      tier,
      urlOverrides: this.#search.includes('features=') ? parseFeatures(new URLSearchParams(this.#search).getAll('features')) : noOverrides,
    };
  }
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

type FlagCookies = { visitor?: string; user?: string; staff?: string };

/** The three cookies flags read (the last of a name wins); the names of the others are skipped without copying them. */
function readCookies(header: string | undefined): FlagCookies {
  const found: FlagCookies = {};
  if (!header) return found;
  let start = 0;
  while (start < header.length) {
    let end = header.indexOf(';', start);
    if (end < 0) end = header.length;
    const equals = header.indexOf('=', start);
    if (equals > start && equals < end) {
      const name = cookieName(header, start, equals);
      if (name !== undefined) found[name] = header.slice(equals + 1, end).trim();
    }
    start = end + 1;
  }
  return found;
}

const cookieNames = ['visitor', 'user', 'staff'] as const;

/** Which of cookieNames `header[from, to)` is, spaces around it ignored. */
function cookieName(header: string, from: number, to: number): keyof FlagCookies | undefined {
  while (from < to && isSpace(header.charCodeAt(from))) from++;
  while (to > from && isSpace(header.charCodeAt(to - 1))) to--;
  for (const name of cookieNames) if (to - from === name.length && header.startsWith(name, from)) return name;
  return undefined;
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
