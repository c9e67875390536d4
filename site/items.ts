// The items the home page lists, newest first and a page of them (production
// holds millions): from memcached when fresh, else from PostgreSQL.
import type { Cache } from './cache.ts';
import type { Pool } from './db.ts';
import type { ItemRow } from './home-page.ts';
import type { Statsd } from './statsd.ts';

// v3: each item carries its id (the home page links to the item's page).
const cacheKey = 'home:items:v3';
export const homePageItems = 60;
const ttlSeconds = 30;

export async function loadItems(pool: Pool): Promise<ItemRow[]> {
  const { rows } = await pool.query<ItemRow>(
    `SELECT i.id::int AS id, i.title, i.price_cents AS "priceCents", s.name AS shop
       FROM items i JOIN shops s ON s.id = i.shop_id
      ORDER BY i.id DESC
      LIMIT $1`,
    [homePageItems],
  );
  return rows;
}

export async function cachedItems(pool: Pool, cache: Cache, statsd: Statsd): Promise<ItemRow[]> {
  try {
    const cached = await cache.getJson<ItemRow[]>(cacheKey);
    if (cached) {
      statsd.increment('cache.hit');
      return cached;
    }
    statsd.increment('cache.miss');
  } catch (error) {
    cacheFailed('read', error, statsd);
  }
  const items = await loadItems(pool);
  // Not awaited: the page need not wait for the cache, nor fail with it.
  cache.setJson(cacheKey, items, ttlSeconds).catch((error: unknown) => cacheFailed('write', error, statsd));
  return items;
}

function cacheFailed(what: string, error: unknown, statsd: Statsd): void {
  statsd.increment('cache.errors');
  console.error(`cache: ${what} of ${cacheKey} failed: ${(error as Error).message}`);
}

/** One item by its id, with its shop; undefined when there is none. */
export async function loadItem(pool: Pool, id: number): Promise<ItemRow | undefined> {
  const { rows } = await pool.query<ItemRow>(
    `SELECT i.id::int AS id, i.title, i.price_cents AS "priceCents", s.name AS shop
       FROM items i JOIN shops s ON s.id = i.shop_id
      WHERE i.id = $1`,
    [id],
  );
  return rows[0];
}
