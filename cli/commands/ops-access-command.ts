// devenv ops login and ops tokens: their definitions. Start-up imports every
// definition, so this file stays small: ops-access.ts, which loads the deploy
// service's client, loads when a command runs.
import { defineCommand } from '../define-command.ts';
import { userOption } from '../options.ts';
import type { LoginResult, RevokedResult, TokensResult } from './ops-access.ts';

const accessModule = () => import('./ops-access.ts');
const revokedText = async (result: RevokedResult) => (await accessModule()).revokedText(result);

export const loginCommand = defineCommand({
  name: 'login',
  description: 'print a one-time link that logs your browser in to the deploy page as you (valid 10 minutes)',
  options: [userOption('who logs in (default: git user.email, else the OS user)')],
  json: 'print the link as JSON',
  run: async (_, opts: { user?: string }, ctx) =>
    (await accessModule()).login(ctx, { ...(opts.user && { user: opts.user }) }),
  text: async (result: LoginResult) => (await accessModule()).loginText(result),
});

export const tokensCommand = defineCommand({
  name: 'tokens',
  description: "people's deploy-service tokens: list them, revoke a person's, make a new one",
  json: 'print the tokens as JSON',
  run: async (_, __, ctx) => (await accessModule()).listTokens(ctx),
  text: async (result: TokensResult) => (await accessModule()).tokensText(result),
  commands: [
    defineCommand({
      name: 'revoke',
      description:
        "revoke every credential of a person (token, page sessions, running page deploys' credentials) at once",
      arguments: { '<user>': 'whose' },
      json: 'print the outcome as JSON',
      run: async ([user]: [string], _, ctx) => (await accessModule()).revokeTokens(ctx, user),
      text: revokedText,
    }),
    defineCommand({
      name: 'new',
      description: 'revoke your credentials and make you a new token (kept in the devenv home, mode 0600)',
      options: [userOption('whose (default: git user.email, else the OS user)')],
      json: 'print the outcome as JSON',
      run: async (_, opts: { user?: string }, ctx) =>
        (await accessModule()).renewToken(ctx, { ...(opts.user && { user: opts.user }) }),
      text: revokedText,
    }),
  ],
});
