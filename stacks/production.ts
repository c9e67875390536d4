// The production stack, described once. Every tier is derived from it.
import { roleProblems, type Role } from '../roles/role.ts';
import { cache } from '../roles/cache.ts';
import { db } from '../roles/db.ts';
import { graphite } from '../roles/graphite.ts';
import { proxy } from '../roles/proxy.ts';
import { statsd } from '../roles/statsd.ts';
import { web } from '../roles/web.ts';
import { worker } from '../roles/worker.ts';

/** A stack composed from roles and checked: production, or the deploy service's stack beside it. */
export interface Composition {
  /** roles in dependency order: every role after the roles it depends on */
  roles: Role[];
}

export function production(): Composition {
  return composeStack([proxy, web, worker, db, cache, statsd, graphite]);
}

/** Validates the roles and orders them by dependency; throws naming every problem. */
export function composeStack(roles: Role[]): Composition {
  const problems = roles.flatMap(roleProblems);
  const byName = new Map(roles.map((role) => [role.name, role]));
  if (byName.size !== roles.length) problems.push('two roles share a name');
  for (const role of roles) {
    for (const dependency of role.dependsOn) {
      if (!byName.has(dependency)) problems.push(`role ${role.name} depends on unknown role "${dependency}"`);
    }
  }
  const offsets = roles.flatMap((role) =>
    Object.entries(role.publish).map(([port, offset]) => ({ at: `${role.name}.${port}`, offset })),
  );
  for (const { at, offset } of offsets) {
    const clash = offsets.find((other) => other.offset === offset && other.at < at);
    if (clash) problems.push(`${at} and ${clash.at} are both published at offset ${offset}`);
  }
  if (problems.length > 0) throw new Error(`the production stack is invalid: ${problems.join('; ')}`);
  return { roles: dependencyOrder(roles, byName) };
}

function dependencyOrder(roles: Role[], byName: Map<string, Role>): Role[] {
  const ordered: Role[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (role: Role, path: string[]): void => {
    if (state.get(role.name) === 'done') return;
    if (state.get(role.name) === 'visiting') {
      const cycle = [...path.slice(path.indexOf(role.name)), role.name];
      throw new Error(`the production stack is invalid: roles depend on each other in a cycle: ${cycle.join(' -> ')}`);
    }
    state.set(role.name, 'visiting');
    for (const dependency of role.dependsOn) visit(byName.get(dependency)!, [...path, role.name]);
    state.set(role.name, 'done');
    ordered.push(role);
  };
  for (const role of roles) visit(role, []);
  return ordered;
}
