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
import {
  decide,
  evaluate,
  exposuresOf,
  off,
  outcomeOf,
  type Compiled,
  type FlagContext,
  type Flags,
  type Outcome,
} from './flags.ts';
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
  /** the flags this request asked through variant(), with their answers (for the A/B figures) */
  asked(): Readonly<Record<string, string>>;
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

/**
 * `countExposure` sees each flag the request evaluates, once, when it is first
 * asked. `visitors`, when given, remembers returning visitors' answers between
 * requests (one per app).
 */
export function requestFlags(
  flags: Flags,
  headers: IncomingHttpHeaders,
  search: string,
  settings: FlagSettings,
  countExposure?: CountExposure,
  visitors?: Visitors,
): RequestFlags {
  return new Reader(flags, headers, search, settings, countExposure, visitors);
}

/** Who asks and what each flag answered them, for one flags load. */
interface Visitor {
  readonly context: FlagContext;
  /** by the flag's place in the file, decided as first asked */
  readonly outcomes: (Outcome | undefined)[];
}

/**
 * Returning visitors' answers, by their request's whole Cookie header, for the
 * flags load they were decided in: a flag's answer is a pure function of the
 * file and of who asks, and who asks is a pure function of that header (and of
 * settings fixed for the app's life). A returning visitor's request reads its
 * answers again instead of parsing cookies, checking ids and hashing them once
 * per flag. Exposures are still counted per request. Bounded: two generations
 * of at most `capacity / 2` visitors each, a visitor seen in the older one moved
 * into the newer; headers over `longestHeader` characters are not kept.
 */
export class Visitors {
  readonly #half: number;
  /** what is remembered of the flags load last asked about; a new load starts empty */
  #load: FlagsLoad | undefined;

  constructor(capacity = rememberedVisitors) {
    this.#half = Math.max(1, Math.floor(capacity / 2));
  }

  /** the visitor behind `header` under `flags`, when seen since `flags` were loaded */
  recall(flags: Flags, header: string): Visitor | undefined {
    const load = this.#of(flags);
    const recent = load.recent.get(header);
    if (recent !== undefined) return recent;
    const older = load.older.get(header);
    if (older !== undefined) this.#keep(load, header, older);
    return older;
  }

  remember(flags: Flags, header: string, visitor: Visitor): void {
    if (header.length <= longestHeader) this.#keep(this.#of(flags), header, visitor);
  }

  get size(): number {
    return this.#load === undefined ? 0 : this.#load.recent.size + this.#load.older.size;
  }

  /** the order the pages asked flags of `flags` in */
  askOrder(flags: Flags): AskOrder {
    return this.#of(flags).order;
  }

  #of(flags: Flags): FlagsLoad {
    // A new flags file: every answer may have changed.
    if (this.#load?.flags !== flags)
      this.#load = { flags, recent: new Map(), older: new Map(), order: { names: [], compiled: [] } };
    return this.#load;
  }

  #keep(load: FlagsLoad, header: string, visitor: Visitor): void {
    if (load.recent.size >= this.#half) {
      load.older = load.recent;
      load.recent = new Map();
    }
    load.recent.set(header, visitor);
  }
}

/** What Visitors keeps for one flags load. */
interface FlagsLoad {
  readonly flags: Flags;
  recent: Map<string, Visitor>;
  older: Map<string, Visitor>;
  readonly order: AskOrder;
}

const longestHeader = 512;
/** how many visitors an app remembers by default */
export const rememberedVisitors = 10_000;

/** The names asked so far in a request's order, and their flags: the n-th of each, for the n-th ask. */
interface AskOrder {
  readonly names: string[];
  readonly compiled: Compiled[];
}

const longestOrder = 64;
const noneAsked: Readonly<Record<string, string>> = Object.freeze({});

// One per request, on every route: nothing is read until a flag is asked, a flag
// is found again by its place in the file, and what a request keeps are outcomes
// made once per flags load (exposures included), so asking allocates little.
class Reader implements RequestFlags {
  readonly #flags: Flags;
  readonly #headers: IncomingHttpHeaders;
  readonly #search: string;
  readonly #settings: FlagSettings;
  readonly #countExposure: CountExposure | undefined;
  readonly #visitors: Visitors | undefined;
  #visitor: Visitor | undefined;
  #order: AskOrder | undefined;
  /** how many times variant() was called */
  #asks = 0;
  /** the visitor cookie as it came, when it was a valid id */
  #known: string | undefined;
  #used = false;
  /** the flags asked so far, by their place in the file: bits for the first 31, then a set */
  #askedLow = 0;
  #askedHigh: Set<number> | undefined;
  /** the names asked that are not in the file (off) */
  #missing: string[] | undefined;
  /** the flags of the file asked, by name, with their answers: made on the first ask */
  #asked: Record<string, string> | undefined;

