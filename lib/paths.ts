// Where devenv keeps things. One place, so tests can point it elsewhere.
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** State, logs and secrets of the user's environments. @default ~/.devenv */
export function devenvHome(): string {
  return resolve(process.env.DEVENV_HOME ?? join(homedir(), '.devenv'));
}

/**
 * The engines devenv installs for itself (Node.js, the Pulumi engine), shared by
 * every checkout and every devenv home of the user, so that a fresh clone or a
 * throwaway home does not compile Pulumi again. Not under DEVENV_HOME on purpose:
 * tests point that at a new folder each time. @default ~/.devenv/tools
 */
export function toolsDir(): string {
  return resolve(process.env.DEVENV_TOOLS ?? join(homedir(), '.devenv', 'tools'));
}

export const paths = {
  state: () => join(devenvHome(), 'state'),
  logs: () => join(devenvHome(), 'logs'),
  passphraseFile: () => join(devenvHome(), 'passphrase'),
  pulumiHome: () => join(devenvHome(), 'pulumi-home'),
  pulumiRoot: () => join(toolsDir(), 'pulumi'),
  /** beside the engine, where it looks for bundled plugins first (no "from $PATH" warnings) */
  pulumiPlugins: () => join(toolsDir(), 'pulumi', 'bin'),
  images: () => join(projectRoot, 'images'),
};
