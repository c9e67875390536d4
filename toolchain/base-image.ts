// devenv/base:bookworm, the image every image of ours builds FROM: Debian's
// bookworm-slim where a registry answers, else debootstrap from the Debian mirror
// and `docker import`. Either way it trusts the CAs the building host trusts,
// because TLS from inside containers is re-signed on the way out here.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import type Docker from 'dockerode';
import { UserError } from '../lib/errors.ts';
import { paths, type Context } from '../lib/paths.ts';
import { baseImageName, dockerClient, inspectIfPresent, labelKeys } from '../stacks/docker-client.ts';
import { baseImageMethod } from './plan.ts';

const suite = 'bookworm';
const hostExtraCaDir = '/usr/local/share/ca-certificates';

export async function baseImagePresent(docker: Docker = dockerClient()): Promise<boolean> {
  return (await inspectIfPresent(() => docker.getImage(baseImageName).inspect())) !== undefined;
}

/** The extra CA certificates of this host, to be trusted inside images too. */
export function hostExtraCaFiles(): string[] {
  const files = existsSync(hostExtraCaDir)
    ? readdirSync(hostExtraCaDir)
        .filter((f) => f.endsWith('.crt'))
        .map((f) => join(hostExtraCaDir, f))
    : [];
  const extra = process.env.NODE_EXTRA_CA_CERTS;
  if (extra && existsSync(extra) && !extra.startsWith('/etc/ssl/certs/')) files.push(extra);
  return files;
}

/** Every apt source file of this host, as one text (deb822 `.sources` and one-line `.list`). */
function hostAptSources(): string {
  const dir = '/etc/apt/sources.list.d';
  const files = [
    '/etc/apt/sources.list',
    ...(existsSync(dir)
      ? readdirSync(dir)
          .filter((f) => /\.(sources|list)$/.test(f))
          .map((f) => join(dir, f))
      : []),
  ];
  return files
    .filter(existsSync)
    .map((file) => readFileSync(file, 'utf8'))
    .join('\n\n');
}

/** Where this host's apt takes a suite from: the mirror images fetch from too. */
export interface DebianMirrors {
  main: string;
  /** the security suite's mirror, when the host has one */
  security?: string;
}

/**
 * The mirrors of `suite` and `suite-security` named in apt source text (deb822
 * stanzas or one-line entries); undefined when no source carries the suite. No
 * mirror host is ever assumed: the machine's own apt configuration is the truth.
 */
export function debianMirrors(sources: string, wanted = suite): DebianMirrors | undefined {
  const entries: { uri: string; suites: string[] }[] = [];
  for (const stanza of sources.split(/\n\s*\n/)) {
    const field = (name: string) => new RegExp(`^${name}:\\s*(.+)$`, 'mi').exec(stanza)?.[1]?.trim().split(/\s+/) ?? [];
    if (!field('Types').includes('deb') || /^Enabled:\s*no/im.test(stanza)) continue;
    for (const uri of field('URIs')) entries.push({ uri, suites: field('Suites') });
  }
  for (const line of sources.split('\n')) {
    const match = /^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line);
    if (match) entries.push({ uri: match[1]!, suites: [match[2]!] });
  }
  const mirrorOf = (name: string) =>
    entries.find((e) => /^https?:\/\//.test(e.uri) && e.suites.includes(name))?.uri.replace(/\/+$/, '');
  const main = mirrorOf(wanted);
  if (!main) return undefined;
  const security = mirrorOf(`${wanted}-security`);
  return { main, ...(security && { security }) };
}

export async function makeBaseImage(ctx: Context, progress: (step: string) => void): Promise<'pull' | 'debootstrap'> {
  const docker = dockerClient();
  const log = join(paths.logs(ctx), 'base-image.log');
  await mkdir(paths.logs(ctx), { recursive: true });
  progress('asking a registry for debian:bookworm-slim');
  const registryAnswers = await pullWithin(docker, 'debian:bookworm-slim', 20_000);
  const canDebootstrap = process.getuid?.() === 0 && existsSync('/etc/debian_version');
  const method = baseImageMethod({ registryAnswers, canDebootstrap });
  if (method === undefined) {
    throw new UserError(
      `${baseImageName} is missing: no registry answers and debootstrap needs root on Debian`,
      'run `devenv setup` as root on Debian, or load a Debian bookworm image tagged debian:bookworm-slim',
    );
  }
  if (method === 'pull') await trustHostCasOnPulled(ctx, docker, log, progress);
  else await debootstrapImport(ctx, docker, log, progress);
  return method;
}

async function pullWithin(docker: Docker, image: string, timeoutMs: number): Promise<boolean> {
  const pull = new Promise<boolean>((resolve) => {
    docker.pull(image, (error: Error | null, stream: NodeJS.ReadableStream) => {
      if (error) return resolve(false);
      docker.modem.followProgress(stream, (failed) => resolve(!failed));
    });
  });
  const timeout = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref());
  return Promise.race([pull, timeout]);
}

