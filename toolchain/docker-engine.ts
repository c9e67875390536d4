// The Docker engine: whatever answers; else, as root on Debian, Debian's docker.io
// installed and dockerd started by us with published ports on 127.0.0.1.
import { existsSync, openSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { execa } from 'execa';
import { UserError } from '../lib/errors.ts';
import { paths, type Context } from '../lib/paths.ts';
import { dockerVersion } from '../stacks/docker-client.ts';
import { waitFor } from '../lib/wait.ts';

export interface DockerProbe {
  answers: boolean;
  version?: string;
  daemonInstalled: boolean;
  isRoot: boolean;
  isDebian: boolean;
}

export async function probeDocker(): Promise<DockerProbe> {
  const version = await dockerVersion();
  return {
    answers: version !== undefined,
    ...(version !== undefined && { version }),
    daemonInstalled: (await execa('sh', ['-c', 'command -v dockerd'], { reject: false })).exitCode === 0,
    isRoot: process.getuid?.() === 0,
    isDebian: existsSync('/etc/debian_version'),
  };
}

export async function installDocker(ctx: Context, progress: (step: string) => void): Promise<void> {
  const log = join(paths.logs(ctx), 'docker-install.log');
  await mkdir(paths.logs(ctx), { recursive: true });
  const apt = (args: string[]) =>
    execa('apt-get', args, {
      env: { DEBIAN_FRONTEND: 'noninteractive' },
      stdout: { file: log, append: true },
      stderr: { file: log, append: true },
    });
  try {
    progress('apt-get update');
    await apt(['update']);
    progress("apt-get install docker.io (Debian's Docker engine)");
    await apt(['install', '-y', '--no-install-recommends', 'docker.io', 'iptables', 'ca-certificates']);
  } catch {
    throw new UserError("installing Debian's docker.io failed", `see ${log}`);
  }
}

/**
 * Starts dockerd detached from us (it must outlive this command) and waits until
 * it answers. `--ip=127.0.0.1` makes published ports bind to loopback by default.
 */
export async function startDocker(ctx: Context, progress: (step: string) => void, timeoutMs = 60_000): Promise<string> {
  await mkdir(paths.logs(ctx), { recursive: true });
  const log = join(paths.logs(ctx), 'dockerd.log');
  progress(`starting dockerd (log: ${log})`);
  const out = openSync(log, 'a');
  const daemon = spawn('dockerd', ['--ip=127.0.0.1'], { detached: true, stdio: ['ignore', out, out] });
  let exited: number | null = null;
  daemon.on('exit', (code) => (exited = code ?? -1));
  daemon.unref();
  return waitFor(
    async () => {
      const version = await dockerVersion(undefined, 1000);
      if (version) return version;
      if (exited !== null) throw new UserError(`dockerd exited with code ${exited} while starting`, `see ${log}`);
      return undefined;
    },
    {
      intervalMs: 250,
      timeoutMs,
      timedOut: () => new UserError(`dockerd did not answer within ${timeoutMs / 1000} s`, `see ${log}`),
    },
  );
}
