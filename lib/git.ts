// What deploys ask git: the repository, whether it is clean, which commit a group
// ships, and what changed. Thin over the git command; errors become one line.
import { execa } from 'execa';
import { UserError } from './errors.ts';

/** git in a repository: its output, or an error naming the command and git's first line. */
export async function git(repo: string, args: string[]): Promise<string> {
  const result = await execa('git', ['-C', repo, ...args], { reject: false });
  if (result.exitCode !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr.trim().split('\n')[0]}`);
  return result.stdout;
}

export async function repositoryOf(cwd: string): Promise<string> {
  const result = await execa('git', ['-C', cwd, 'rev-parse', '--show-toplevel'], { reject: false });
  if (result.exitCode !== 0)
    throw new UserError(`${cwd} is not in a git repository`, 'run devenv from your checkout of the project');
  return result.stdout.trim();
}

/** Changed, staged and untracked files (ignored ones do not count). */
export async function uncommittedFiles(repo: string): Promise<string[]> {
  return (await git(repo, ['status', '--porcelain', '--untracked-files=all']))
    .split('\n')
    .filter(Boolean)
    .map((line) => line.slice(3));
}

export async function headCommit(repo: string): Promise<string> {
  return (await git(repo, ['rev-parse', 'HEAD'])).trim();
}

export async function isAncestor(repo: string, ancestor: string, descendant: string): Promise<boolean> {
  const result = await execa('git', ['-C', repo, 'merge-base', '--is-ancestor', ancestor, descendant], {
    reject: false,
  });
  return result.exitCode === 0;
}

/**
 * The commit a group ships: the one that contains every rider's commit. Riders
 * whose commits are not on one line must rebase first.
 */
export async function groupCommit(repo: string, commits: string[]): Promise<string> {
  for (const candidate of commits) {
    const containsAll = await Promise.all(commits.map((other) => isAncestor(repo, other, candidate)));
    if (containsAll.every(Boolean)) return candidate;
  }
  throw new UserError(
    `the group's commits (${commits.map((c) => c.slice(0, 10)).join(', ')}) are not on one line of history`,
    'the riders rebase onto the newest one and join again',
  );
}

/** One line per commit since the previous release (or the commit alone when there is none). */
export async function changesSince(
  repo: string,
  previous: string | null,
  commit: string,
): Promise<{ changes: string; diffStat: string }> {
  const known = previous !== null && (await isAncestor(repo, previous, commit));
  const range = known ? [`${previous}..${commit}`] : ['-1', commit];
  const changes = await git(repo, ['log', '--format=%h %an: %s', '-n', '50', ...range]);
  const diffStat = known
    ? await git(repo, ['diff', '--stat', previous!, commit])
    : await git(repo, ['show', '--stat', '--format=', commit]);
  return { changes: changes.trim(), diffStat: diffStat.trim() };
}

/** A file as it is in a commit. */
export async function fileAt(repo: string, commit: string, path: string): Promise<string> {
  return git(repo, ['show', `${commit}:${path}`]);
}
