// Which hosts a stack runs on: a fleet from a file a person wrote, the local
// fleet with the default placement, or none (this machine's engine), checked
// and recorded in the stack's config. Nothing on any host changes here: the
// stack's next `up` (or deploy) applies it.
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { UserError } from '../lib/errors.ts';
import type { Context } from '../lib/paths.ts';
import { fleetFromData, readFleet, recordFleet } from '../stacks/fleet-config.ts';
import { defaultPlacement, type Fleet } from '../stacks/hosts.ts';
import { production } from '../stacks/production.ts';
import { readRegistryConfig, registryFiles } from '../stacks/registry-files.ts';
import { tierOfStackOrRefuse } from '../stacks/tiers.ts';
import { listLocalFleet } from './local-fleet.ts';
import { localFleetNetwork } from './local-fleet-plan.ts';

export type FleetChoice = { kind: 'file'; path: string } | { kind: 'local' } | { kind: 'none' };

export interface UsedFleet {
  stack: string;
  /** undefined: this machine's engine */
  fleet: Fleet | undefined;
  /** what the stack ran on before */
  before: Fleet | undefined;
}

const productionRoles = () => production().roles.map((role) => role.name);

async function fleetFromFile(path: string): Promise<Fleet> {
  const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new UserError(
      `cannot read the fleet file ${path}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`,
    );
  });
  let data: unknown;
  try {
    data = parse(text);
  } catch (error) {
    throw new UserError(`${path} is not YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  const fleet = fleetFromData(data);
  if (typeof fleet === 'string')
    throw new UserError(`${path}: ${fleet}`, 'see `devenv hosts use --help` for the format');
  return fleet;
}

/** The local fleet as it is now, each role placed by default: prod's data on host-1, princess's on host-2. */
async function localFleetFor(stack: string): Promise<Fleet> {
  const local = await listLocalFleet();
  if (local.hosts.length === 0)
    throw new UserError('there is no local fleet to run on', 'make one with `devenv hosts local 3`');
  const names = local.hosts.map((host) => host.name);
  const dataHost = stack === 'princess' && names.length > 1 ? names[1]! : names[0]!;
  return {
    hosts: local.hosts.map(({ name, docker, address }) => ({ name, docker, address })),
    placement: defaultPlacement(productionRoles(), names, dataHost),
    // The hosts see this machine at their network's gateway (the registry's hostAddress by default).
    controller: localFleetNetwork.gateway,
  };
}

/**
 * The address the hosts see this machine at is one fact: the registry and the
 * deploy service listen there (registry.json's hostAddress), and the databases
 * let it in (the fleet's controller). A fleet that names none takes the
 * registry's; one that names another is refused.
 */
async function withController(home: string, fleet: Fleet): Promise<Fleet> {
  const { hostAddress } = await readRegistryConfig(home);
  if (fleet.controller === undefined) return { ...fleet, controller: hostAddress };
  if (fleet.controller !== hostAddress)
    throw new UserError(
      `the fleet's controller ${fleet.controller} is not the address the registry and the deploy service listen on for the hosts (${hostAddress}, hostAddress in ${registryFiles(home).config})`,
      'make them one: change the fleet, or hostAddress (then `devenv ops up`)',
    );
  return fleet;
}

export async function useFleet(ctx: Context, stack: string, choice: FleetChoice): Promise<UsedFleet> {
  const tier = tierOfStackOrRefuse(stack);
  if (tier.name !== 'prod' && tier.name !== 'princess')
    throw new UserError(`${stack} runs on this machine's engine only`, 'prod and princess can run on a fleet');
  const before = await readFleet(ctx, stack).catch(() => undefined);
  const chosen =
    choice.kind === 'none'
      ? undefined
      : choice.kind === 'local'
        ? await localFleetFor(stack)
        : await fleetFromFile(choice.path);
  const recorded = chosen && (await withController(ctx.home, chosen));
  await recordFleet(ctx, stack, recorded, productionRoles());
  return { stack, fleet: recorded, before };
}
