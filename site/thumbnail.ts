// The `thumbnail` job: a square crop of a team photo, without its metadata,
// stored in the thumbnails table for the web to serve.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import type { JobHandler } from './jobs.ts';
import { fileInside } from './safe-path.ts';

const thumbnailSize = 96;

const contentTypes: Readonly<Record<string, string>> = { jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp' };

export interface Thumbnail {
  data: Buffer;
  contentType: string;
  width: number;
  height: number;
}

export async function makeThumbnail(photo: Buffer): Promise<Thumbnail> {
  // rotate() applies the EXIF orientation before the metadata is dropped (sharp
  // writes none unless asked). Other formats (gif, ...) become PNG.
  const image = sharp(photo).rotate().resize(thumbnailSize, thumbnailSize, { fit: 'cover' });
  const { format } = await sharp(photo).metadata();
  const output = format === 'jpeg' || format === 'webp' ? image.toFormat(format) : image.png();
  const { data, info } = await output.toBuffer({ resolveWithObject: true });
  return { data, contentType: contentTypes[info.format] ?? 'image/png', width: info.width, height: info.height };
}

export function thumbnailJob(teamDir: string): JobHandler {
  return async (job, query) => {
    const file = job.payload.file;
    if (typeof file !== 'string') throw new Error('thumbnail job without a file');
    // The payload came from the database: check it like any other input.
    const path = fileInside(join(teamDir, 'photos'), encodeURIComponent(file));
    if (!path) throw new Error(`thumbnail job for "${file}", which is not a file name`);
    const thumbnail = await makeThumbnail(await readFile(path));
    await query(
      `INSERT INTO thumbnails (file, content_type, data, width, height) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (file) DO UPDATE
          SET content_type = excluded.content_type, data = excluded.data,
              width = excluded.width, height = excluded.height, made_at = now()`,
      [file, thumbnail.contentType, thumbnail.data, thumbnail.width, thumbnail.height],
    );
  };
}
