// Loads generated development data into an empty catalog, in one transaction.
import type { PoolClient } from 'pg';
import { generateSeed } from './seed.ts';

/** Returns the number of items loaded: 0 when the items table already had rows. */
export async function loadSeedIfEmpty(client: PoolClient, seedName: string): Promise<number> {
  const { rows } = await client.query<{ any: boolean }>('SELECT EXISTS (SELECT 1 FROM items) AS any');
  if (rows[0]?.any) return 0;
  const seed = generateSeed(seedName);
  await client.query('BEGIN');
  try {
    await client.query(
      'INSERT INTO shops (id, name) SELECT * FROM unnest($1::int[], $2::text[]) ON CONFLICT (id) DO NOTHING',
      [seed.shops.map((shop) => shop.id), seed.shops.map((shop) => shop.name)],
    );
    await client.query(
      'INSERT INTO items (id, shop_id, title, price_cents) SELECT * FROM unnest($1::int[], $2::int[], $3::text[], $4::int[])',
      [
        seed.items.map((item) => item.id),
        seed.items.map((item) => item.shopId),
        seed.items.map((item) => item.title),
        seed.items.map((item) => item.priceCents),
      ],
    );
    // The rows came with their ids: move the sequences past them for later inserts.
    await client.query(`SELECT setval(pg_get_serial_sequence('shops', 'id'), (SELECT max(id) FROM shops))`);
    await client.query(`SELECT setval(pg_get_serial_sequence('items', 'id'), (SELECT max(id) FROM items))`);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
  return seed.items.length;
}
