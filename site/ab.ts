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
 * they get (not off) the first time they see the home page, and converted the
 * first time they see an item page after it. `variants` are every flag's answer
 * for the visitor; `cookieHeader` is the request's Cookie header.
 */
export function visitFigures(
  page: 'home' | 'item',
  variants: Readonly<Record<string, string>>,
  cookieHeader: string | undefined,
): { metrics: Metric[]; cookies: string[] } {
  const inTest = Object.keys(variants).filter((flag) => variants[flag] !== off);
  const seen = flagsInCookie(cookieHeader, seenCookie);
  if (page === 'home') {
    const fresh = inTest.filter((flag) => !seen.includes(flag));
    if (fresh.length === 0) return { metrics: [], cookies: [] };
    return {
      metrics: fresh.map((flag) => counter(`ab.${flag}.${variants[flag]}.visitors`)),
      cookies: [cookieOf(seenCookie, [...seen, ...fresh])],
    };
  }
  const converted = flagsInCookie(cookieHeader, convertedCookie);
  const fresh = inTest.filter((flag) => seen.includes(flag) && !converted.includes(flag));
  if (fresh.length === 0) return { metrics: [], cookies: [] };
  return {
    metrics: fresh.map((flag) => counter(`ab.${flag}.${variants[flag]}.conversions`)),
    cookies: [cookieOf(convertedCookie, [...converted, ...fresh])],
  };
}
