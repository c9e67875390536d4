// Gathers the facts doctor reports on, and brings missing prerequisites in place
// (setup, and every command that needs an engine, run this).
import { statfs, mkdir } from 'node:fs/promises';
import { devenvHome } from '../lib/paths.ts';
import { UserError } from '../lib/errors.ts';
import { runTasks, type Task } from '../lib/progress.ts';
import { baseImageName } from '../stacks/docker-client.ts';
import { planRows, type Facts, type Row } from './plan.ts';
import { installDocker, probeDocker, startDocker } from './docker-engine.ts';
import { goInstalled, installPulumi, writePluginShims } from './pulumi-engine.ts';
import { probePulumi, pulumiVersion } from '../stacks/engine.ts';
import { baseImagePresent, makeBaseImage } from './base-image.ts';

export async function gatherFacts(): Promise<Facts> {
  await mkdir(devenvHome(), { recursive: true });
  const [docker, pulumi, go, disk] = await Promise.all([
    probeDocker(),
    probePulumi(),
    goInstalled(),
    statfs(devenvHome()),
  ]);
  return {
    node: { version: process.version },
    docker,
    pulumi: { ...pulumi, wanted: pulumiVersion, goInstalled: go },
    baseImage: { name: baseImageName, present: docker.answers && (await baseImagePresent()) },
    disk: { path: devenvHome(), freeBytes: disk.bavail * disk.bsize },
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
export async function ensurePrerequisites(): Promise<SetupResult> {
  const done: string[] = [];
  const rowsBefore = planRows(await gatherFacts());
  const row = (name: Row['name']) => rowsBefore.find((r) => r.name === name)!;
  const blocking = rowsBefore.find((r) => !r.ok && r.action === undefined && r.name !== 'base-image');
  if (blocking) throw new UserError(`${blocking.name}: ${blocking.found}`, blocking.advice);

  const tasks: Task<object>[] = [];
  const docker = row('docker');
  if (docker.action === 'install-docker') {
    tasks.push({
      title: "Installing Debian's docker.io",
      task: async (_, t) => {
        await installDocker((s) => (t.output = s));
        done.push('installed docker.io');
      },
    });
  }
  if (docker.action) {
    tasks.push({
      title: 'Starting the Docker engine',
      task: async (_, t) => {
        const v = await startDocker((s) => (t.output = s));
        done.push(`started dockerd ${v}`);
      },
    });
  }
  const pulumi = row('pulumi');
  if (pulumi.action) {
    tasks.push({
      title: `Installing the Pulumi engine ${pulumiVersion}`,
      task: async (_, t) => {
        const v = await installPulumi((s) => (t.output = s));
        done.push(`installed pulumi ${v}`);
      },
    });
  }
  tasks.push({
    title: 'Pulumi plugins for Node.js (dynamic providers, language host)',
    task: () => writePluginShims(),
  });
  if (!row('base-image').ok) {
    tasks.push({
      title: `Making the base image ${baseImageName}`,
      task: async (_, t) => {
        const how = await makeBaseImage((s) => (t.output = s));
        done.push(`made ${baseImageName} by ${how}`);
      },
    });
  }
  if (tasks.length > 1) await runTasks(tasks, {});
  else await writePluginShims();
  return { rows: planRows(await gatherFacts()), done };
}
