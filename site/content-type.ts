// The image types the site serves, by file extension; anything else is not served.
import { extname } from 'node:path';

const imageTypes: Readonly<Record<string, string>> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
};

export function imageContentType(fileName: string): string | null {
  return imageTypes[extname(fileName).toLowerCase()] ?? null;
}
