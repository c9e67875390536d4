// A tier's secrets: the database password of prod and princess, made at random
// the first time the stack is opened and kept as a Pulumi secret in the stack's
// own config (encrypted with the devenv home's passphrase), so they are never in
// git, never printed, and encrypted in the state wherever a container's env
// holds them. Dev stacks have none of their own: their database is the
// developer's, on loopback, with the default password.
import { randomBytes } from 'node:crypto';
import type { Stack } from '@pulumi/pulumi/automation/index.js';
import type { Tier } from './tiers.ts';

export interface StackSecrets {
  dbPassword: string;
}

/** In a stack's config: devenv:dbPassword, marked secret. */
export const secretConfigKeys: Record<keyof StackSecrets, string> = { dbPassword: 'devenv:dbPassword' };

/** A dev stack's: the database of one developer's machine, on loopback. */
export const devSecrets: StackSecrets = { dbPassword: 'shop' };

/** What stands for a secret in a stack rendered without them (parity, URLs): never applied. */
export const secretStandIn = '(secret)';

export function tierHasSecrets(tier: Tier): boolean {
  return tier.name === 'prod' || tier.name === 'princess';
}

/** Long enough to guess never, and plain in a URL (base64url). */
function newSecret(): string {
  return randomBytes(24).toString('base64url');
}

/** The stack's secrets, each made and recorded (as a Pulumi secret) the first time it is missing. */
export async function ensureSecrets(stack: Stack, tier: Tier): Promise<StackSecrets> {
  if (!tierHasSecrets(tier)) return devSecrets;
  const key = secretConfigKeys.dbPassword;
  const recorded = await stack.getConfig(key).catch(() => undefined);
  if (recorded?.value) return { dbPassword: recorded.value };
  const dbPassword = newSecret();
  await stack.setConfig(key, { value: dbPassword, secret: true });
  return { dbPassword };
}
