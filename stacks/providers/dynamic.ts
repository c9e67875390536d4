// Glue between Pulumi dynamic providers and our Docker operations.
//
// The engine runs a dynamic provider in a separate process from a serialized
// closure. Serializing dockerode and our modules into that closure is fragile, so
// each provider's closure holds only where the module that implements it lies in
// the checkout, and imports it on first use: the provider process then runs our
// real, typed code. The closure is kept in the stack's state, so it names the
// module relative to the checkout (DEVENV_ROOT, set for the engine), never by an
// absolute path: a stack made from one clone is updated and destroyed from
// another after the first is gone.
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as pulumi from '@pulumi/pulumi';
import { projectRoot } from '../../lib/paths.ts';
import { isNotFound } from '../docker-client.ts';

export interface Operations<In, Out> {
  create(inputs: In): Promise<{ id: string; outs: Out }>;
  diff(id: string, olds: Out, news: In): Promise<pulumi.dynamic.DiffResult>;
  update(id: string, olds: Out, news: In): Promise<{ outs: Out }>;
  delete(id: string, props: Out): Promise<void>;
}

export function lazyProvider(moduleUrl: string): pulumi.dynamic.ResourceProvider {
  const modulePath = relative(projectRoot, fileURLToPath(moduleUrl));
  const load = async (): Promise<Operations<any, any>> => {
    const root = process.env.DEVENV_ROOT;
    return (await import(root ? new URL(modulePath, `file://${root.replace(/\/*$/, '/')}`).href : moduleUrl))
      .operations;
  };
  return {
    create: async (inputs) => (await load()).create(inputs),
    diff: async (id, olds, news) => (await load()).diff(id, olds, news),
    update: async (id, olds, news) => (await load()).update(id, olds, news),
    delete: async (id, props) => (await load()).delete(id, props),
  };
}

/** Keys whose values differ between two plain JSON-shaped records. */
export function changedKeys<T extends object>(
  olds: Partial<T>,
  news: T,
  keys: readonly (keyof T & string)[],
): string[] {
  return keys.filter((key) => JSON.stringify(olds[key] ?? null) !== JSON.stringify(news[key] ?? null));
}

/**
 * The diff of a resource Docker cannot change in place (a network, a volume):
 * replaced when a key that defines it changed, or when it is gone from the
 * engine (removed by hand), so that the next update makes it again.
 */
export async function replaceWhenChangedOrGone<T extends object>(
  olds: Partial<T>,
  news: T,
  keys: readonly (keyof T & string)[],
  inspect: () => Promise<unknown>,
): Promise<{ changes: boolean; replaces: string[]; deleteBeforeReplace: boolean }> {
  const replaces = changedKeys(olds, news, keys);
  const gone = await inspect().then(
    () => false,
    (error) => isNotFound(error),
  );
  if (gone) replaces.push('name');
  return { changes: replaces.length > 0, replaces, deleteBeforeReplace: true };
}

export interface Label {
  label: string;
  value: string;
}

export function labelsObject(labels: readonly Label[]): Record<string, string> {
  return Object.fromEntries(labels.map(({ label, value }) => [label, value]));
}

export function sameLabels(actual: Record<string, string> | undefined, wanted: readonly Label[]): boolean {
  return wanted.every(({ label, value }) => actual?.[label] === value);
}
