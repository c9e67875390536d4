// The web role's request handling: routes to pages, and around every request
// one log line and the request metrics (with the A/B figures of its flags, ab.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Cache } from './cache.ts';
import type { Pool } from './db.ts';
import { imageContentType } from './content-type.ts';
import type { Flags } from './flags.ts';
import { exposureCounter, requestFlags, Visitors, type FlagSettings, type RequestFlags } from './flag-request.ts';
import { requestFigures, visitFigures } from './ab.ts';
import { homePage, renderItemPage, type HomeView } from './home-page.ts';
import { cachedItems, loadItem } from './items.ts';
import { route, type Route } from './router.ts';
import { fileInside } from './safe-path.ts';
import type { Statsd } from './statsd.ts';
import type { Metric } from './statsd-line.ts';
import { readTeam } from './team.ts';
import { renderTeamPage } from './team-page.ts';

export interface AppContext {
  shopName: string;
  teamDir: string;
  servedBy: string;
  pool: Pool;
  cache: Cache;
  statsd: Statsd;
  flags: () => Flags;
  /** which flags file is loaded (its sha256), reported by /healthz */
  flagsDigest: () => string;
  flagSettings: FlagSettings;
  /** renders the home page, asking the flags it uses on the request's reader; default the site's (bench/flags.ts gives a page asking 20) */
  homePage?: (view: HomeView, flags: RequestFlags) => string;
}

type Respond = (response: ServerResponse) => void;

export function createApp(context: AppContext): (request: IncomingMessage, response: ServerResponse) => void {
  const countExposure = exposureCounter(context.statsd);
  const visitors = new Visitors();
  return (request, response) => {
    const started = performance.now();
    const method = request.method ?? 'GET';
    const url = new URL(request.url ?? '/', 'http://site');
    const path = url.pathname;
    const flags = requestFlags(
      context.flags(),
      request.headers,
      url.search,
      context.flagSettings,
      countExposure,
      visitors,
    );
    let failed = false;

    response.on('close', () => {
      const ms = performance.now() - started;
      const status = response.statusCode;
      const metrics: Metric[] = [
        { name: 'requests', value: 1, type: 'c' as const },
        { name: `status.${Math.floor(status / 100)}xx`, value: 1, type: 'c' as const },
        { name: 'latency', value: ms, type: 'ms' as const },
      ];
      if (failed || status >= 500) metrics.push({ name: 'errors', value: 1, type: 'c' });
      metrics.push(...requestFigures(flags.asked(), { failed: failed || status >= 500, ms }));
      context.statsd.send(metrics);
      console.log(`${method} ${path} ${status} ${ms.toFixed(1)}ms`);
    });

    const target = route(method, path);
    handle(context, target, flags).then(
      (respond) => {
        // A visit of the home page or an item page counts in the A/B figures of the flags the visitor gets.
        const visit =
          target.page === 'home'
            ? visitFigures('home', () => flags.asked(), request.headers.cookie)
            : target.page === 'item'
              ? visitFigures('item', () => flags.all(), request.headers.cookie)
              : undefined;
        if (visit && visit.metrics.length > 0) context.statsd.send(visit.metrics);
        const cookies = [flags.cookie(), ...(visit?.cookies ?? [])].filter((cookie) => cookie !== undefined);
        if (cookies.length > 0) response.setHeader('set-cookie', cookies);
        respond(response);
      },
      (error: unknown) => {
        failed = true;
        console.error(`${method} ${path} failed: ${(error as Error).stack ?? String(error)}`);
        if (response.headersSent) response.destroy();
        else text(500, 'internal error\n')(response);
      },
    );
  };
}

async function handle(context: AppContext, target: Route, flags: RequestFlags): Promise<Respond> {
  switch (target.page) {
    case 'home': {
      const items = await cachedItems(context.pool, context.cache, context.statsd);
      return page(
        (context.homePage ?? homePage)({ shopName: context.shopName, servedBy: context.servedBy, items }, flags),
      );
    }
    case 'item': {
      const item = await loadItem(context.pool, target.id);
      if (!item) return text(404, 'not found\n');
      return page(renderItemPage({ shopName: context.shopName, servedBy: context.servedBy, item }));
    }
    case 'team': {
      const members = await readTeam(context.teamDir);
      const thumbnails = await thumbnailFiles(context.pool);
      return page(renderTeamPage({ shopName: context.shopName, servedBy: context.servedBy, members, thumbnails }));
    }
    case 'photo':
      return photo(context.teamDir, target.file);
    case 'thumbnail':
      return thumbnail(context.pool, target.file);
    case 'healthz':
      return health(context);
    case 'flags':
      return json(200, { visitor: flags.context.visitorId, flags: flags.all() });
    case 'method-not-allowed':
      return (response) => {
        response.setHeader('allow', 'GET, HEAD');
        text(405, 'method not allowed\n')(response);
      };
    case 'not-found':
      return text(404, 'not found\n');
  }
}

/** The team page works without the database; it then shows no thumbnails. */
async function thumbnailFiles(pool: Pool): Promise<Set<string>> {
  try {
    const { rows } = await pool.query<{ file: string }>('SELECT file FROM thumbnails');
    return new Set(rows.map((row) => row.file));
  } catch (error) {
    console.error(`team: cannot list thumbnails: ${(error as Error).message}`);
    return new Set();
  }
}

async function photo(teamDir: string, encodedFile: string): Promise<Respond> {
  const path = fileInside(join(teamDir, 'photos'), encodedFile);
  const type = path && imageContentType(path);
  if (!path || !type) return text(404, 'not found\n');
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR') return text(404, 'not found\n');
    throw error;
  }
  return binary(type, data);
}

async function thumbnail(pool: Pool, encodedFile: string): Promise<Respond> {
  let file: string;
  try {
    file = decodeURIComponent(encodedFile);
  } catch {
    return text(404, 'not found\n');
  }
  const { rows } = await pool.query<{ contentType: string; data: Buffer }>(
    'SELECT content_type AS "contentType", data FROM thumbnails WHERE file = $1',
    [file],
  );
  const found = rows[0];
  return found ? binary(found.contentType, found.data) : text(404, 'not found\n');
}

async function health(context: AppContext): Promise<Respond> {
  const check = async (what: string, probe: () => Promise<void>): Promise<'ok' | 'failed'> => {
    try {
      await withTimeout(probe(), 2000);
      return 'ok';
    } catch (error) {
      console.error(`healthz: ${what} failed: ${(error as Error).message}`);
      return 'failed';
    }
  };
  const [db, cache] = await Promise.all([
    check('db', async () => {
      await context.pool.query('SELECT 1');
    }),
    check('cache', () => context.cache.roundTrip()),
  ]);
  const ok = db === 'ok' && cache === 'ok';
  return json(ok ? 200 : 503, { ok, db, cache, flags: context.flagsDigest() });
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

function page(body: string): Respond {
  return (response) => send(response, 200, 'text/html; charset=utf-8', body, 'no-cache');
}

function json(status: number, value: unknown): Respond {
  return (response) => send(response, status, 'application/json', JSON.stringify(value) + '\n', 'no-store');
}

function text(status: number, body: string): Respond {
  return (response) => send(response, status, 'text/plain; charset=utf-8', body, 'no-store');
}

function binary(type: string, data: Buffer): Respond {
  return (response) => send(response, 200, type, data, 'public, max-age=60');
}

function send(
  response: ServerResponse,
  status: number,
  type: string,
  body: string | Buffer,
  cacheControl: string,
): void {
  response.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'cache-control': cacheControl,
  });
  response.end(body);
}
