// The ops stack: the deploy service and its own PostgreSQL, beside production
// rather than part of it (deploys must not depend on what they deploy).
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { db } from '../roles/db.ts';
import { deployer } from '../roles/deployer.ts';
import { composeStack, type Composition } from './production.ts';

/**
 * The deployer runs the checkout's ops/ code, mounted rather than baked into an
 * image: its hash in the env makes `ops up` replace the container when that code
 * changes, as a new image tag would.
 */
function opsCodeHash(): string {
  const dir = join(import.meta.dirname, '..', 'ops');
  const hash = createHash('sha256');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts')).sort()) hash.update(file).update(readFileSync(join(dir, file)));
  return hash.digest('hex').slice(0, 16);
}

export function opsStack(): Composition {
  const deployDb = { ...db, env: { POSTGRES_USER: 'deploys', POSTGRES_PASSWORD: 'deploys', POSTGRES_DB: 'deploys' }, resources: { memoryMb: 256 } };
  return composeStack([deployDb, { ...deployer, env: { ...deployer.env, OPS_CODE: opsCodeHash() } }]);
}