  constructor(
    flags: Flags,
    headers: IncomingHttpHeaders,
    search: string,
    settings: FlagSettings,
    countExposure: CountExposure | undefined,
    visitors: Visitors | undefined,
  ) {
    this.#flags = flags;
    this.#headers = headers;
    this.#search = search;
    this.#settings = settings;
    this.#countExposure = countExposure;
    this.#visitors = visitors;
  }

  get context(): FlagContext {
    return (this.#visitor ??= this.#whoAsks()).context;
  }

  variant(name: string): string {
    this.#used = true;
    const compiled = this.#find(name);
    if (compiled === undefined) return this.#notInFile(name);
    const visitor = (this.#visitor ??= this.#whoAsks());
    const index = compiled.index;
    const outcome = (visitor.outcomes[index] ??= decide(compiled, visitor.context));
    if (this.#firstAsk(index)) {
      this.#countExposure?.(this.#flags, outcome);
      (this.#asked ??= {})[name] = outcome.variant;
    }
    return outcome.variant;
  }

  /** A flag the file does not have is off, and counted once per request by name. */
  #notInFile(name: string): string {
    this.#missing ??= [];
    if (!this.#missing.includes(name)) {
      this.#missing.push(name);
      this.#countExposure?.(this.#flags, outcomeOf(name, off));
    }
    return off;
  }

  /** True the first time this request asks the flag at `index`: a bit per flag, no allocation below 31 flags. */
  #firstAsk(index: number): boolean {
    if (index < 31) {
      const bit = 1 << index;
      if ((this.#askedLow & bit) !== 0) return false;
      this.#askedLow |= bit;
      return true;
    }
    const high = (this.#askedHigh ??= new Set());
    if (high.has(index)) return false;
    high.add(index);
    return true;
  }

  /**
   * The flag named `name`. A page asks its flags in the same order request after
   * request, so the n-th name asked is first compared with the n-th name the
   * last requests asked (the same literal: one pointer comparison) before the
   * flags are looked up by name (Map lookups showed in the server's profile).
   */
  #find(name: string): Compiled | undefined {
    if (this.#visitors === undefined) return this.#flags.get(name);
    const order = (this.#order ??= this.#visitors.askOrder(this.#flags));
    const at = this.#asks++;
    if (order.names[at] === name) return order.compiled[at];
    const compiled = this.#flags.get(name);
    if (compiled !== undefined && at < longestOrder) {
      order.names[at] = name;
      order.compiled[at] = compiled;
    }
    return compiled;
  }

  all(): Record<string, string> {
    this.#used = true;
    const context = this.context;
    return Object.fromEntries([...this.#flags.keys()].map((name) => [name, evaluate(this.#flags, name, context)]));
  }

  asked(): Readonly<Record<string, string>> {
    return this.#asked ?? noneAsked;
  }

  cookie(): string | undefined {
    const visitorId = this.#visitor?.context.visitorId;
    return this.#used && visitorId !== undefined && visitorId !== this.#known
      ? `visitor=${visitorId}; Path=/; Max-Age=${twoYears}; HttpOnly; SameSite=Lax`
      : undefined;
  }

  /**
   * Who asks: remembered when this header came before under these flags, else
   * read from it (and remembered when it carries a valid visitor id and no
   * ?features= override).
   */
  #whoAsks(): Visitor {
    const header = this.#headers.cookie;
    const memo =
      this.#visitors !== undefined && header !== undefined && !this.#search.includes('features=')
        ? this.#visitors
        : undefined;
    const remembered = memo?.recall(this.#flags, header!);
    if (remembered !== undefined) {
      this.#known = remembered.context.visitorId;
      return remembered;
    }
    const visitor: Visitor = {
      context: this.#readContext(),
      outcomes: new Array<Outcome | undefined>(this.#flags.size),
    };
    if (memo !== undefined && this.#known !== undefined) memo.remember(this.#flags, header!, visitor);
    return visitor;
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
      urlOverrides:
        this.#search !== '' && this.#search.includes('features=')
          ? parseFeatures(new URLSearchParams(this.#search).getAll('features'))
          : noOverrides,
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
    if (count === undefined)
      lists.set(flags, (count = statsd.tallyList(exposuresOf(flags).map((exposure) => exposure.name))));
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
  return (
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000 ||
    code === 0xfeff
  );
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Compared as digests in constant time: the cookie's length and content tell an attacker nothing. */
function isStaff(cookie: string | undefined, staffDigest: Buffer): boolean {
  return cookie !== undefined && cookie !== '' && timingSafeEqual(digest(cookie), staffDigest);
}
