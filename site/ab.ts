// The figures of an A/B test, per variant of each flag: what `devenv flags
// report` and the dashboard judge a variant by. Pure: the app hands in what a
// request was and gets metrics (and cookies) back.
//
// - Per request, for each flag the request asked with a variant other than off:
//   ab.<flag>.<variant>.requests, .errors (a 5xx or a failure) and .latency.
// - Per visitor, once each, kept in two cookies that name the flags: a visitor
//   of the home page (ab.<flag>.<variant>.visitors, cookie ab_seen), and one
//   conversion, an item page viewed after the home page
//   (ab.<flag>.<variant>.conversions, cookie ab_conv). Cookies rather than a
//   replica's memory, so a visitor counts once whichever replica answers.
import type { Metric } from './statsd-line.ts';

export const seenCookie = 'ab_seen';
export const convertedCookie = 'ab_conv';
const twoYears = 2 * 365 * 24 * 3600;
/** A cookie holds at most this many flags: a test ends, its name stays, and the list must not grow for ever. */
const flagsPerCookie = 40;
const flagName = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const off = 'off';

/** The flags a cookie names ('|' between them); anything that is not a flag name is skipped. */
export function flagsInCookie(header: string | undefined, cookie: string): string[] {
  if (!header) return [];
  for (const part of header.split(';')) {
    const at = part.indexOf('=');
    if (at < 0 || part.slice(0, at).trim() !== cookie) continue;
    return part
      .slice(at + 1)
      .trim()
      .split('|')
      .filter((name) => flagName.test(name));
  }
  return [];
}

function cookieOf(name: string, flags: readonly string[]): string {
  return `${name}=${flags.slice(-flagsPerCookie).join('|')}; Path=/; Max-Age=${twoYears}; HttpOnly; SameSite=Lax`;
}

const counter = (name: string): Metric => ({ name, value: 1, type: 'c' });

/** A request's own figures: each flag it asked (not off) gets a request, maybe an error, and its latency. */
export function requestFigures(
  asked: Readonly<Record<string, string>>,
  outcome: { failed: boolean; ms: number },
): Metric[] {
  const metrics: Metric[] = [];
  for (const [flag, variant] of Object.entries(asked)) {
    if (variant === off) continue;
    const prefix = `ab.${flag}.${variant}`;
    metrics.push(counter(`${prefix}.requests`), { name: `${prefix}.latency`, value: outcome.ms, type: 'ms' });
    if (outcome.failed) metrics.push(counter(`${prefix}.errors`));
  }
  return metrics;
}

/**
 * A visit to the home page or an item page: the visitor counted for each flag
 * the home page asked them (not off) the first time they see it, and converted
 * for each of those the first time they see an item page after it. `variants`
 * gives the flags' answers for the visitor (the home page's asked flags, or
 * every flag for an item page); it is asked only when a count is due, so a
 * visitor counted already costs no flag evaluation. `cookieHeader` is the
 * request's Cookie header.
 */
export function visitFigures(
  page: 'home' | 'item',
  variants: () => Readonly<Record<string, string>>,
  cookieHeader: string | undefined,
): { metrics: Metric[]; cookies: string[] } {
  const none = { metrics: [], cookies: [] };
  const seen = flagsInCookie(cookieHeader, seenCookie);
  if (page === 'home') {
    const asked = variants();
    const fresh = Object.keys(asked).filter((flag) => asked[flag] !== off && !seen.includes(flag));
    if (fresh.length === 0) return none;
    return {
      metrics: fresh.map((flag) => counter(`ab.${flag}.${asked[flag]}.visitors`)),
      cookies: [cookieOf(seenCookie, [...seen, ...fresh])],
    };
  }
  const converted = flagsInCookie(cookieHeader, convertedCookie);
  const due = seen.filter((flag) => !converted.includes(flag));
  if (due.length === 0) return none;
  const now = variants();
  const fresh = due.filter((flag) => now[flag] !== undefined && now[flag] !== off);
  if (fresh.length === 0) return none;
  return {
    metrics: fresh.map((flag) => counter(`ab.${flag}.${now[flag]}.conversions`)),
    cookies: [cookieOf(convertedCookie, [...converted, ...fresh])],
  };
}
