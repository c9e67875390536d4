// The Pulumi program of Pulumi.yaml, for the engine run directly (bin/pulumi
// preview -s prod): renders the selected stack from production, exactly as the
// devenv CLI does, and declares its resources.
import * as pulumi from '@pulumi/pulumi';
import { join } from 'node:path';
import { homedir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { renderStack } from './render.ts';
import { tierOfStack } from './tiers.ts';
import { program } from './program.ts';

const projectRoot = fileURLToPath(new URL('..', import.meta.url));

export async function stackProgram(): Promise<Record<string, unknown> | void> {
  const stack = pulumi.getStack();
  const tier = tierOfStack(stack);
  // Dev stacks record their port range in the stack's config (devenv up chooses it).
  const portBase =
    tier.ports.kind === 'fixed' ? tier.ports.base : new pulumi.Config('devenv').requireNumber('portBase');
  const rendered = await renderStack(stack, projectRoot, portBase);
  const home = process.env.DEVENV_HOME ?? join(homedir(), '.devenv');
  return program(rendered, { logDir: join(home, 'logs') })();
}
