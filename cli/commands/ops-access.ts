// devenv ops login|tokens: who may change the deploy service's state. A person's
// token lives in their devenv home (mode 0600) and the CLI sends it; the page
// gets a session from a one-time login link; tokens are listed and revoked here.
import type { TokenRecord } from '../../deploy/store.ts';
import { opsClient } from '../../deploy/client.ts';
import type { Context } from '../../lib/paths.ts';
import { resolveUser } from '../../lib/user.ts';
import { textTable } from '../text-table.ts';

export interface LoginResult {
  user: string;
  url: string;
}

export async function login(ctx: Context, options: { user?: string }): Promise<LoginResult> {
  const { user } = await resolveUser(options.user);
  return opsClient(ctx).loginLink(user);
}

export function loginText(result: LoginResult): string {
  return [
    `Open this link in your browser to use the deploy page as ${result.user} (once, within 10 minutes):`,
    `  ${result.url}`,
  ].join('\n');
}

export interface TokensResult {
  tokens: TokenRecord[];
}

export async function listTokens(ctx: Context): Promise<TokensResult> {
  return { tokens: await opsClient(ctx).tokens() };
}

export function tokensText(result: TokensResult): string {
  if (result.tokens.length === 0)
    return 'no tokens yet: each person gets one the first time their devenv changes the queue';
  const rows = result.tokens.map((t) => [
    String(t.id),
    t.user,
    t.createdAt.slice(0, 16).replace('T', ' '),
    t.lastUsedAt?.slice(0, 16).replace('T', ' ') ?? '-',
    t.revokedAt ? `revoked ${t.revokedAt.slice(0, 16).replace('T', ' ')}` : 'live',
  ]);
  const header = ['ID', 'USER', 'MADE', 'LAST USED', 'STATE'];
  return textTable(header, rows);
}

export interface RevokedResult {
  user: string;
  revoked: number;
  /** set when a new token was made in its place */
  renewed?: boolean;
}

export async function revokeTokens(ctx: Context, user: string): Promise<RevokedResult> {
  const { user: name } = await resolveUser(user);
  return opsClient(ctx).revoke(name);
}

export async function renewToken(ctx: Context, options: { user?: string }): Promise<RevokedResult> {
  const { user } = await resolveUser(options.user);
  return { ...(await opsClient(ctx).renewToken(user)), renewed: true };
}

export function revokedText(result: RevokedResult): string {
  const revoked = `${result.revoked} credential${result.revoked === 1 ? '' : 's'} of ${result.user} revoked: refused from now on`;
  return result.renewed ? `${revoked}; a new token is in the devenv home` : revoked;
}
