import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { hmacSha256 } from '../../data/hmac.ts';

describe('the scrubber HMAC-SHA256', () => {
  it('gives the bytes createHmac gives, for any key length and message length', () => {
    for (const keyLength of [16, 32, 64, 65, 100]) {
      const key = Buffer.from(Array.from({ length: keyLength }, (_, i) => (i * 37 + 11) & 0xff));
      const mac = hmacSha256(key);
      // Lengths around the 55/56 and 119/120 bytes where padding needs another block, and non-ASCII text.
      for (const value of [
        '',
        'a',
        'y'.repeat(44),
        'y'.repeat(45),
        'y'.repeat(46),
        'y'.repeat(109),
        'y'.repeat(110),
        'é漢字😀'.repeat(9),
        'Zoë Müller, 12 Straße',
        'lone \ud800 half',
        'z'.repeat(3000),
      ]) {
        for (const attempt of [0, 7, 123]) {
          const expected = createHmac('sha256', key).update(`email\0${attempt}\0${value}`).digest('hex');
          assert.equal(
            mac('email', value, attempt).toString('hex'),
            expected,
            `key ${keyLength} bytes, value ${value.length} chars`,
          );
        }
      }
    }
  });

  it('gives a new buffer each time, so an earlier result is not overwritten', () => {
    const mac = hmacSha256(Buffer.alloc(32, 1));
    const first = mac('name', 'maria', 0);
    const copy = Buffer.from(first);
    mac('name', 'lopez', 0);
    assert.deepEqual(first, copy);
  });
});
