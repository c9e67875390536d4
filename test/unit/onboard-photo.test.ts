import assert from 'node:assert/strict';
import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { PhotoError, photoLimits, processPhoto, teamPhotoSide, type PhotoProblem } from '../../onboard/photo.ts';
import { exifGpsTags, makeTestPhoto, metadataIn } from '../support/photo.ts';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'onboard-photo-'));
});
after(() => rm(dir, { recursive: true, force: true }));

/** The colour at (x, y) of an image, as [r, g, b]. */
async function pixel(image: Buffer, x: number, y: number): Promise<number[]> {
  const { data, info } = await sharp(image).raw().toBuffer({ resolveWithObject: true });
  const at = (y * info.width + x) * info.channels;
  return [...data.subarray(at, at + 3)];
}

function isRed([r, g, b]: number[]): boolean {
  return r! > 150 && g! < 80 && b! < 80;
}
function isBlue([r, g, b]: number[]): boolean {
  return b! > 150 && r! < 80 && g! < 80;
}

/** Asserts that processing `input` is refused with exactly `message`, for `problem`. */
async function refuses(input: Buffer | string, problem: PhotoProblem, message: string | RegExp): Promise<void> {
  await assert.rejects(processPhoto(input), (error: unknown) => {
    assert.ok(error instanceof PhotoError, `expected a PhotoError, got ${String(error)}`);
    assert.equal(error.problem, problem);
    if (typeof message === 'string') assert.equal(error.message, message);
    else assert.match(error.message, message);
    assert.doesNotMatch(error.message, /\n/);
    assert.ok(error.fix);
    return true;
  });
}

function pngChunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A PNG whose header claims this size, with two bytes of pixel data: only the header can be read. */
function pngHeaderOnly(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([
    signature,
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', Buffer.from([0x78, 0x9c])),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

describe('processPhoto: a good photo', () => {
  for (const format of ['jpeg', 'png', 'webp'] as const) {
    it(`makes a ${format} with GPS EXIF and XMP into the team page's square JPEG with no metadata`, async () => {
      const input = await makeTestPhoto({ format, width: 900, height: 600 });
      const inputMeta = await sharp(input).metadata();
      assert.ok(inputMeta.exif && exifGpsTags(inputMeta.exif).length >= 4, 'the test photo has a GPS position');
      assert.ok(inputMeta.xmp, 'the test photo has XMP');

      const photo = await processPhoto(input);
      assert.equal(photo.format, 'jpeg');
      assert.deepEqual([photo.width, photo.height], [teamPhotoSide, teamPhotoSide]);
      assert.deepEqual(photo.source, { format, width: 900, height: 600, bytes: input.length });
      const output = await sharp(photo.bytes).metadata();
      assert.deepEqual([output.format, output.width, output.height], ['jpeg', 320, 320]);
      assert.deepEqual(await metadataIn(photo.bytes), []);
      for (const marker of ['Exif', 'GPS', 'http://ns.adobe.com/xap'])
        assert.equal(photo.bytes.includes(marker), false, marker);
    });
  }

  it('gives the same bytes for the same photo, from bytes or from a file', async () => {
    const input = await makeTestPhoto();
    const file = join(dir, 'me.jpg');
    await writeFile(file, input);
    const [a, b, c] = await Promise.all([processPhoto(input), processPhoto(input), processPhoto(file)]);
    assert.ok(a.bytes.equals(b.bytes));
    assert.ok(a.bytes.equals(c.bytes));
  });

  it('turns the photo upright by its EXIF orientation, then crops the middle', async () => {
    // Stored landscape, red left and blue right; orientation 6 means "rotate 90° clockwise to view".
    const upright = await processPhoto(await makeTestPhoto({ width: 400, height: 200, orientation: 6 }));
    assert.ok(isRed(await pixel(upright.bytes, 160, 40)), 'red on top');
    assert.ok(isBlue(await pixel(upright.bytes, 160, 280)), 'blue below');

    const plain = await processPhoto(await makeTestPhoto({ width: 400, height: 200 }));
    assert.ok(isRed(await pixel(plain.bytes, 40, 160)), 'red on the left');
    assert.ok(isBlue(await pixel(plain.bytes, 280, 160)), 'blue on the right');
  });

  it('accepts a photo by its content whatever it is called', async () => {
    const file = join(dir, 'portrait.txt');
    await writeFile(file, await makeTestPhoto({ format: 'png' }));
    assert.equal((await processPhoto(file)).source.format, 'png');
  });

  it('accepts the limits themselves: 8000 px a side', async () => {
    const long = await sharp({ create: { width: photoLimits.maxSide, height: 8, channels: 3, background: '#888' } })
      .png()
      .toBuffer();
    assert.equal((await processPhoto(long)).width, teamPhotoSide);
  });
});

describe('processPhoto: bad input, refused in one line', () => {
  it('a text file named .jpg', async () => {
    const file = join(dir, 'photo.jpg');
    await writeFile(file, 'this is not a photo\n');
    await refuses(file, 'not-an-image', 'photo.jpg is not a JPEG, PNG or WebP image (it looks like text)');
  });

  it('other formats by what they are: GIF, PDF, HEIC, random bytes', async () => {
    const gif = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#000' } })
      .gif()
      .toBuffer();
    await refuses(gif, 'not-an-image', 'photo is not a JPEG, PNG or WebP image (it is a GIF image)');
    await refuses(Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1'), 'not-an-image', /\(it is a PDF document\)$/);
    await refuses(
      Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from('ftypheic\0\0\0\0mif1heic')]),
      'not-an-image',
      /\(it is a HEIC\/AVIF image\)$/,
    );
    await refuses(
      Buffer.from([0x00, 0xff, 0x13, 0x80, 0x01, 0x02]),
      'not-an-image',
      /\(its content is not a known image format\)$/,
    );
  });

  it('a zero-byte file, and zero bytes', async () => {
    const file = join(dir, 'empty.jpg');
    await writeFile(file, '');
    await refuses(file, 'empty', 'empty.jpg is empty (0 bytes)');
    await refuses(Buffer.alloc(0), 'empty', 'photo is empty (0 bytes)');
  });

  it('a 50 MB image, on its size before anything decodes it', async () => {
    const big = Buffer.alloc(50 * 1024 * 1024);
    big.set([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, ...Buffer.from('JFIF\0')]);
    const started = performance.now();
    await refuses(big, 'too-large', 'photo is 50.0 MB; the limit is 10 MB');
    assert.ok(performance.now() - started < 200, 'refused without decoding');
  });

  it('a 50 MB file, on its size before it is read', async () => {
    const file = join(dir, 'huge.jpg');
    await writeFile(file, Buffer.from([0xff, 0xd8, 0xff, 0xe0]));
    await truncate(file, 50 * 1024 * 1024); // sparse: costs no disk
    await refuses(file, 'too-large', 'huge.jpg is 50.0 MB; the limit is 10 MB');
  });

  it('a 20000 px image', async () => {
    const wide = await sharp({ create: { width: 20000, height: 300, channels: 3, background: '#888' } })
      .png()
      .toBuffer();
    await refuses(wide, 'too-many-pixels', 'photo is 20000 x 300 px; the limit is 8000 px a side');
  });

  it('a header claiming 20000 x 20000 px, from the header alone (no pixels to decode)', async () => {
    await refuses(
      pngHeaderOnly(20000, 20000),
      'too-many-pixels',
      'photo is 20000 x 20000 px; the limit is 8000 px a side',
    );
  });

  it('a photo that starts like a JPEG but is cut short', async () => {
    const whole = await makeTestPhoto({ width: 800, height: 600 });
    await refuses(
      whole.subarray(0, whole.length / 2),
      'unreadable',
      /^photo starts like a JPEG image but cannot be read \(.+\)$/,
    );
  });

  it('a path that is not there, or is a folder', async () => {
    await refuses(join(dir, 'nope.jpg'), 'unreadable', /^cannot read .*nope\.jpg: no such file$/);
    await refuses(dir, 'unreadable', /is not a file$/);
  });
});
