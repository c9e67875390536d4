// The Pulumi program of Pulumi.yaml, for the engine run directly (bin/pulumi
// preview -s prod): renders the selected stack from production, exactly as the
// devenv CLI does, and declares its resources.
import * as pulumi from '@pulumi/pulumi';
import { contextFromEnvironment, paths, projectRoot } from '../lib/paths.ts';
import { renderStack } from './render.ts';
import { recordedSources } from './releases.ts';
import { tierOfStack } from './tiers.ts';
import { program } from './program.ts';

export async function stackProgram(): Promise<Record<string, unknown> | void> {
  const stack = pulumi.getStack();
  const tier = tierOfStack(stack);
  // Dev stacks record their port range in the stack's config (devenv up chooses it).
  const portBase =
    tier.ports.kind === 'fixed' ? tier.ports.base : new pulumi.Config('devenv').requireNumber('portBase');
  const ctx = contextFromEnvironment();
  // The release the stack's config records, as devenv renders it: plain Pulumi never rolls a stack back.
  const rendered = await renderStack(stack, projectRoot, portBase, await recordedSources(ctx, stack));
  return program(rendered, { logDir: paths.logs(ctx) })();
}
