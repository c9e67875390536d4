// Where devenv keeps things. The environment (DEVENV_HOME, DEVENV_TOOLS) is read
// once, where a program starts (the devenv command, the deploy service, the
// Pulumi program), into a Context passed down: nothing below reads it again, so
// a test hands a workflow a home of its own without touching process.env.
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** This checkout of devenv: where its code, images and Pulumi.yaml are. */
export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface Context {
  /** state, logs and secrets of the user's environments @default ~/.devenv */
  home: string;
  /**
   * The engines devenv installs for itself (Node.js, the Pulumi engine), shared by
   * every checkout and every devenv home of the user, so that a fresh clone or a
   * throwaway home does not compile Pulumi again. Not under the home on purpose:
   * tests give each run a new home. @default ~/.devenv/tools
   */
  tools: string;
}

export function contextFromEnvironment(env: NodeJS.ProcessEnv = process.env): Context {
  return {
    home: resolve(env.DEVENV_HOME ?? join(homedir(), '.devenv')),
    tools: resolve(env.DEVENV_TOOLS ?? join(homedir(), '.devenv', 'tools')),
  };
}

export const paths = {
  state: (ctx: Context) => join(ctx.home, 'state'),
  logs: (ctx: Context) => join(ctx.home, 'logs'),
  passphraseFile: (ctx: Context) => join(ctx.home, 'passphrase'),
  pulumiHome: (ctx: Context) => join(ctx.home, 'pulumi-home'),
  /** devenv's Pulumi workspace: the project file and each stack's config, which plain Pulumi (bin/pulumi) reads too */
  workspace: (ctx: Pick<Context, 'home'>) => join(ctx.home, 'workspace'),
  stackConfigFile: (ctx: Pick<Context, 'home'>, stack: string) => join(paths.workspace(ctx), `Pulumi.${stack}.yaml`),
  pulumiRoot: (ctx: Context) => join(ctx.tools, 'pulumi'),
  /** beside the engine, where it looks for bundled plugins first (no "from $PATH" warnings) */
  pulumiPlugins: (ctx: Context) => join(ctx.tools, 'pulumi', 'bin'),
  images: () => join(projectRoot, 'images'),
};
