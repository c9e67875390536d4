// Gathers the facts doctor reports on, and brings missing prerequisites in place
// (setup, and every command that needs an engine, run this).
import { statfs, mkdir } from 'node:fs/promises';
import type { Context } from '../lib/paths.ts';
import { UserError } from '../lib/errors.ts';
import { consoleReporter, type Phase } from '../lib/report.ts';
import { baseImageName } from '../stacks/docker-client.ts';
import { planRows, type Facts, type Row } from './plan.ts';
import { installDocker, probeDocker, startDocker } from './docker-engine.ts';
import { goInstalled, installPulumi, writePluginShims } from './pulumi-engine.ts';
import { probePulumi, pulumiVersion } from '../stacks/engine.ts';
import { baseImagePresent, makeBaseImage } from './base-image.ts';

export async function gatherFacts(ctx: Context): Promise<Facts> {
  await mkdir(ctx.home, { recursive: true });
  const [docker, pulumi, go, disk] = await Promise.all([
    probeDocker(),
    probePulumi(ctx),
    goInstalled(),
    statfs(ctx.home),
  ]);
  return {
    node: { version: process.version },
    docker,
    pulumi: { ...pulumi, wanted: pulumiVersion, goInstalled: go },
    baseImage: { name: baseImageName, present: docker.answers && (await baseImagePresent()) },
    disk: { path: ctx.home, freeBytes: disk.bavail * disk.bsize },
  };
}

export interface SetupResult {
  rows: Row[];
  /** what setup did, in order, for the summary */
  done: string[];
}

/**
 * Fixes what can be fixed, in dependency order (Docker before the base image),
 * then reports the rows as they are now. Throws a UserError naming the first
 * prerequisite it could not bring in place: nothing after it is attempted.
 */
export async function ensurePrerequisites(ctx: Context): Promise<SetupResult> {
  const done: string[] = [];
  const rowsBefore = planRows(await gatherFacts(ctx));
  const row = (name: Row['name']) => rowsBefore.find((r) => r.name === name)!;
  const blocking = rowsBefore.find((r) => !r.ok && r.action === undefined && r.name !== 'base-image');
  if (blocking) throw new UserError(`${blocking.name}: ${blocking.found}`, blocking.advice);

  // In dependency order, each step only where the facts call for it.
  const steps: { title: string; run: (phase: Phase) => Promise<unknown> }[] = [];
  const docker = row('docker');
  if (docker.action === 'install-docker') {
    steps.push({
      title: "Installing Debian's docker.io",
      run: async (phase) => {
        await installDocker(ctx, (line) => phase.output(line));
        done.push('installed docker.io');
      },
    });
  }
  if (docker.action) {
    steps.push({
      title: 'Starting the Docker engine',
      run: async (phase) => done.push(`started dockerd ${await startDocker(ctx, (line) => phase.output(line))}`),
    });
  }
  if (row('pulumi').action) {
    steps.push({
      title: `Installing the Pulumi engine ${pulumiVersion}`,
      run: async (phase) => done.push(`installed pulumi ${await installPulumi(ctx, (line) => phase.output(line))}`),
    });
  }
  steps.push({
    title: 'Pulumi plugins for Node.js (dynamic providers, language host)',
    run: () => writePluginShims(ctx),
  });
  if (!row('base-image').ok) {
    steps.push({
      title: `Making the base image ${baseImageName}`,
      run: async (phase) =>
        done.push(`made ${baseImageName} by ${await makeBaseImage(ctx, (line) => phase.output(line))}`),
    });
  }
  // Rewriting the shims alone is a moment's work, not worth a line of progress.
  if (steps.length === 1) await writePluginShims(ctx);
  else {
    const report = consoleReporter();
    for (const step of steps) await report.phase(step.title, step.run);
  }
  return { rows: planRows(await gatherFacts(ctx)), done };
}
