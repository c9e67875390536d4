// Who may change the deploy service's state, decided without I/O: the service
// asks these for every request. A state-changing request must come from this
// service's own origin (Host, and Origin when the browser sends one), carry JSON
// (which a cross-origin page cannot send without a CORS preflight, and none is
// granted), and name a person by a credential: a CLI token or a page session.
// Who acted is always the credential's person, never a field of the request.
import { createHash, randomBytes } from 'node:crypto';

/** What a credential is for. */
export type CredentialKind =
  /** a person's CLI token, kept in their devenv home */
  | 'cli'
  /** a page session, from a one-time login link */
  | 'session'
  /** the one-time code of a login link */
  | 'login'
  /** the token a page-pressed deploy runs with: the presser's, for that deploy */
  | 'press';

export interface Person {
  user: string;
  kind: CredentialKind;
}

/** A refusal: the HTTP status and the one-line reason the client is told. */
export interface Refusal {
  status: 401 | 403;
  reason: string;
}

/** The cookie a page session travels in: HttpOnly, SameSite=Strict, this service only. */
export const sessionCookie = 'devenv_session';

/** How long each kind of credential lives; a CLI token lives until revoked. */
export const lifetimeMs: Record<CredentialKind, number | null> = {
  cli: null,
  session: 12 * 3600_000,
  login: 10 * 60_000,
  press: 6 * 3600_000,
};

/** A new secret, as a client keeps it. */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** What the store keeps of a secret: its SHA-256, never the secret itself. */
export function secretHash(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/**
 * The host names this service answers as: loopback, by address or by name, and
 * the address a fleet's hosts reach this machine at.
 */
export function ownHosts(port: number, fleetAddress?: string): string[] {
  return [
    `127.0.0.1:${port}`,
    `localhost:${port}`,
    `[::1]:${port}`,
    ...(fleetAddress ? [`${fleetAddress}:${port}`] : []),
  ];
}

/** Whether a connection came in on loopback (Node names IPv4 loopback ::ffff:127.0.0.1 on a dual-stack socket). */
export function isLoopback(localAddress: string | undefined): boolean {
  return localAddress === '127.0.0.1' || localAddress === '::1' || localAddress === '::ffff:127.0.0.1';
}

/**
 * A request that did not come from this service's own origin: a foreign Host is
 * a DNS-rebinding page; a foreign Origin, another site's page in the browser.
 */
export function originRefusal(
  headers: { host?: string | undefined; origin?: string | undefined },
  port: number,
  fleetAddress?: string,
): Refusal | undefined {
  const own = ownHosts(port, fleetAddress);
  if (!headers.host || !own.includes(headers.host.toLowerCase())) {
    return { status: 403, reason: `Host "${headers.host ?? ''}" is not this service's (${own[0]}): refused` };
  }
  if (headers.origin !== undefined && !own.map((host) => `http://${host}`).includes(headers.origin.toLowerCase())) {
    return { status: 403, reason: `Origin "${headers.origin}" is not this service's (http://${own[0]}): refused` };
  }
  return undefined;
}

/** A state-changing request must say it carries JSON: a form or a text/plain POST cannot. */
export function contentTypeRefusal(contentType: string | undefined): Refusal | undefined {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  return type === 'application/json'
    ? undefined
    : { status: 403, reason: `Content-Type "${contentType ?? ''}" refused: state changes take application/json` };
}

/** The bearer secret of an Authorization header, or the session cookie's value. */
export function presentedSecrets(headers: { authorization?: string | undefined; cookie?: string | undefined }): {
  bearer?: string;
  session?: string;
} {
  const bearer = /^Bearer\s+(\S+)$/i.exec(headers.authorization ?? '')?.[1];
  const session = (headers.cookie ?? '')
    .split(';')
    .map((part) => part.trim().split('='))
    .find(([name]) => name === sessionCookie)?.[1];
  return { ...(bearer && { bearer }), ...(session && { session }) };
}

/** The Set-Cookie header that starts a page session. */
export function sessionCookieHeader(secret: string): string {
  return `${sessionCookie}=${secret}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${lifetimeMs.session! / 1000}`;
}
