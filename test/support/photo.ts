// Photos made by the tests themselves: real images that carry what a phone puts
// in a photo (EXIF with a GPS position, XMP, an orientation), so a test can show
// that none of it reaches the site. And the checks that find such metadata.
import sharp from 'sharp';

export interface TestPhotoOptions {
  /** stored width and height, before any EXIF orientation (default 640 x 480) */
  width?: number;
  height?: number;
  format?: 'jpeg' | 'png' | 'webp';
  /** EXIF orientation, 1 to 8 (default 1) */
  orientation?: number;
  /** the colour of the left half; the right half is blue (default red) */
  left?: { r: number; g: number; b: number };
}

/** Where the test photos were "taken": the GPS position written into their EXIF. */
export const testPhotoPosition = { latitude: '51/1 30/1 2640/100', longitude: '0/1 7/1 3960/100' };

/**
 * A photo whose left half is red and right half blue (so a rotation shows), with
 * EXIF (camera, owner, GPS position) and XMP in it.
 */
export async function makeTestPhoto(options: TestPhotoOptions = {}): Promise<Buffer> {
  const { width = 640, height = 480, format = 'jpeg', orientation = 1, left = { r: 220, g: 20, b: 20 } } = options;
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const colour = x < width / 2 ? left : { r: 20, g: 20, b: 220 };
      pixels.set([colour.r, colour.g, colour.b], (y * width + x) * 3);
    }
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } })
    .withExif({
      IFD0: { Make: 'TestCam', Model: 'Phone 1', Artist: 'New Hire', Copyright: 'New Hire' },
      // IFD3 is the GPS directory (libexif's numbering).
      IFD3: {
        GPSLatitudeRef: 'N',
        GPSLatitude: testPhotoPosition.latitude,
        GPSLongitudeRef: 'W',
        GPSLongitude: testPhotoPosition.longitude,
      },
    })
    .withXmp(
      '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">' +
        '<rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:CreatorTool="TestCam"/></rdf:RDF></x:xmpmeta>',
    )
    .withMetadata({ orientation })
    .toFormat(format)
    .toBuffer();
}

/** The tag numbers in the GPS directory of an EXIF block (TIFF header first, as sharp's metadata().exif gives it). */
export function exifGpsTags(exif: Buffer): number[] {
  const tiff = exif.subarray(0, 6).toString('latin1') === 'Exif\0\0' ? exif.subarray(6) : exif;
  const little = tiff.toString('latin1', 0, 2) === 'II';
  const u16 = (at: number) => (little ? tiff.readUInt16LE(at) : tiff.readUInt16BE(at));
  const u32 = (at: number) => (little ? tiff.readUInt32LE(at) : tiff.readUInt32BE(at));
  const entries = (ifd: number) =>
    Array.from({ length: u16(ifd) }, (_, i) => ({ tag: u16(ifd + 2 + i * 12), value: u32(ifd + 2 + i * 12 + 8) }));
  const gpsPointer = entries(u32(4)).find((entry) => entry.tag === 0x8825);
  return gpsPointer ? entries(gpsPointer.value).map((entry) => entry.tag) : [];
}

/**
 * Metadata found in an image's bytes: what sharp reads (EXIF, XMP, IPTC, ICC)
 * and, in case a reader misses one, the markers of EXIF, GPS tags and XMP in the
 * raw bytes. Empty when the image carries none.
 */
export async function metadataIn(image: Buffer): Promise<string[]> {
  const meta = await sharp(image).metadata();
  const found: string[] = [];
  if (meta.exif) found.push('exif');
  if (meta.xmp) found.push('xmp');
  if (meta.iptc) found.push('iptc');
  if (meta.icc) found.push('icc');
  if (meta.orientation !== undefined) found.push('orientation');
  const text = image.toString('latin1');
  for (const marker of ['Exif', 'GPS', 'http://ns.adobe.com/xap', 'TestCam', 'New Hire']) {
    if (text.includes(marker)) found.push(`bytes:${marker}`);
  }
  return found;
}
