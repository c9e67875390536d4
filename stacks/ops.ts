// The ops stack: the deploy service and its own PostgreSQL, beside production
// rather than part of it (deploys must not depend on what they deploy).
import { db } from '../roles/db.ts';
import { deployer } from '../roles/deployer.ts';
import { composeStack, type Production } from './production.ts';

export function opsStack(): Production {
  const deployDb = { ...db, env: { POSTGRES_USER: 'deploys', POSTGRES_PASSWORD: 'deploys', POSTGRES_DB: 'deploys' }, resources: { memoryMb: 256 } };
  return composeStack([deployDb, deployer]);
}
