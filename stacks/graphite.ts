// Graphs from a stack's Graphite, with its deploys drawn as vertical lines.
//
// Pure: friendly metric names expanded to Graphite targets, Graphite time
// values checked, render URLs built. Thin I/O: a PNG fetched from a stack's
// render API, and a deploy recorded in its Graphite.
//
// Deploys are Graphite events (graphite-web's events app: POST /events/ with
// JSON), drawn with `drawAsInfinite(events("deploy"))`. The graphite image's
// entrypoint runs graphite-web's migrations on first start, so the events table
// is there; the web port is the one port a stack publishes, so the CLI reaches
// it over HTTP on 127.0.0.1 (carbon's plaintext port is not published), and an
// event keeps what was deployed (commit, train, who) beside the line. A metric
// written to carbon would also draw a line (Etsy's first way), but would need a
// `docker exec` into the container and keep nothing but a number.
import { join, resolve } from 'node:path';
import { devStackName, tierOfStackOrRefuse } from './tiers.ts';
import { stackEndpoints } from './endpoints.ts';
import { resolveUser } from '../lib/user.ts';
import { UserError } from '../lib/errors.ts';
import type { Context } from '../lib/paths.ts';
import { writeFileAtomic } from '../lib/files.ts';
import { siteEnv } from '../roles/site-env.ts';

/** The statsd prefix the site sends its metrics under: the one its role sets. */
export const sitePrefix = siteEnv.STATSD_PREFIX!;

export interface Target {
  /** what goes into `target=` */
  target: string;
  /** the name the user gave it, as it reads in file names and titles */
  name: string;
}

// Counters are drawn as per-second rates: a rate keeps its unit when whisper
// rolls 1 s points up into 1 min points (counts are summed there, so a count's
// height would jump 60-fold at the 6 h boundary) and when a wide time range is
// squeezed into the graph's pixels.
const counter = (name: string) => `stats.counters.${sitePrefix}.${name}.rate`;
const timer = (stat: string) => `stats.timers.${sitePrefix}.latency.${stat}`;
const alias = (target: string, label: string) => `alias(${target},${quote(label)})`;
const quote = (text: string) => `"${text.replace(/["\\]/g, '')}"`;
/** `new_banner.on` for each variant of the flags a target matches (no backslashes: Graphite's parser eats them). */
const flagVariants = (target: string) =>
  `aliasSub(aliasSub(${target},${quote(`^stats.counters.${sitePrefix}.flags.`)},""),${quote('.rate$')},"")`;

/** The site's standard metrics by friendly name. */
export const metricAliases: Record<string, string[]> = {
  requests: [alias(counter('requests'), 'requests/s')],
  errors: [alias(counter('errors'), 'errors/s')],
  'latency.p50': [alias(timer('median'), 'latency p50 (ms)')],
  'latency.p90': [alias(timer('upper_90'), 'latency p90 (ms)')],
  'latency.p99': [alias(timer('upper_99'), 'latency p99 (ms)')],
  latency: [alias(timer('median'), 'latency p50 (ms)'), alias(timer('upper_99'), 'latency p99 (ms)')],
  // every flag's exposures by variant (flags whose name holds a dot: ask for them by name)
  flags: [flagVariants(counter('flags.*.*'))],
};

const flagAlias = /^flags\.([A-Za-z0-9][A-Za-z0-9_.-]{0,63})$/;

/**
 * What the user asked for, as Graphite targets. A friendly name (`requests`,
 * `errors`, `latency.p50`, `latency.p99`, `flags`, `flags.<name>`) expands to
 * the site's metric; a Graphite path or function call passes through as it is.
 */
