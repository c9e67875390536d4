// devenv try, the pure part: names, which trunk, the steps run in the build
// environment, what a failed `git apply` says, and the verdict.
import { createHash } from 'node:crypto';

/** One step of a try, as the result and the log report it. */
export interface StepResult {
  name: StepName;
  status: 'pass' | 'fail' | 'skipped';
  seconds: number;
  /** deps: the dependency cache for this lockfile already existed */
  cached?: boolean;
  exitCode?: number;
}

/** The site's own checks, run in order inside the container from the site folder. */
export const checks = [
  { name: 'typecheck', command: ['npm', 'run', '--silent', 'typecheck'] },
  { name: 'test', command: ['npm', 'run', '--silent', 'test'] },
] as const;

export type StepName = 'deps' | (typeof checks)[number]['name'];

/** Where the checkout and the dependency cache sit inside the container. */
export const mounts = { checkout: '/try', deps: '/deps' } as const;

/** Trunk refs tried in order when --trunk is not given: what lands is what the remote has. */
export const defaultTrunks = ['origin/main', 'main'] as const;

/** A ref given on the command line, refused when git would read it as an option. */
export function trunkCandidates(given: string | undefined): string[] {
  if (given === undefined) return [...defaultTrunks];
  if (given === '' || given.startsWith('-') || /[\s\0]/.test(given)) throw new Error(`"${given}" is not a git ref`);
  return [given];
}

/** try-<yyyymmdd>-<hhmmss>-<4 hex>: sorts by time, unique enough for tries at the same second. */
export function tryId(now: Date, random: number): string {
  const iso = now.toISOString();
  const stamp = `${iso.slice(0, 10).replaceAll('-', '')}-${iso.slice(11, 19).replaceAll(':', '')}`;
  return `${stamp}-${(random >>> 0).toString(16).padStart(8, '0').slice(0, 4)}`;
}

export function containerName(user: string, id: string): string {
  return `try-${user}-${id}`;
}

/** The install, dev dependencies included (the image sets NODE_ENV=production, which would leave them out). */
const npmCi = 'npm ci --include=dev --no-audit --no-fund --loglevel=error';

/** One dependency cache per lockfile and install command: the same lockfile never installs twice. */
export function depsVolumeName(lockfile: Uint8Array | string): string {
  return `devenv-try-deps-${createHash('sha256').update(npmCi).update('\0').update(lockfile).digest('hex').slice(0, 16)}`;
}

/**
 * Fills the dependency cache once: npm ci in a folder of its own, then one rename
 * into place, so that tries filling the same cache at once never mix their files.
 */
export function fillDepsScript(id: string): string {
  const work = `${mounts.deps}/.fill-${id}`;
  return [
    'set -e',
    `rm -rf ${work} && mkdir -p ${work}`,
    `cp ${mounts.checkout}/site/package.json ${mounts.checkout}/site/package-lock.json ${work}/`,
    `cd ${work} && ${npmCi}`,
    `mv -T ${work}/node_modules ${mounts.deps}/node_modules 2>/dev/null || echo 'another try filled the cache first; using its copy'`,
    `rm -rf ${work}`,
  ].join('\n');
}

/** Files named by a `git apply` that failed, in the order it named them. */
export function applyFailures(stderr: string): string[] {
  const files: string[] = [];
  for (const line of stderr.split('\n')) {
    const match =
      /^error: patch failed: (.+):\d+$/.exec(line) ??
      /^error: (.+?): (?:patch does not apply|already exists in working directory|does not exist in index|No such file or directory)$/.exec(
        line,
      );
    if (match && !files.includes(match[1]!)) files.push(match[1]!);
  }
  return files;
}

/** A try passes when every step passed; a skipped step means an earlier one failed. */
export function verdict(steps: StepResult[]): boolean {
  return steps.length > 0 && steps.every((step) => step.status === 'pass');
}

/** NUL-separated paths (git -z) into a sorted list without duplicates. */
export function pathList(...outputs: string[]): string[] {
  return [...new Set(outputs.flatMap((output) => output.split('\0')).filter(Boolean))].sort();
}
