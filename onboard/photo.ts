// A new hire's photo, made fit for the team page: checked for what it really is
// and how big it is before anything decodes it, then turned upright, cropped to
// the page's square and encoded as a JPEG that carries no metadata at all (no
// EXIF, no GPS position, no XMP, no ICC profile). The same input gives the same
// bytes, so what a deploy serves can be compared with what this produced.
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import sharp, { type Metadata } from 'sharp';
import { UserError } from '../lib/errors.ts';

export const photoLimits = {
  /** the largest photo file accepted */
  maxBytes: 10 * 1024 * 1024,
  /** the longest side accepted, in pixels */
  maxSide: 8000,
} as const;

/**
 * The side of the square the pipeline produces. The team page shows photos 160
 * CSS pixels wide (site/team-page.ts); twice that stays sharp on high-density
 * screens, like the seeded photos (320 x 320).
 */
export const teamPhotoSide = 320;

/** Fixed encoder settings: part of what makes the output bytes reproducible. */
const jpegOptions = { quality: 82, progressive: true, chromaSubsampling: '4:2:0', mozjpeg: true } as const;

export type SourceFormat = 'jpeg' | 'png' | 'webp';

export interface ProcessedPhoto {
  bytes: Buffer;
  format: 'jpeg';
  width: number;
  height: number;
  /** what came in, for the summary */
  source: { format: SourceFormat; width: number; height: number; bytes: number };
}

export type PhotoProblem = 'empty' | 'too-large' | 'not-an-image' | 'too-many-pixels' | 'unreadable';

/** A photo refused; the message is one line naming the file and the problem. */
export class PhotoError extends UserError {
  readonly problem: PhotoProblem;
  constructor(problem: PhotoProblem, message: string, fix: string) {
    super(message, fix);
    this.problem = problem;
  }
}

const exportFix =
  'export it as a JPEG, PNG or WebP of at most 10 MB and 8000 px a side (any photo app does) and run the command again';

/** A photo given as a file path (named by its file name in errors) or as bytes (named "photo"). */
export async function processPhoto(input: Buffer | string): Promise<ProcessedPhoto> {
  const label = typeof input === 'string' ? basename(input) : 'photo';
  const bytes = typeof input === 'string' ? await readLimited(input, label) : input;
  checkSize(bytes.length, label);
  const format = sniffFormat(bytes, label);
  const header = await readHeader(bytes, format, label);
  return { ...(await encode(bytes, format, label)), source: { format, ...header, bytes: bytes.length } };
}

/** The file's bytes, its size checked before it is read. */
async function readLimited(path: string, label: string): Promise<Buffer> {
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    const why = error.code === 'ENOENT' ? 'no such file' : (error.code ?? error.message);
    throw new PhotoError('unreadable', `cannot read ${path}: ${why}`, 'give the path of your photo');
  });
  if (!info.isFile()) throw new PhotoError('unreadable', `${label} is not a file`, 'give the path of your photo');
  checkSize(info.size, label);
  return readFile(path);
}

function checkSize(size: number, label: string): void {
  if (size === 0) throw new PhotoError('empty', `${label} is empty (0 bytes)`, exportFix);
  if (size > photoLimits.maxBytes) {
    const mb = (n: number) => (n / (1024 * 1024)).toFixed(1);
    throw new PhotoError(
      'too-large',
      `${label} is ${mb(size)} MB; the limit is ${photoLimits.maxBytes / (1024 * 1024)} MB`,
      exportFix,
    );
  }
}

/** Magic numbers of what we accept, and of what people commonly send instead. */
const signatures: readonly { test: (b: Buffer) => boolean; format?: SourceFormat; is: string }[] = [
  { format: 'jpeg', is: 'a JPEG image', test: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  {
    format: 'png',
    is: 'a PNG image',
    test: (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
  },
  { format: 'webp', is: 'a WebP image', test: (b) => ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 12) === 'WEBP' },
  { is: 'a GIF image', test: (b) => ascii(b, 0, 4) === 'GIF8' },
  {
    is: 'a HEIC/AVIF image',
    test: (b) => ascii(b, 4, 8) === 'ftyp' && /^(heic|heix|hevc|mif1|msf1|avif|avis)$/.test(ascii(b, 8, 12)),
  },
  { is: 'a TIFF image', test: (b) => ['II*\0', 'MM\0*'].includes(ascii(b, 0, 4)) },
  { is: 'a BMP image', test: (b) => ascii(b, 0, 2) === 'BM' },
  { is: 'a PDF document', test: (b) => ascii(b, 0, 5) === '%PDF-' },
  { is: 'an SVG drawing', test: (b) => /<svg[\s>]/i.test(ascii(b, 0, 1024)) },
];

function ascii(bytes: Buffer, start: number, end: number): string {
  return bytes.subarray(start, end).toString('latin1');
}

/** The format by content alone; whatever the file is called does not matter. */
export function sniffFormat(bytes: Buffer, label = 'photo'): SourceFormat {
  const known = signatures.find((s) => s.test(bytes));
  if (known?.format) return known.format;
  const looks = known
    ? `it is ${known.is}`
    : looksLikeText(bytes)
      ? 'it looks like text'
      : 'its content is not a known image format';
  throw new PhotoError('not-an-image', `${label} is not a JPEG, PNG or WebP image (${looks})`, exportFix);
}

function looksLikeText(bytes: Buffer): boolean {
  const head = bytes.subarray(0, 4096);
  // Valid UTF-8 with no control characters other than tab, newline and carriage return.
  try {
    return !/[\0-\x08\x0b\x0c\x0e-\x1f\x7f]/.test(new TextDecoder('utf-8', { fatal: true }).decode(head));
  } catch {
    return false;
  }
}

/** Width and height from the image's header: nothing is decoded before the sides are checked. */
async function readHeader(
  bytes: Buffer,
  format: SourceFormat,
  label: string,
): Promise<{ width: number; height: number }> {
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw unreadable(label, format, error);
  }
  const { width, height } = meta;
  if (meta.format !== format || !width || !height)
    throw unreadable(label, format, new Error('no image size in its header'));
  if (width > photoLimits.maxSide || height > photoLimits.maxSide) {
    throw new PhotoError(
      'too-many-pixels',
      `${label} is ${width} x ${height} px; the limit is ${photoLimits.maxSide} px a side`,
      exportFix,
    );
  }
  return { width, height };
}

function unreadable(label: string, format: SourceFormat, error: unknown): PhotoError {
  const why = ((error as Error)?.message ?? String(error)).split('\n')[0]?.trim();
  const name = { jpeg: 'JPEG', png: 'PNG', webp: 'WebP' }[format];
  return new PhotoError('unreadable', `${label} starts like a ${name} image but cannot be read (${why})`, exportFix);
}

async function encode(bytes: Buffer, format: SourceFormat, label: string): Promise<Omit<ProcessedPhoto, 'source'>> {
  try {
    const { data, info } = await sharp(bytes, {
      limitInputPixels: photoLimits.maxSide * photoLimits.maxSide,
      failOn: 'error',
    })
      // Upright by the EXIF orientation, before the EXIF is dropped.
      .rotate()
      .resize(teamPhotoSide, teamPhotoSide, { fit: 'cover', position: 'centre' })
      // Transparent parts of a PNG or WebP become white, as the page around them.
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      // No withMetadata/keepExif/keepIccProfile: sharp writes no metadata then.
      .jpeg(jpegOptions)
      .toBuffer({ resolveWithObject: true });
    return { bytes: data, format: 'jpeg', width: info.width, height: info.height };
  } catch (error) {
    throw unreadable(label, format, error);
  }
}
