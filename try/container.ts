// devenv try, the Docker side: one container of the build environment per try,
// the checkout mounted in it and the dependency cache beside it; each step is an
// exec whose output streams to the caller and whose exit code is the step's verdict.
import { PassThrough } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type Docker from 'dockerode';
import { inspectIfPresent, labelKeys, removeIfPresent } from '../stacks/docker-client.ts';
import { mounts } from './plan.ts';

export interface TryContainerSpec {
  name: string;
  image: string;
  /** host folder of the checkout, mounted at mounts.checkout */
  checkoutDir: string;
  depsVolume: string;
}

export interface Exec {
  command: string[];
  /** @default the image's user */
  user?: string;
  workingDir: string;
  env?: Record<string, string>;
}

export interface TryContainer {
  /** Runs a command to its end; its output goes to onOutput as it comes. Returns the exit code. */
  exec(exec: Exec, onOutput: (text: string) => void): Promise<number>;
  remove(): Promise<void>;
}

const labels = { [labelKeys.managed]: 'true', [labelKeys.role]: 'try' };

async function ensureVolume(docker: Docker, name: string): Promise<void> {
  if (await inspectIfPresent(() => docker.getVolume(name).inspect())) return;
  await docker.createVolume({ Name: name, Labels: { ...labels, [labelKeys.role]: 'try-deps' } });
}

/** Creates and starts the container; it idles until removed, steps run as execs in it. */
export async function startTryContainer(docker: Docker, spec: TryContainerSpec): Promise<TryContainer> {
  await ensureVolume(docker, spec.depsVolume);
  const container = await docker.createContainer({
    name: spec.name,
    Image: spec.image,
    Cmd: ['sleep', 'infinity'],
    Labels: labels,
    HostConfig: { Binds: [`${spec.checkoutDir}:${mounts.checkout}`, `${spec.depsVolume}:${mounts.deps}`], Init: true },
  });
  const remove = () => removeIfPresent(() => container.remove({ force: true }));
  try {
    await container.start();
  } catch (error) {
    await remove();
    throw error;
  }
  return {
    remove,
    async exec(exec, onOutput) {
      const handle = await container.exec({
        Cmd: exec.command,
        AttachStdout: true,
        AttachStderr: true,
        WorkingDir: exec.workingDir,
        ...(exec.user && { User: exec.user }),
        Env: Object.entries(exec.env ?? {}).map(([key, value]) => `${key}=${value}`),
      });
      const stream = await handle.start({ hijack: true, stdin: false });
      const output = new PassThrough();
      const decoder = new StringDecoder('utf8');
      output.on('data', (chunk: Buffer) => onOutput(decoder.write(chunk)));
      await new Promise<void>((resolve, reject) => {
        stream.on('end', resolve);
        stream.on('close', resolve);
        stream.on('error', reject);
        docker.modem.demuxStream(stream, output, output);
      });
      const rest = decoder.end();
      if (rest) onOutput(rest);
      return (await handle.inspect()).ExitCode ?? 1;
    },
  };
}
