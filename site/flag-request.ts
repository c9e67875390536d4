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
import { evaluate, type FlagContext, type Flags } from './flags.ts';
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
  const cookies = parseCookies(headers.cookie);
  const known = cookies.get('visitor');
  const visitorId = known !== undefined && visitorPattern.test(known) ? known : randomBytes(16).toString('base64url');
  const user = cookies.get('user');
  const staff = settings.staffDigest !== undefined && isStaff(cookies.get('staff'), settings.staffDigest);
  const context: FlagContext = {
    visitorId,
    userId: user !== undefined && userPattern.test(user) ? user : undefined,
    groups: staff ? ['staff'] : [],
    isAdmin: staff,
    tier: settings.tier,
    urlOverrides: search.includes('features=') ? parseFeatures(new URLSearchParams(search).getAll('features')) : noOverrides,
  };
  // A page asks for a handful of flags: two short arrays beat a Map here.
  const names: string[] = [];
  const values: string[] = [];
  let used = false;
  return {
    context,
    variant(name) {
      used = true;
      const at = names.indexOf(name);
      if (at >= 0) return values[at]!;
      const value = evaluate(flags, name, context);
      names.push(name);
      values.push(value);
      return value;
    },
    all() {
      used = true;
      return Object.fromEntries([...flags.keys()].map((name) => [name, evaluate(flags, name, context)]));
    },
    exposures: () => names.map((name, i) => ({ name: `flags.${name}.${values[i]}`, value: 1, type: 'c' as const })),
    cookie: () => (used && visitorId !== known ? `visitor=${visitorId}; Path=/; Max-Age=${twoYears}; HttpOnly; SameSite=Lax` : undefined),
  };
}

const noOverrides: ReadonlyMap<string, string> = new Map();

/** `a:on,b:blue` (several `features=` allowed); a bare name means "on". */
export function parseFeatures(values: readonly string[]): ReadonlyMap<string, string> {
  const overrides = new Map<string, string>();
  for (const part of values.flatMap((value) => value.split(','))) {
    const [name = '', variant = 'on'] = part.trim().split(':', 2);
    if (name !== '') overrides.set(name, variant.trim());
  }
  return overrides;
}

function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  if (!header) return cookies;
  for (const part of header.split(';')) {
    const equals = part.indexOf('=');
    if (equals > 0) cookies.set(part.slice(0, equals).trim(), part.slice(equals + 1).trim());
  }
  return cookies;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Compared as digests in constant time: the cookie's length and content tell an attacker nothing. */
function isStaff(cookie: string | undefined, staffDigest: Buffer): boolean {
  return cookie !== undefined && cookie !== '' && timingSafeEqual(digest(cookie), staffDigest);
}
