// What the e2e suites of the fixed stacks (ops, princess, prod) share: their
// addresses, from the tiers and roles (never written out), and one set-up: a
// throwaway devenv home, a clone of the project inside it (the deploy service
// sees the home, so its page can deploy from there), and the stacks brought up.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { execa } from 'execa';
import { projectRoot } from '../../lib/paths.ts';
import { opsUrl } from '../../deploy/client.ts';
import { hostPort } from '../../stacks/ports.ts';
import { fixedPortBase, type FixedStack } from '../../stacks/tiers.ts';
import { proxy } from '../../roles/proxy.ts';
import { graphite } from '../../roles/graphite.ts';
import { db } from '../../roles/db.ts';
import { devenvBin } from './devenv-cli.ts';
import { removeLabelled, throwawayHome } from './engines.ts';

const stackUrls = (stack: 'princess' | 'prod') => ({
  site: `http://127.0.0.1:${hostPort(fixedPortBase(stack), proxy.publish.http!)}/`,
  graphite: `http://127.0.0.1:${hostPort(fixedPortBase(stack), graphite.publish.http!)}/`,
  dbPort: hostPort(fixedPortBase(stack), db.publish.postgres!),
});

export const princess = stackUrls('princess');
export const prod = stackUrls('prod');
/** The deploy service's page and API, as the CLI reaches it. */
export const opsPage = `${opsUrl()}/`;
export const opsPort = Number(new URL(opsPage).port);

export interface FixedStacks {
  home: string;
  /** a clone of the project, with git knowing its user as Ada */
  repo: string;
  devenv(args: string[], options?: { cwd?: string }): ReturnType<typeof execa<{ reject: false; all: true }>>;
  git(...args: string[]): Promise<string>;
  /** takes the stacks down with their data and removes the home */
  remove(): Promise<void>;
}

/** A home and a clone, with `stacks` up from nothing (any left by another suite are removed first). */
export async function withFixedStacks(stacks: FixedStack[]): Promise<FixedStacks> {
  const { home, remove } = await throwawayHome();
  const repo = join(home, 'repo');
  await execa('git', ['clone', '--quiet', projectRoot, repo]);
  const git = async (...args: string[]) => (await execa('git', args, { cwd: repo })).stdout.trim();
  await git('config', 'user.email', 'ada@example.com');
  await git('config', 'user.name', 'Ada');
  const devenv = (args: string[], options: { cwd?: string } = {}) =>
    execa(devenvBin, args, { cwd: options.cwd ?? repo, env: { DEVENV_HOME: home }, reject: false, all: true });
  for (const stack of stacks) {
    await removeLabelled(stack);
    const up = await devenv([stack, 'up']);
    assert.equal(up.exitCode, 0, up.all);
  }
  return {
    home,
    repo,
    devenv,
    git,
    async remove() {
      for (const stack of stacks) await devenv([stack, 'down', '--purge-data']);
      for (const stack of stacks) await removeLabelled(stack);
      await remove();
    },
  };
}