async function trustHostCasOnPulled(
  ctx: Context,
  docker: Docker,
  log: string,
  progress: (step: string) => void,
): Promise<void> {
  progress('adding the host CA certificates to debian:bookworm-slim');
  const context = await mkdtemp(join(ctx.home, 'base-'));
  try {
    await mkdir(join(context, 'ca'));
    for (const file of hostExtraCaFiles())
      await copyFile(
        file,
        join(
          context,
          'ca',
          `${file
            .split('/')
            .pop()
            ?.replace(/\.pem$/, '')}.crt`,
        ),
      );
    await writeFile(
      join(context, 'Dockerfile'),
      [
        'FROM debian:bookworm-slim',
        'COPY ca/ /usr/local/share/ca-certificates/',
        'RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && update-ca-certificates && rm -rf /var/lib/apt/lists/*',
        `LABEL ${labelKeys.managed}=true`,
      ].join('\n'),
    );
    await execa('docker', ['build', '-t', baseImageName, context], {
      stdout: { file: log, append: true },
      stderr: { file: log, append: true },
    }).catch(() => {
      throw new UserError(`building ${baseImageName} on debian:bookworm-slim failed`, `see ${log}`);
    });
  } finally {
    await rm(context, { recursive: true, force: true });
  }
}

async function debootstrapImport(
  ctx: Context,
  docker: Docker,
  log: string,
  progress: (step: string) => void,
): Promise<void> {
  const run = (command: string, args: string[], failure: string) =>
    execa(command, args, {
      stdout: { file: log, append: true },
      stderr: { file: log, append: true },
      env: { DEBIAN_FRONTEND: 'noninteractive' },
    }).catch(() => {
      throw new UserError(failure, `see ${log}`);
    });
  const mirrors = debianMirrors(hostAptSources());
  if (!mirrors) {
    throw new UserError(
      `this machine's apt sources name no mirror of Debian ${suite} to build ${baseImageName} from`,
      `add one to /etc/apt/sources.list.d/ (as for apt-get), then run \`devenv setup\` again`,
    );
  }
  const mirror = mirrors.main;
  if ((await execa('sh', ['-c', 'command -v debootstrap'], { reject: false })).exitCode !== 0) {
    progress('installing debootstrap');
    await run('apt-get', ['update'], 'apt-get update failed');
    await run('apt-get', ['install', '-y', 'debootstrap'], 'installing debootstrap failed');
  }
  await mkdir(ctx.home, { recursive: true });
  const rootfs = await mkdtemp(join(ctx.home, 'rootfs-'));
  try {
    progress(`debootstrap --variant=minbase ${suite} from ${mirror} (about 25 s)`);
    await run(
      'debootstrap',
      ['--variant=minbase', '--include=ca-certificates', suite, rootfs, mirror],
      'debootstrap failed',
    );
    progress('trusting the host CA certificates and trimming the image');
    for (const file of hostExtraCaFiles())
      await copyFile(
        file,
        join(
          rootfs,
          'usr/local/share/ca-certificates',
          `${file
            .split('/')
            .pop()
            ?.replace(/\.(crt|pem)$/, '')}.crt`,
        ),
      );
    await run('chroot', [rootfs, 'update-ca-certificates'], 'update-ca-certificates in the new image failed');
    await writeFile(join(rootfs, 'etc/apt/sources.list'), aptSources(mirrors));
    await writeFile(
      join(rootfs, 'etc/apt/apt.conf.d/99devenv'),
      'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n',
    );
    await run(
      'sh',
      [
        '-c',
        `rm -rf "${rootfs}"/var/lib/apt/lists/* "${rootfs}"/var/cache/apt/*.bin "${rootfs}"/var/cache/apt/archives/*.deb`,
      ],
      'trimming the image failed',
    );
    progress(`docker import as ${baseImageName}`);
    const tar = execa('tar', ['--numeric-owner', '-C', rootfs, '-c', '.'], {
      buffer: false,
      stderr: { file: log, append: true },
    });
    const stream = await docker.importImage(
      tar.stdout as unknown as string,
      {
        repo: 'devenv/base',
        tag: suite,
        changes: ['ENV LANG=C.UTF-8', 'CMD ["bash"]', `LABEL ${labelKeys.managed}=true`],
      } as object,
    );
    await new Promise<void>((resolve, reject) =>
      docker.modem.followProgress(stream, (error) =>
        error ? reject(new UserError(`docker import failed: ${error.message}`, `see ${log}`)) : resolve(),
      ),
    );
    await tar;
  } finally {
    await rm(rootfs, { recursive: true, force: true });
  }
}

function aptSources(mirrors: DebianMirrors): string {
  return [
    `deb ${mirrors.main} ${suite} main`,
    `deb ${mirrors.main} ${suite}-updates main`,
    ...(mirrors.security ? [`deb ${mirrors.security} ${suite}-security main`] : []),
    '',
  ].join('\n');
}
