// Content-addressed image tags: the same build inputs give the same tag on every
// machine and in every tier, so dev, princess and prod run the same bytes, and an
// image whose tag exists never needs building again.
import { createHash } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

export interface BuildInputs {
  /** folder sent to the build as its context */
  contextDir: string;
  /** the Dockerfile, which may live outside the context (images/<name>/Dockerfile) */
  dockerfile: string;
  buildArgs?: Record<string, string>;
}

/** Paths skipped in every context: never inputs of a build. */
const alwaysIgnored = new Set(['node_modules', '.git', '.tools', 'test-artifacts']);

/** Files of the context, relative, sorted, as the build will see them. */
export async function contextFiles(contextDir: string): Promise<string[]> {
  const files: string[] = [];
  async function walk(dir: string): Promise<void> {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (alwaysIgnored.has(entry.name)) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) files.push(relative(contextDir, path).split(sep).join('/'));
    }
  }
  await walk(contextDir);
  return files.sort();
}

/** sha256 over the Dockerfile, the build args and every file's path, exec bit and bytes; 16 hex chars. */
export async function contextHash(inputs: BuildInputs): Promise<string> {
  const hash = createHash('sha256');
  hash.update(`dockerfile\0${await readFile(inputs.dockerfile, 'utf8')}\0`);
  for (const [key, value] of Object.entries(inputs.buildArgs ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    hash.update(`arg\0${key}=${value}\0`);
  }
  for (const file of await contextFiles(inputs.contextDir)) {
    const path = join(inputs.contextDir, file);
    const executable = ((await stat(path)).mode & 0o111) !== 0;
    hash.update(`file\0${file}\0${executable ? 'x' : '-'}\0`);
    hash.update(await readFile(path));
    hash.update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}
