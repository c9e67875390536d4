// Where devenv keeps things. One place, so tests can point it elsewhere.
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** State, logs and secrets of the user's environments. @default ~/.devenv */
export function devenvHome(): string {
  return resolve(process.env.DEVENV_HOME ?? join(homedir(), '.devenv'));
}

/** Tools the project installs for itself (Node.js, the Pulumi engine); ignored by git. */
export function toolsDir(): string {
  return resolve(process.env.DEVENV_TOOLS ?? join(projectRoot, '.tools'));
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