export function expandMetric(metric: string): Target[] {
  const name = metric.trim();
  if (name === '')
    throw new UserError(
      'an empty metric name',
      `name one: ${Object.keys(metricAliases).join(', ')}, flags.<name>, or a Graphite path`,
    );
  if (/[\u0000-\u001f]/.test(name))
    throw new UserError(`the metric "${JSON.stringify(name).slice(1, -1)}" holds a control character`);
  const known = metricAliases[name];
  if (known) return known.map((target) => ({ target, name }));
  const flag = flagAlias.exec(name);
  if (flag) return [{ target: flagVariants(counter(`flags.${flag[1]}.*`)), name }];
  // A bare word is neither a path nor a function call: most likely a typo of a friendly name.
  if (!/[.*(]/.test(name))
    throw new UserError(
      `no metric called "${name}"`,
      `friendly names are ${Object.keys(metricAliases).join(', ')} and flags.<name>; anything with a dot or parentheses goes to Graphite as it is`,
    );
  return [{ target: name, name }];
}

/** The deploys of the stack, as the vertical lines Etsy drew on every graph. */
export const deployTag = 'deploy';
export const deploySeries = `events(${quote(deployTag)})`;
export const deployTarget = `alias(lineWidth(color(drawAsInfinite(${deploySeries}),"orange"),2),"deploys")`;

const units: [RegExp, number][] = [
  [/^(s|secs?|seconds?)$/, 1],
  [/^(min|mins|minutes?)$/, 60],
  [/^(h|hours?)$/, 3600],
  [/^(d|days?)$/, 86_400],
  [/^(w|weeks?)$/, 7 * 86_400],
  [/^(mon|months?)$/, 30 * 86_400],
  [/^(y|years?)$/, 365 * 86_400],
];

/**
 * A Graphite time (`now`, `-1h`, `-30min`, `-2d`, seconds since the epoch,
 * `YYYYMMDD`, `HH:MM_YYYYMMDD`) as seconds since the epoch, or undefined when
 * it is none of those. Relative times are from `nowSeconds`.
 */
export function graphiteTime(value: string, nowSeconds: number): number | undefined {
  if (value === 'now') return nowSeconds;
  const relative = /^-(\d{1,6})([a-z]+)$/.exec(value);
  if (relative) {
    const seconds = units.find(([pattern]) => pattern.test(relative[2]!))?.[1];
    return seconds === undefined ? undefined : nowSeconds - Number(relative[1]) * seconds;
  }
  if (/^\d{9,10}$/.test(value)) return Number(value);
  const absolute = /^(?:(\d{2}):(\d{2})_)?(\d{4})(\d{2})(\d{2})$/.exec(value);
  if (absolute) {
    const [, hh = '00', mm = '00', y, mo, d] = absolute;
    const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(hh), Number(mm));
    const check = new Date(ms);
    // Date.UTC rolls 20250231 over into March: such a date does not exist
    if (check.getUTCDate() !== Number(d) || check.getUTCHours() !== Number(hh) || check.getUTCMinutes() !== Number(mm))
      return undefined;
    return ms / 1000;
  }
  return undefined;
}

/** Checks --from and --until as Graphite reads them (UTC); throws a one-line error. */
export function checkRange(from: string, until: string, nowSeconds: number): void {
  const hint = 'use -1h, -30min, -2d, now, seconds since the epoch, YYYYMMDD or HH:MM_YYYYMMDD (UTC)';
  const start = graphiteTime(from, nowSeconds);
  if (start === undefined) throw new UserError(`--from "${from}" is not a time Graphite understands`, hint);
  const end = graphiteTime(until, nowSeconds);
  if (end === undefined) throw new UserError(`--until "${until}" is not a time Graphite understands`, hint);
  if (start >= end) throw new UserError(`--from ${from} is not before --until ${until}`);
}

export interface RenderRequest {
  targets: string[];
  /** @default "-1h" */
  from?: string;
  /** @default "now" */
  until?: string;
  /** @default 800 */
  width?: number;
  /** @default 400 */
  height?: number;
  title?: string;
  /** @default "png" */
  format?: 'png' | 'json';
  /** draw the stack's deploys as vertical lines @default true */
  deploys?: boolean;
}

