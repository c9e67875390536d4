// Which fleet a stack runs on, recorded in the stack's own config
// (`devenv:fleet`: its hosts and where each role goes), where every render of
// the stack reads it: devenv's and plain Pulumi's. No record: this machine's
// engine, as every tier ran before fleets.
import { UserError } from '../lib/errors.ts';
import type { Context } from '../lib/paths.ts';
import { fleetProblems, type Fleet, type Host } from './hosts.ts';
import { readStackConfig, writeStackConfig } from './stack-config.ts';

export const fleetKey = 'devenv:fleet';

const isStringList = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === 'string');

/** A fleet from config or a file a person wrote, or what is wrong with its shape (its soundness is fleetProblems'). */
export function fleetFromData(data: unknown): Fleet | string {
  if (typeof data !== 'object' || data === null) return 'a fleet is a map with hosts and placement';
  const { hosts, placement, replicas, controller } = data as Record<string, unknown>;
  if (controller !== undefined && typeof controller !== 'string')
    return "a fleet's controller is the address its hosts see this machine at, a string";
  if (!Array.isArray(hosts)) return 'a fleet needs a list of hosts';
  const parsed: Host[] = [];
  for (const [index, host] of hosts.entries()) {
    const { name, docker, address } = (host ?? {}) as Record<string, unknown>;
    if (typeof name !== 'string' || typeof docker !== 'string' || typeof address !== 'string')
      return `host ${index + 1} of the fleet needs a name, a docker endpoint and an address, each a string`;
    parsed.push({ name, docker, address });
  }
  if (typeof placement !== 'object' || placement === null || Array.isArray(placement))
    return 'a fleet needs a placement: role → list of host names';
  const roles: Record<string, string[]> = {};
  for (const [role, names] of Object.entries(placement)) {
    if (!isStringList(names)) return `the placement of ${role} must be a list of host names`;
    roles[role] = names;
  }
  const base = { hosts: parsed, placement: roles, ...(controller !== undefined && { controller }) };
  if (replicas === undefined) return base;
  if (typeof replicas !== 'object' || replicas === null || Array.isArray(replicas))
    return 'the replicas of a fleet are a map: role → how many';
  const counts: Record<string, number> = {};
  for (const [role, count] of Object.entries(replicas)) {
    if (typeof count !== 'number') return `the replicas of ${role} must be a number`;
    counts[role] = count;
  }
  return { ...base, replicas: counts };
}

/** The stack's recorded fleet; a record that is not a sound fleet is refused in one line. */
export async function readFleet(ctx: Context, stack: string): Promise<Fleet | undefined> {
  const recorded = (await readStackConfig(ctx, stack))[fleetKey];
  if (recorded === undefined) return undefined;
  const fleet = fleetFromData(recorded);
  if (typeof fleet === 'string')
    throw new UserError(
      `${stack}'s recorded fleet (${fleetKey} in its stack config) is unreadable: ${fleet}`,
      `record it again with \`devenv hosts use ${stack} FILE\`, or \`--none\` for this machine's engine`,
    );
  return fleet;
}

/** Records a checked fleet for the stack (undefined: back to this machine's engine); the next up applies it. */
export async function recordFleet(
  ctx: Context,
  stack: string,
  fleet: Fleet | undefined,
  roles: readonly string[],
): Promise<void> {
  if (fleet) {
    const problems = fleetProblems(fleet, roles);
    if (problems.length > 0)
      throw new UserError(
        `the fleet for ${stack} is not sound: ${problems.join('; ')}`,
        'fix it and run again; nothing was recorded',
      );
  }
  await writeStackConfig(ctx, stack, { [fleetKey]: fleet });
}
