// Who is running devenv: --user, else git's user.email, else the OS user.
import { userInfo } from 'node:os';
import { execa } from 'execa';
import { UserError } from './errors.ts';

/** What a normalised user name looks like: the deploy service checks names against it too. */
export const userPattern = /^[a-z0-9][a-z0-9-]{0,30}$/;

/**
 * A user name fit for stack and container names. Lowercases and turns the
 * address part of an email into a name; refuses anything else unusual, saying why.
 */
export function normaliseUser(raw: string): string {
  const user = raw.trim().replace(/@.*$/, '').toLowerCase().replace(/[._]/g, '-');
  if (!userPattern.test(user)) {
    throw new Error(
      `"${raw}" cannot be a user name: use 1-31 letters, digits or "-" (it becomes part of container names)`,
    );
  }
  return user;
}

export interface ResolvedUser {
  user: string;
  /** set when the given name had to be changed to fit, so the user is told */
  normalisedFrom?: string;
}

export async function resolveUser(given: string | undefined): Promise<ResolvedUser> {
  const raw = given ?? (await gitEmail()) ?? userInfo().username;
  let user: string;
  try {
    user = normaliseUser(raw);
  } catch (error) {
    throw new UserError((error as Error).message);
  }
  // Only a name the user typed is worth a note; an email from git is expected to change.
  return user === raw || given === undefined ? { user } : { user, normalisedFrom: raw };
}

async function gitEmail(): Promise<string | undefined> {
  const result = await execa('git', ['config', 'user.email'], { reject: false });
  const email = result.exitCode === 0 ? result.stdout.trim() : '';
  return email || undefined;
}
