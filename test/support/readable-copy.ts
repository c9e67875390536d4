// A copy of this checkout that another user (nobody) can enter and run, wherever
// the checkout lies: under root's home or in a mode-0700 temporary folder, the
// user could not reach the launcher. Files are hard links where the file system
// allows (seconds, no space); only the new folders are opened to everyone.
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { contextFromEnvironment, projectRoot } from '../../lib/paths.ts';

export interface ReadableCopy {
  /** the copy's bin/devenv */
  launcher: string;
  /** DEVENV_TOOLS for the copy: the Node.js devenv installed, when it did */
  tools: string;
  remove: () => Promise<void>;
}

/** What the launcher needs: the code and its dependencies, not git's objects, nor outputs. */
const left = new Set(['.git', 'test-artifacts', '.tools']);

async function linkOrCopy(from: string, to: string): Promise<void> {
  const linked = await execa('cp', ['-a', '--link', from, to], { reject: false });
  if (linked.exitCode !== 0) await execa('cp', ['-a', from, to]);
}

async function openFolders(root: string): Promise<void> {
  await chmod(root, 0o755);
  for (const entry of await readdir(root, { withFileTypes: true, recursive: true })) {
    if (entry.isDirectory()) await chmod(join(entry.parentPath, entry.name), 0o755);
  }
}

export async function readableCopy(): Promise<ReadableCopy> {
  const root = await mkdtemp(join(tmpdir(), 'devenv-readable-'));
  const project = join(root, 'devenv');
  const tools = join(root, 'tools');
  await execa('mkdir', ['-p', project, tools]);
  for (const entry of await readdir(projectRoot)) {
    if (!left.has(entry)) await linkOrCopy(join(projectRoot, entry), join(project, entry));
  }
  const { tools: machineTools } = contextFromEnvironment();
  if (existsSync(join(machineTools, 'node'))) await linkOrCopy(join(machineTools, 'node'), join(tools, 'node'));
  await openFolders(root);
  return { launcher: join(project, 'bin', 'devenv'), tools, remove: () => rm(root, { recursive: true, force: true }) };
}
