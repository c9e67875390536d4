// Turning a name taken from a URL into a path that is certainly inside a folder.
import { resolve, sep } from 'node:path';

/** A single path segment: no separators, no NUL, not "." or "..", not hidden. */
export function isPlainFileName(name: string): boolean {
  return name.length > 0 && name.length <= 255 && !/[/\\\0]/.test(name) && !name.startsWith('.');
}

/**
 * The path of `encodedName` (a URL path segment, still percent-encoded) inside
 * `root`, or null when it is malformed or would leave `root`.
 */
export function fileInside(root: string, encodedName: string): string | null {
  let name: string;
  try {
    name = decodeURIComponent(encodedName);
  } catch {
    return null;
  }
  if (!isPlainFileName(name)) return null;
  const base = resolve(root);
  const path = resolve(base, name);
  // Belt and braces: the checks above already rule this out.
  return path.startsWith(base + sep) ? path : null;
}