/** The render API's URL for the targets, on the Graphite at `graphiteUrl`. */
export function renderUrl(graphiteUrl: string, request: RenderRequest): string {
  const url = new URL('render', graphiteUrl);
  const params = new URLSearchParams();
  for (const target of request.targets) params.append('target', target);
  if (request.deploys ?? true) params.append('target', deployTarget);
  params.set('from', request.from ?? '-1h');
  params.set('until', request.until ?? 'now');
  params.set('format', request.format ?? 'png');
  if ((request.format ?? 'png') === 'png') {
    params.set('width', String(request.width ?? 800));
    params.set('height', String(request.height ?? 400));
    if (request.title) params.set('title', request.title);
    // light, like the pages around them
    params.set('bgcolor', 'FFFFFF');
    params.set('fgcolor', '222222');
    params.set('majorGridLineColor', 'CCCCCC');
    params.set('minorGridLineColor', 'EEEEEE');
    params.set('hideLegend', 'false');
  }
  // graphite-web caches a rendered answer for a minute; a deploy must show at once
  params.set('noCache', 'true');
  url.search = params.toString();
  return url.toString();
}

const pngMagic = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function isPng(bytes: Uint8Array): boolean {
  return bytes.length > pngMagic.length && pngMagic.equals(bytes.subarray(0, pngMagic.length));
}

/** A file name from the stack, what it shows and when: `dev-ada-requests+errors-20250101T120000Z.png`. */
export function graphFileName(stack: string, metrics: string[], at: Date): string {
  const what =
    metrics
      .join('+')
      .replace(/[^A-Za-z0-9_.+-]+/g, '_')
      .replace(/^[_.]+|_+$/g, '')
      .slice(0, 60) || 'graph';
  return `${stack}-${what}-${at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}.png`;
}

/** The first line of an error page that says something (Graphite answers errors as HTML or a traceback). */
export function graphiteErrorLine(body: string): string {
  const lines = body
    .replace(/<[^>]*>/g, '\n')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !/^(traceback|file |\^|during handling)/i.test(line));
  return (lines.at(-1) ?? '').slice(0, 200);
}

// ---- I/O ----

/** The URL of a stack's graphite-web, from its rendered ports (dev stacks: the port base their last `up` recorded). */
export async function graphiteUrlOf(ctx: Context, stack: string): Promise<string> {
  const noGraphite = new UserError(`${stack} has no Graphite`, 'graphs are of dev-<user>, princess and prod');
  // The deploy service's stack is not drawn from production: no Graphite (and it renders only with host paths).
  if (tierOfStackOrRefuse(stack).composition !== 'production') throw noGraphite;
  const url = (await stackEndpoints(ctx, stack))['graphite.http'];
  if (!url) throw noGraphite;
  return url;
}

async function requestGraphite(stack: string, url: string, init: RequestInit = {}): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(20_000) });
  } catch (error) {
    const why = (error as Error & { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
    throw new UserError(
      `the Graphite of ${stack} does not answer at ${new URL('/', url)} (${why})`,
      `is ${stack} up? see \`devenv status --stack ${stack}\``,
    );
  }
}

type Series = { target: string; datapoints: [number | null, number][] }[];

/** The values of a target's series between two instants (ms since the epoch), every series of it one after another. */
export async function graphiteSeries(
  graphiteUrl: string,
  target: string,
  from: number,
  until: number,
): Promise<(number | null)[]> {
  const url = new URL('render', graphiteUrl);
  url.search = new URLSearchParams({
    target,
    from: String(Math.floor(from / 1000)),
    until: String(Math.ceil(until / 1000)),
    format: 'json',
  }).toString();
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`Graphite answered ${response.status} for ${target}`);
  const series = (await response.json()) as Series;
  return series.flatMap((s) => s.datapoints.map(([value]) => value));
}

