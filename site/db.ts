// The PostgreSQL pool both roles use.
import { Pool } from 'pg';

export type { Pool } from 'pg';

export function createPool(connectionString: string, max = 10): Pool {
  const pool = new Pool({ connectionString, max, connectionTimeoutMillis: 3000, idleTimeoutMillis: 30_000 });
  // An idle client losing its connection (db restarted) must not crash the process;
  // the pool replaces it on the next query.
  pool.on('error', (error) => console.error(`db: idle connection failed: ${error.message}`));
  return pool;
}

export async function ping(pool: Pool): Promise<void> {
  await pool.query('SELECT 1');
}
