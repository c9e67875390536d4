// Parity is a checked property: two rendered tiers may differ only where the
// allow-list says tiers differ (replicas, host ports, data source, live-edit
// mounts); any other difference is a place where "works in dev" can break in prod.
import type { RenderedContainer, RenderedStack } from './render.ts';

export interface Difference {
  role: string;
  field: string;
  a: string;
  b: string;
  /** the allow-list entry that permits it, or undefined when it breaks parity */
  allowedAs?: string;
}

/** Env keys that say where a tier's data comes from: allowed to differ. */
export const dataSourceEnvKeys = ['SEED'] as const;
/** The env key that names the tier to the site (config flags' URL overrides work in dev and princess only). */
export const tierNameEnvKey = 'DEVENV_TIER';
/** Env keys that point into the mounted checkout in live-edit tiers (dev reads flags from site/). */
export const liveEditEnvKeys = ['FLAGS_FILE'] as const;

const show = (value: unknown) =>
  value === undefined ? '(none)' : typeof value === 'string' ? value : JSON.stringify(value);

export function parity(a: RenderedStack, b: RenderedStack): Difference[] {
  const roles = [...new Set([...a.containers, ...b.containers].map((c) => c.role))].sort();
  return roles.flatMap((role) => {
    const left = a.containers.filter((c) => c.role === role);
    const right = b.containers.filter((c) => c.role === role);
    if (left.length === 0 || right.length === 0) {
      return [{ role, field: 'role', a: left.length ? 'present' : 'missing', b: right.length ? 'present' : 'missing' }];
    }
    return compareRole(role, left, right);
  });
}

export function breaksParity(differences: Difference[]): Difference[] {
  return differences.filter((d) => d.allowedAs === undefined);
}

function compareRole(role: string, left: RenderedContainer[], right: RenderedContainer[]): Difference[] {
  const [x, y] = [left[0]!, right[0]!];
  const found: Difference[] = [];
  const differ = (field: string, p: unknown, q: unknown, allowedAs?: string) => {
    if (show(p) !== show(q)) found.push({ role, field, a: show(p), b: show(q), ...(allowedAs && { allowedAs }) });
  };
  differ('replicas', left.length, right.length, 'replicas');
  differ('image', x.image, y.image);
  differ('command', x.command, y.command, x.liveEdit || y.liveEdit ? 'live edit' : undefined);
  const placed = new Set([...(x.placedEnv ?? []), ...(y.placedEnv ?? [])]);
  // A secret differs between tiers by design: the values are compared with it masked.
  const shown = (c: RenderedContainer, key: string) => c.secretEnv?.[key] ?? c.env[key];
  for (const key of [...new Set([...Object.keys(x.env), ...Object.keys(y.env)])].sort()) {
    const liveEdit = (x.liveEdit || y.liveEdit) && (liveEditEnvKeys as readonly string[]).includes(key);
    differ(
      `env.${key}`,
      shown(x, key),
      shown(y, key),
      (dataSourceEnvKeys as readonly string[]).includes(key)
        ? 'data source'
        : key === tierNameEnvKey
          ? 'tier name'
          : liveEdit
            ? 'live edit'
            : placed.has(key)
              ? 'placement'
              : undefined,
    );
  }
  // Across a fleet every port is published on its host, for the other hosts.
  const acrossHosts = x.host !== undefined || y.host !== undefined;
  differ(
    'container ports',
    x.ports.map((p) => `${p.name}:${p.container}`),
    y.ports.map((p) => `${p.name}:${p.container}`),
    left.length !== right.length ? 'replicas' : acrossHosts ? 'placement' : undefined,
  );
  differ(
    'host ports',
    x.ports.map((p) => p.host),
    y.ports.map((p) => p.host),
    'ports',
  );
  const volumes = (c: RenderedContainer) => c.mounts.filter((m) => m.volume).map((m) => m.path);
  differ('volumes', volumes(x), volumes(y));
  const sources = (c: RenderedContainer) =>
    c.mounts.filter((m) => !m.volume).map((m) => `${m.hostPath ?? 'tmpfs'}:${m.path}`);
  differ('source mounts', sources(x), sources(y), 'live edit');
  differ('health check', x.healthCheck, y.healthCheck);
  differ('depends on', x.dependsOn, y.dependsOn);
  differ('memory (MiB)', x.memoryMb, y.memoryMb);
  return found;
}
