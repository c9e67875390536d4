// The site's smoke tests: HTTP checks every deploy runs against princess, then
// prod, through the proxy. Kept with the site, so a change that needs a new check
// ships it in the same commit; a deploy uses the checks of the commit it ships.

export interface SmokeCheck {
  name: string;
  path: string;
  status: number;
  /** text the body must contain */
  contains: string;
}

export const smokeChecks: readonly SmokeCheck[] = [
  { name: 'health (database and cache answer)', path: '/healthz', status: 200, contains: '"ok":true' },
  { name: 'home page lists items', path: '/', status: 200, contains: '<h2>Items</h2>' },
  { name: 'team page', path: '/team', status: 200, contains: '<h2>Team</h2>' },
];

/** Why an answer fails a check, or undefined when it passes. */
export function smokeFailure(check: SmokeCheck, status: number, body: string): string | undefined {
  if (status !== check.status) return `${check.name}: GET ${check.path} answered ${status}, expected ${check.status}`;
  if (!body.includes(check.contains))
    return `${check.name}: GET ${check.path} does not contain ${JSON.stringify(check.contains)}`;
  return undefined;
}