/** The PNG of a render request from a stack's Graphite; a Graphite error is thrown, never returned as a picture. */
export async function fetchGraph(
  ctx: Context,
  stack: string,
  request: RenderRequest,
): Promise<{ url: string; png: Buffer }> {
  const url = renderUrl(await graphiteUrlOf(ctx, stack), { ...request, format: 'png' });
  const response = await requestGraphite(stack, url);
  const body = Buffer.from(await response.arrayBuffer());
  if (!response.ok)
    throw new UserError(
      `the Graphite of ${stack} refused the graph (HTTP ${response.status}): ${graphiteErrorLine(body.toString('utf8')) || 'no reason given'}`,
      'check the metric names and functions',
    );
  if (!isPng(body))
    throw new UserError(
      `the Graphite of ${stack} answered without a PNG (${response.headers.get('content-type') ?? 'no content type'})`,
    );
  return { url, png: body };
}

/** Writes whole or not at all: a reader never sees half a picture. */
export async function writeGraphFile(path: string, png: Buffer): Promise<void> {
  await writeFileAtomic(path, png);
}

export interface DeployMark {
  stage: string;
  train: string;
  commit: string;
  deployId: number;
  users: string[];
}

/**
 * Records a deploy in the stack's Graphite, now: every graph drawn with the
 * deploy series shows it as a vertical line. Throws when Graphite refuses or
 * does not answer (a deploy should say so, not fail for it).
 */
export async function markDeploy(ctx: Context, stack: string, mark: DeployMark): Promise<void> {
  const url = new URL('events/', await graphiteUrlOf(ctx, stack)).toString();
  // No "when": graphite-web stamps the event with its own clock, to the
  // microsecond. (An event on a whole second that a render ends on exactly
  // would fall outside events()'s points and fail the render.)
  const event = {
    what: `deploy #${mark.deployId} to ${mark.stage}`,
    tags: [deployTag, mark.stage, mark.train].map((tag) => tag.replace(/[^A-Za-z0-9_-]/g, '_')),
    data: `${mark.train} train: ${mark.commit} by ${mark.users.join(', ') || 'nobody'}`,
  };
  const response = await requestGraphite(stack, url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(event),
  });
  if (!response.ok)
    throw new Error(
      `the Graphite of ${stack} refused the deploy event (HTTP ${response.status}): ${graphiteErrorLine(await response.text())}`,
    );
}

/** A stack's metrics from its Graphite, saved as a PNG with the stack's deploys drawn as vertical lines. */
export interface GraphOptions {
  metrics: string[];
  user?: string;
  /** any stack by name @default the user's dev stack */
  stack?: string;
  /** @default "-1h" */
  from?: string;
  /** @default "now" */
  until?: string;
  /** @default <devenv home>/graphs/<stack>-<metrics>-<time>.png */
  out?: string;
}

export interface GraphResult {
  stack: string;
  path: string;
  bytes: number;
  /** the render API's URL of the picture */
  url: string;
  targets: string[];
}

export async function saveGraph(ctx: Context, options: GraphOptions): Promise<GraphResult> {
  if (options.metrics.length === 0)
    throw new UserError(
      'no metric to graph',
      'name one or more: requests, errors, latency.p50, latency.p99, flags.<name>, or a Graphite path',
    );
  const from = options.from ?? '-1h';
  const until = options.until ?? 'now';
  const now = new Date();
  checkRange(from, until, Math.floor(now.getTime() / 1000));
  const targets = options.metrics.flatMap(expandMetric);
  const stack = options.stack ?? devStackName((await resolveUser(options.user)).user);
  const title = `${stack}: ${options.metrics.join(', ')}`;
  const { url, png } = await fetchGraph(ctx, stack, { targets: targets.map((t) => t.target), from, until, title });
  const path = options.out
    ? resolve(options.out)
    : join(ctx.home, 'graphs', graphFileName(stack, options.metrics, now));
  await writeGraphFile(path, png);
  return { stack, path, bytes: png.length, url, targets: targets.map((t) => t.target) };
}
