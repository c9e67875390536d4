// The tiers, as data: what each changes about production. No role knows its tier.
import { UserError } from '../lib/errors.ts';
import { normaliseUser } from '../lib/user.ts';

export type TierName = 'dev' | 'princess' | 'prod' | 'ops';

export interface Tier {
  name: TierName;
  /** replicas per role where the tier differs from production */
  replicas: Record<string, number>;
  /** roles with a source folder get it mounted, and run their live-edit command */
  liveEdit: boolean;
  /** env overrides per role (where the data comes from, mostly) */
  env: Record<string, Record<string, string>>;
  /** where host ports come from: a per-developer range, or the tier's fixed base */
  ports: { kind: 'per-user' } | { kind: 'fixed'; base: number };
  /** which stack it is drawn from: production, or the ops stack beside it (the deploy service) */
  composition: 'production' | 'ops';
}

export const tiers: Record<TierName, Tier> = {
  dev: {
    name: 'dev',
    replicas: { web: 1 },
    liveEdit: true,
    env: { web: { SEED: 'dev', DEVENV_TIER: 'dev', FLAGS_FILE: '/srv/site/flags.yaml' } },
    ports: { kind: 'per-user' },
    composition: 'production',
  },
  // Princess is prod's rehearsal: the same shape, on scrubbed production data.
  princess: {
    name: 'princess',
    replicas: { web: 3 },
    liveEdit: false,
    env: { web: { DEVENV_TIER: 'princess' } },
    ports: { kind: 'fixed', base: 18000 },
    composition: 'production',
  },
  prod: {
    name: 'prod',
    replicas: { web: 3 },
    liveEdit: false,
    env: { web: { DEVENV_TIER: 'prod' } },
    ports: { kind: 'fixed', base: 18100 },
    composition: 'production',
  },
  // Not a tier of production: the deploy service and its database, beside them.
  ops: {
    name: 'ops',
    replicas: {},
    liveEdit: false,
    env: {},
    ports: { kind: 'fixed', base: 18200 },
    composition: 'ops',
  },
};

/** The tier of a stack name a user gave, or a one-line refusal. */
export function tierOfStackOrRefuse(stack: string): Tier {
  try {
    return tierOfStack(stack);
  } catch (error) {
    throw new UserError((error as Error).message);
  }
}

/** The stacks with one fixed name and fixed ports. */
export type FixedStack = 'prod' | 'princess' | 'ops';

export function devStackName(user: string): string {
  return `dev-${normaliseUser(user)}`;
}

/** The first host port of a stack whose tier has fixed ports (princess, prod). */
export function fixedPortBase(stack: string): number {
  const { ports } = tierOfStack(stack);
  if (ports.kind !== 'fixed') throw new Error(`${stack} has no fixed ports: its range is chosen per developer`);
  return ports.base;
}

/** The tier a stack name belongs to: dev-<user>, princess or prod. */
export function tierOfStack(stack: string): Tier {
  if (stack === 'prod' || stack === 'princess' || stack === 'ops') return tiers[stack];
  if (/^dev-[a-z0-9][a-z0-9-]*$/.test(stack)) return tiers.dev;
  throw new Error(`unknown stack "${stack}": stacks are dev-<user>, princess, prod and ops`);
}
