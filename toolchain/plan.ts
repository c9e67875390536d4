// What doctor reports and what setup does, decided from facts alone.
// Pure: the probes that gather the facts and the fixes that act live elsewhere.

export const minimumNode = { major: 22, minor: 13 } as const;
export const minimumFreeDiskBytes = 5 * 1024 ** 3;

export interface Facts {
  node: { version: string };
  docker: {
    answers: boolean;
    version?: string;
    /** the daemon binary is installed (it may just not be running) */
    daemonInstalled: boolean;
    isRoot: boolean;
    isDebian: boolean;
  };
  pulumi: {
    /** version the binary printed, undefined when there is none or it does not run */
    version?: string;
    source?: 'path' | 'tools';
    /** the binary exists but printed no usable version (truncated, corrupted, wrong build) */
    broken: boolean;
    wanted: string;
    goInstalled: boolean;
  };
  baseImage: { present: boolean; name: string };
  disk: { freeBytes: number; path: string };
}

export type Action = 'start-docker' | 'install-docker' | 'install-pulumi' | 'rebuild-pulumi' | 'make-base-image';

export interface Row {
  name: 'node' | 'docker' | 'pulumi' | 'base-image' | 'disk';
  ok: boolean;
  found: string;
  /** what setup will do about it; absent when it is fine or nothing can be done */
  action?: Action;
  /** one line for the user: what is there, or what to do */
  advice: string;
}

export function planRows(facts: Facts): Row[] {
  return [nodeRow(facts), dockerRow(facts), pulumiRow(facts), baseImageRow(facts), diskRow(facts)];
}

/** Everything fine, or fixable by setup: the rows that remain are for the user. */
export function unfixable(rows: Row[]): Row[] {
  return rows.filter((row) => !row.ok && row.action === undefined);
}

export function isAtLeast(version: string, minimum: { major: number; minor: number; patch?: number }): boolean {
  const [major = 0, minor = 0, patch = 0] = version.replace(/^v/, '').split(/[.+-]/).map(Number);
  if (major !== minimum.major) return major > minimum.major;
  if (minor !== minimum.minor) return minor > minimum.minor;
  return patch >= (minimum.patch ?? 0);
}

export function parseVersion(version: string): { major: number; minor: number; patch: number } | undefined {
  const match = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version.trim());
  if (!match) return undefined;
  return { major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3]) };
}

function nodeRow({ node }: Facts): Row {
  const ok = isAtLeast(node.version, minimumNode);
  return {
    name: 'node',
    ok,
    found: node.version,
    advice: ok
      ? 'ok'
      : `Node.js ${minimumNode.major}.${minimumNode.minor}+ is needed: run devenv through bin/devenv, which installs it`,
  };
}

function dockerRow({ docker }: Facts): Row {
  if (docker.answers) return { name: 'docker', ok: true, found: docker.version ?? 'answers', advice: 'ok' };
  const found = docker.daemonInstalled ? 'installed, not running' : 'missing';
  if (!docker.isRoot || !docker.isDebian) {
    return {
      name: 'docker',
      ok: false,
      found,
      advice: docker.daemonInstalled
        ? 'start the Docker engine (e.g. `sudo systemctl start docker`) or point DOCKER_HOST at one'
        : 'install a Docker engine (on Debian: `sudo apt-get install docker.io`) or point DOCKER_HOST at one',
    };
  }
  return docker.daemonInstalled
    ? {
        name: 'docker',
        ok: false,
        found,
        action: 'start-docker',
        advice: 'setup starts dockerd (ports published on 127.0.0.1)',
      }
    : {
        name: 'docker',
        ok: false,
        found,
        action: 'install-docker',
        advice: "setup installs Debian's docker.io and starts dockerd",
      };
}

function pulumiRow({ pulumi }: Facts): Row {
  const wanted = parseVersion(pulumi.wanted);
  if (
    pulumi.version &&
    wanted &&
    isAtLeast(pulumi.version, wanted) &&
    parseVersion(pulumi.version)?.major === wanted.major
  ) {
    return { name: 'pulumi', ok: true, found: `${pulumi.version} (${pulumi.source})`, advice: 'ok' };
  }
  const found = pulumi.broken ? 'broken (no version)' : pulumi.version ? `${pulumi.version}, too old` : 'missing';
  const action: Action = pulumi.broken && pulumi.source === 'tools' ? 'rebuild-pulumi' : 'install-pulumi';
  return {
    name: 'pulumi',
    ok: false,
    found,
    action,
    advice: pulumi.goInstalled
      ? `setup installs Pulumi ${pulumi.wanted} into the tools folder (official installer, else built from the Go module proxy)`
      : `setup installs Pulumi ${pulumi.wanted} with the official installer (Go is needed to build it where that is unreachable)`,
  };
}

function baseImageRow({ baseImage, docker }: Facts): Row {
  if (baseImage.present) return { name: 'base-image', ok: true, found: baseImage.name, advice: 'ok' };
  if (!docker.answers && !(docker.isRoot && docker.isDebian)) {
    return { name: 'base-image', ok: false, found: 'unknown', advice: 'needs a Docker engine first' };
  }
  return {
    name: 'base-image',
    ok: false,
    found: 'missing',
    action: 'make-base-image',
    advice: `setup makes ${baseImage.name} (docker pull where a registry answers, else debootstrap + docker import)`,
  };
}

function diskRow({ disk }: Facts): Row {
  const ok = disk.freeBytes >= minimumFreeDiskBytes;
  const gib = (disk.freeBytes / 1024 ** 3).toFixed(1);
  return {
    name: 'disk',
    ok,
    found: `${gib} GiB free on ${disk.path}`,
    advice: ok ? 'ok' : `free at least ${minimumFreeDiskBytes / 1024 ** 3} GiB (images and databases live there)`,
  };
}

/** How setup gets the Pulumi engine, in order of preference. */
export function pulumiInstallMethod(reach: {
  installerAnswers: boolean;
  goInstalled: boolean;
}): 'official-installer' | 'build-from-source' | undefined {
  if (reach.installerAnswers) return 'official-installer';
  if (reach.goInstalled) return 'build-from-source';
  return undefined;
}

/** How setup makes the base image: a registry's Debian image, else debootstrap from the mirror. */
export function baseImageMethod(reach: {
  registryAnswers: boolean;
  canDebootstrap: boolean;
}): 'pull' | 'debootstrap' | undefined {
  if (reach.registryAnswers) return 'pull';
  if (reach.canDebootstrap) return 'debootstrap';
  return undefined;
}
