// devenv try, the git side: which repository and trunk, the diff of the working
// copy against trunk, and a clean checkout of trunk with that diff applied.
// Read-only on the user's repository: no index writes (GIT_OPTIONAL_LOCKS=0, no
// `git add`), no objects written, nothing checked out there.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { execa } from 'execa';
import { extract } from 'tar-fs';
import { UserError } from '../lib/errors.ts';
import { applyFailures, pathList, trunkCandidates } from './plan.ts';

export interface GitResult {
  exitCode: number;
  stdout: Uint8Array;
  stderr: string;
}

/** Runs git; the one way this module reaches it, so a test can pass another. */
export type Git = (
  args: string[],
  options: { cwd: string; input?: Uint8Array; env?: Record<string, string> },
) => Promise<GitResult>;

export const git: Git = async (args, options) => {
  const result = await execa('git', args, {
    cwd: options.cwd,
    encoding: 'buffer',
    stripFinalNewline: false,
    reject: false,
    // Never refresh the user's index as a side effect; messages in English to parse them.
    env: { GIT_OPTIONAL_LOCKS: '0', LC_ALL: 'C', ...options.env },
    ...(options.input && { input: options.input }),
  });
  return { exitCode: result.exitCode ?? 1, stdout: result.stdout, stderr: new TextDecoder().decode(result.stderr) };
};

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

async function gitText(run: Git, cwd: string, args: string[]): Promise<string | undefined> {
  const result = await run(args, { cwd });
  return result.exitCode === 0 ? text(result.stdout).trim() : undefined;
}

export interface Repository {
  root: string;
  trunk: { ref: string; commit: string };
  /** where HEAD left trunk: the diff is taken from here */
  base: string;
}

/** The work tree around cwd, its trunk and the merge base; UserError when any is missing. */
export async function findRepository(run: Git, cwd: string, trunk: string | undefined): Promise<Repository> {
  const root = await gitText(run, cwd, ['rev-parse', '--show-toplevel']);
  if (!root)
    throw new UserError(`${cwd} is not inside a git work tree`, 'run devenv try from your checkout of the shop');
  if (!existsSync(join(root, 'site', 'package.json')))
    throw new UserError(`${root} has no site/package.json to try`, 'run devenv try from your checkout of the shop');
  let candidates: string[];
  try {
    candidates = trunkCandidates(trunk);
  } catch (error) {
    throw new UserError(`--trunk: ${(error as Error).message}`, 'name a branch or commit, such as main or origin/main');
  }
  for (const ref of candidates) {
    const commit = await gitText(run, root, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
    if (!commit) continue;
    const base = await gitText(run, root, ['merge-base', commit, 'HEAD']);
    if (!base) throw new UserError(`HEAD shares no history with ${ref} in ${root}`, 'name the trunk with --trunk REF');
    return { root, trunk: { ref, commit }, base };
  }
  throw new UserError(
    trunk === undefined
      ? `no trunk in ${root}: neither ${candidates.join(' nor ')} exists`
      : `trunk ${trunk} is not a commit in ${root}`,
    'name the trunk with --trunk REF (a branch or commit)',
  );
}

export interface Diff {
  patch: Uint8Array;
  /** every path the diff touches, sorted */
  files: string[];
}

const diffFormat = ['--binary', '--no-color', '--no-ext-diff', '--no-textconv', '--src-prefix=a/', '--dst-prefix=b/'];

/** Tracked changes since the merge base (or only the index, when staged), plus untracked files not ignored. */
export async function workingCopyDiff(run: Git, repo: Repository, staged: boolean): Promise<Diff> {
  const which = staged ? ['--cached'] : [];
  const must = async (args: string[]): Promise<Uint8Array> => {
    const result = await run(args, { cwd: repo.root });
    if (result.exitCode !== 0) throw new Error(`git ${args.join(' ')} failed: ${result.stderr.trim()}`);
    return result.stdout;
  };
  const tracked = await must(['diff', ...which, ...diffFormat, repo.base, '--']);
  const trackedNames = text(await must(['diff', ...which, '--name-only', '--no-renames', '-z', repo.base, '--']));
  // A nested repository shows as "dir/": not part of this one's diff.
  const untracked = staged
    ? []
    : pathList(text(await must(['ls-files', '--others', '--exclude-standard', '-z']))).filter(
        (path) => !path.endsWith('/'),
      );
  const parts = [tracked];
  for (const file of untracked) {
    // --no-index exits 1 when the two differ, which a new file always does.
    const result = await run(['diff', '--no-index', ...diffFormat, '--', '/dev/null', file], { cwd: repo.root });
    if (result.exitCode > 1) throw new Error(`git diff of untracked ${file} failed: ${result.stderr.trim()}`);
    parts.push(result.stdout);
  }
  return { patch: Buffer.concat(parts), files: pathList(trackedNames, untracked.join('\0')) };
}

/** Trunk's tree extracted into dir (which must not exist), then the diff applied; UserError naming the files when it does not apply. */
export async function checkoutWithDiff(run: Git, repo: Repository, diff: Diff, dir: string): Promise<void> {
  await mkdir(dir, { recursive: false });
  const archive = await run(['archive', '--format=tar', repo.trunk.commit], { cwd: repo.root });
  if (archive.exitCode !== 0) throw new Error(`git archive ${repo.trunk.commit} failed: ${archive.stderr.trim()}`);
  await pipeline(Readable.from([archive.stdout]), extract(dir));
  if (diff.patch.length === 0) return;
  // Outside any repository (the ceiling stops discovery), git apply acts on plain files.
  const applied = await run(['apply', '--whitespace=nowarn', '-'], {
    cwd: dir,
    input: diff.patch,
    env: { GIT_CEILING_DIRECTORIES: dirname(dir) },
  });
  if (applied.exitCode !== 0) {
    const files = applyFailures(applied.stderr);
    throw new UserError(
      `your diff does not apply to ${repo.trunk.ref} (${repo.trunk.commit.slice(0, 7)})${files.length > 0 ? `: ${files.join(', ')}` : `: ${applied.stderr.trim().split('\n')[0]}`}`,
      `merge or rebase onto ${repo.trunk.ref} and try again`,
    );
  }
}
