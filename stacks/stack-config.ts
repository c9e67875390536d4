// A stack's own Pulumi config (the stack file in devenv's workspace), where devenv
// records what the stack runs (its release, its fleet) so that plain Pulumi
// (`bin/pulumi preview -s prod`) renders exactly what devenv renders.
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parse, parseDocument } from 'yaml';
import { writeFileAtomic } from '../lib/files.ts';
import { paths, type Context } from '../lib/paths.ts';

/** The stack's config values by key (`devenv:release`, ...); empty when the stack has no file yet. */
export async function readStackConfig(ctx: Context, stack: string): Promise<Record<string, unknown>> {
  const stackFile = await readFile(paths.stackConfigFile(ctx, stack), 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return '';
    throw error;
  });
  return (parse(stackFile) as { config?: Record<string, unknown> } | null)?.config ?? {};
}

/** The stack file with these keys set (undefined: removed) and everything else in it (other config, the secrets' salt) kept. */
export function withConfigValues(stackFile: string, values: Record<string, unknown>): string {
  const document = parseDocument(stackFile);
  if (!document.has('config')) document.set('config', document.createNode({}));
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) document.deleteIn(['config', key]);
    else document.setIn(['config', key], document.createNode(value));
  }
  return document.toString();
}

export async function writeStackConfig(ctx: Context, stack: string, values: Record<string, unknown>): Promise<void> {
  const file = paths.stackConfigFile(ctx, stack);
  const stackFile = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return '';
    throw error;
  });
  await mkdir(dirname(file), { recursive: true });
  await writeFileAtomic(file, withConfigValues(stackFile, values));
}
