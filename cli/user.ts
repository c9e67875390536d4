// Who is running devenv: --user, else git's user.email, else the OS user.
import { userInfo } from 'node:os';
import { execa } from 'execa';
import { UserError } from './errors.ts';
import { normaliseUser } from '../stacks/tiers.ts';

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
