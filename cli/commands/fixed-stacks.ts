// devenv prod|ops|princess: your dev stack's up, status and down pointed at a
// fixed stack, then that stack's own commands.
import type { FixedStack } from '../../stacks/tiers.ts';
import { type CommandDefinition, defineGroup } from '../define-command.ts';
import { downCommandFor } from './down-command.ts';
import { loginCommand, tokensCommand } from './ops-access-command.ts';
import { rebuildCommand } from './princess-rebuild.ts';
import { generateCommand } from './prod-generate-command.ts';
import { statusCommandFor } from './status.ts';
import { upCommandFor } from './up-command.ts';

function fixedStackCommand(stack: FixedStack, what: string, own: CommandDefinition[]): CommandDefinition {
  return defineGroup({
    name: stack,
    description: `${what}: the same commands as for your dev stack, pointed at ${stack}`,
    commands: [upCommandFor(stack), statusCommandFor(stack), downCommandFor(stack), ...own],
  });
}

export const prodCommand = fixedStackCommand(
  'prod',
  'production (several web replicas behind the proxy, its own data kept on destroy)',
  [generateCommand],
);

export const opsCommand = fixedStackCommand(
  'ops',
  'the deploy service (queue, lock, history, the two-button page) and its own database',
  [loginCommand, tokensCommand],
);

export const princessCommand = fixedStackCommand('princess', 'staging on scrubbed production data', [rebuildCommand]);
