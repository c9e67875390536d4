// The Pulumi program of Pulumi.yaml, for the engine run directly (bin/pulumi
// preview -s prod): renders the selected stack from production, exactly as the
// devenv CLI does, and declares its resources.
import * as pulumi from '@pulumi/pulumi';
import { contextFromEnvironment, paths, projectRoot } from '../lib/paths.ts';
import { renderStack } from './render.ts';
import { recordedSources } from './releases.ts';
import { tierOfStack, type Tier } from './tiers.ts';
import { secretConfigKeys, tierHasSecrets, type StackSecrets } from './secrets.ts';
import { program } from './program.ts';

/** The tier's secrets as the engine hands the program its stack's config (decrypted); none for dev. */
function stackSecrets(tier: Tier): { secrets?: StackSecrets } {
  if (!tierHasSecrets(tier)) return {};
  const dbPassword = pulumi.runtime.getConfig(secretConfigKeys.dbPassword);
  if (!dbPassword)
    throw new Error(`${pulumi.getStack()} has no ${secretConfigKeys.dbPassword} yet: bring it up once with devenv`);
  return { secrets: { dbPassword } };
}

export async function stackProgram(): Promise<Record<string, unknown> | void> {
  const stack = pulumi.getStack();
  const tier = tierOfStack(stack);
  // Dev stacks record their port range in the stack's config (devenv up chooses it).
  const portBase =
    tier.ports.kind === 'fixed' ? tier.ports.base : new pulumi.Config('devenv').requireNumber('portBase');
  const ctx = contextFromEnvironment();
  // The release the stack's config records, as devenv renders it: plain Pulumi never rolls a stack back.
  const sources = await recordedSources(ctx, stack);
  const rendered = await renderStack(stack, projectRoot, portBase, { ...sources, ...stackSecrets(tier) });
  return program(rendered, { logDir: paths.logs(ctx) })();
}
