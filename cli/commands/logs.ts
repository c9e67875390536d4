// devenv logs [ROLE...]: the stack's containers' logs merged in time order, each
// line prefixed with its container; --grep shows what matches, --except hides the
// expected (Supergrep's idea); --follow streams until interrupted.
import type Docker from 'dockerode';
import { dockerClient, labelKeys } from '../../stacks/docker-client.ts';
import { devStackName } from '../../stacks/tiers.ts';
import { UserError } from '../../lib/errors.ts';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  expectedLogsFile,
  expectedPatterns,
  FrameSplitter,
  keepLine,
  mergeByTime,
  type LineFilter,
  type LogLine,
} from '../../stacks/log-lines.ts';
import { repositoryOf } from '../../lib/git.ts';
import { projectRoot } from '../../lib/paths.ts';
import { resolveUser } from '../../lib/user.ts';

export interface LogsOptions {
  user?: string;
  stack?: string;
  roles: string[];
  grep?: string;
  except?: string;
  /** hide the expected noise listed in the repo's site/expected-logs.txt */
  unexpected?: boolean;
  follow?: boolean;
  /** lines per container from the end @default 200 */
  tail?: number;
}

export interface LogsResult {
  stack: string;
  lines: number;
}

function regex(flag: string, source: string | undefined): RegExp | undefined {
  if (source === undefined) return undefined;
  try {
    return new RegExp(source, 'i');
  } catch (error) {
    throw new UserError(`${flag} "${source}" is not a valid regular expression: ${(error as Error).message}`);
  }
}

async function containersOf(stack: string, roles: string[]): Promise<{ name: string; role: string }[]> {
  const listed = await dockerClient().listContainers({
    all: true,
    filters: { label: [`${labelKeys.stack}=${stack}`] },
  });
  const all = listed.map((c) => ({
    name: (c.Names[0] ?? c.Id).replace(/^\//, ''),
    role: c.Labels[labelKeys.role] ?? '?',
  }));
  if (all.length === 0) throw new UserError(`${stack} has no containers`, 'bring it up with `devenv up`');
  const known = [...new Set(all.map((c) => c.role))].sort();
  const unknown = roles.filter((r) => !known.includes(r));
  if (unknown.length > 0)
    throw new UserError(`no role ${unknown.join(', ')} in ${stack}`, `its roles are ${known.join(', ')}`);
  return all.filter((c) => roles.length === 0 || roles.includes(c.role)).sort((a, b) => a.name.localeCompare(b.name));
}

/** The expected noise the checkout lists; a checkout without the file hides nothing more. */
async function expectedNoise(): Promise<string[]> {
  const root = await repositoryOf(process.cwd()).catch(() => projectRoot);
  return expectedPatterns(await readFile(join(root, expectedLogsFile), 'utf8').catch(() => ''));
}

export async function logs(options: LogsOptions, write: (line: LogLine) => void): Promise<LogsResult> {
  const filter: LineFilter = {};
  const grep = regex('--grep', options.grep);
  const except = regex('--except', options.except);
  if (grep) filter.grep = grep;
  const noise = options.unexpected ? await expectedNoise() : [];
  const hidden = [...(except ? [except.source] : []), ...noise];
  if (hidden.length > 0) filter.except = new RegExp(hidden.map((source) => `(?:${source})`).join('|'), 'i');
  const stack = options.stack ?? devStackName((await resolveUser(options.user)).user);
  const containers = await containersOf(stack, options.roles);
  const prefix = (name: string) => name.slice(stack.length + 1);
  const docker = dockerClient();
  let count = 0;
  const emit = (line: LogLine) => {
    if (!keepLine(filter, line)) return;
    count++;
    write({ ...line, container: prefix(line.container) });
  };
  const tail = options.tail ?? 200;
  if (!options.follow) {
    const groups = await Promise.all(
      containers.map(async ({ name }) => {
        const buffer = (await docker
          .getContainer(name)
          .logs({ stdout: true, stderr: true, timestamps: true, tail, follow: false })) as unknown as Buffer;
        const splitter = new FrameSplitter(name);
        return [...splitter.push(buffer), ...splitter.flush()];
      }),
    );
    mergeByTime(groups).forEach(emit);
    return { stack, lines: count };
  }
  await Promise.all(containers.map(({ name }) => follow(docker, name, tail, emit)));
  return { stack, lines: count };
}

/** Streams one container's log until it stops or the user interrupts. */
async function follow(docker: Docker, name: string, tail: number, emit: (line: LogLine) => void): Promise<void> {
  const stream = (await docker
    .getContainer(name)
    .logs({ stdout: true, stderr: true, timestamps: true, tail, follow: true })) as NodeJS.ReadableStream;
  const splitter = new FrameSplitter(name);
  await new Promise<void>((resolve) => {
    stream.on('data', (chunk: Buffer) => splitter.push(chunk).forEach(emit));
    stream.on('end', () => {
      splitter.flush().forEach(emit);
      resolve();
    });
    process.once('SIGINT', () => resolve());
  });
}

export function logLineText(line: LogLine, width: number): string {
  return `${line.container.padEnd(width)} | ${line.text}`;
}
