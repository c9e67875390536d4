// The ops stack: the deploy service and its own PostgreSQL, beside production
// rather than part of it (deploys must not depend on what they deploy), the
// registry the fleet's hosts pull images from (stacks/registry.ts), and the
// deploy channel: an IRC server and the deploy bot (chat/).
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { db } from '../roles/db.ts';
import { deployer } from '../roles/deployer.ts';
import { registry } from '../roles/registry.ts';
import { chatbot } from '../roles/chatbot.ts';
import { ircd } from '../roles/ircd.ts';
import { composeStack, type Composition } from './production.ts';

/** The folders of the checkout whose code the deploy service and the deploy bot run (ops/server.ts, chat/bot-main.ts and what they import). */
const serviceCode = ['ops', 'chat', 'deploy', 'lib', 'site'];

/**
 * The deployer runs the checkout's code, mounted rather than baked into an
 * image: its hash in the env makes `ops up` replace the container when that code
 * changes, as a new image tag would.
 */
function opsCodeHash(): string {
  const root = join(import.meta.dirname, '..');
  const hash = createHash('sha256');
  for (const folder of serviceCode) {
    for (const file of readdirSync(join(root, folder))
      .filter((f) => f.endsWith('.ts'))
      .sort())
      hash.update(`${folder}/${file}`).update(readFileSync(join(root, folder, file)));
  }
  return hash.digest('hex').slice(0, 16);
}

export function opsStack(): Composition {
  const deployDb = {
    ...db,
    env: { POSTGRES_USER: 'deploys', POSTGRES_PASSWORD: 'deploys', POSTGRES_DB: 'deploys' },
    resources: { memoryMb: 256 },
  };
  const code = opsCodeHash();
  return composeStack([
    deployDb,
    { ...deployer, env: { ...deployer.env, OPS_CODE: code } },
    registry,
    ircd,
    { ...chatbot, env: { ...chatbot.env, OPS_CODE: code } },
  ]);
}
