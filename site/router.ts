// Which page a request is for. Pure: a method and a path in, a route out.

export type Route =
  | { page: 'home' }
  | { page: 'team' }
  | { page: 'photo'; file: string }
  | { page: 'thumbnail'; file: string }
  | { page: 'item'; id: number }
  | { page: 'healthz' }
  | { page: 'flags' }
  | { page: 'not-found' }
  | { page: 'method-not-allowed' };

const fixed: Readonly<Record<string, Route>> = {
  '/': { page: 'home' },
  '/team': { page: 'team' },
  '/healthz': { page: 'healthz' },
  '/flags.json': { page: 'flags' },
};

/** `file` stays percent-encoded: decoding is the job of the code that checks it. */
export function route(method: string, path: string): Route {
  if (method !== 'GET' && method !== 'HEAD') return { page: 'method-not-allowed' };
  const known = fixed[path];
  if (known) return known;
  const item = /^\/items\/([1-9]\d{0,14})$/.exec(path);
  if (item) return { page: 'item', id: Number(item[1]) };
  const match = /^\/team\/(photos|thumbs)\/([^/]+)$/.exec(path);
  if (match?.[2] !== undefined) return { page: match[1] === 'photos' ? 'photo' : 'thumbnail', file: match[2] };
  return { page: 'not-found' };
}
