// PostgreSQL's COPY TEXT format: splitting, decoding, encoding and round trips.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeField, decodeRow, encodeField, encodeRow, splitFields } from '../../data/copy-text.ts';

const tricky: (string | null)[] = [
  '',
  null,
  'plain',
  'tab\there',
  'new\nline',
  'carriage\r\nreturn',
  'back\\slash',
  '\\N',
  'ends in backslash\\',
  '\\\\t is not a tab',
  'bell \b form \f vertical \v',
  'unicode: María Łukasz 日本 🙂',
  'N',
  '\t\n\\',
  ' spaces ',
];

describe('COPY TEXT fields', () => {
  it('split on tabs, but not on escaped ones', () => {
    assert.deepEqual(splitFields('a\tb\t\\N\t'), ['a', 'b', '\\N', '']);
    assert.deepEqual(splitFields('a\\\tb\tc'), ['a\\\tb', 'c']);
    assert.deepEqual(splitFields('a\\\\\tb'), ['a\\\\', 'b']);
    assert.deepEqual(splitFields(''), ['']);
  });

  it('decode \\N as NULL and an empty field as the empty string', () => {
    assert.equal(decodeField('\\N'), null);
    assert.equal(decodeField(''), '');
    assert.equal(decodeField('\\Nx'), 'Nx', '\\N inside a longer field is a literal N');
  });

  it('decode every escape PostgreSQL reads', () => {
    assert.equal(decodeField('\\\\ \\t \\n \\r \\b \\f \\v'), '\\ \t \n \r \b \f \v');
    assert.equal(decodeField('\\101\\60\\0'), 'A0\0');
    assert.equal(decodeField('\\x41\\x4'), 'A\x04');
    assert.equal(decodeField('\\xZ'), 'xZ', '\\x without a hex digit is a literal x');
    assert.equal(decodeField('\\q\\.'), 'q.', 'any other escaped character is itself');
    assert.equal(decodeField('\\1234'), 'S4', 'at most three octal digits');
  });

  it('decode byte escapes as UTF-8, a character spread over several of them included', () => {
    assert.equal(decodeField('\\xc3\\xa9t\\303\\251'), 'été');
    assert.equal(decodeField('\\xF0\\x9F\\x99\\x82!'), '🙂!');
  });

  it('refuse a lone backslash at the end, in one line', () => {
    assert.throws(
      () => decodeField('abc\\'),
      (error: Error) => /ends in a lone backslash/.test(error.message) && !error.message.includes('\n'),
    );
  });

  it('encode only what would break the framing, and NULL as \\N', () => {
    assert.equal(encodeField(null), '\\N');
    assert.equal(encodeField(''), '');
    assert.equal(encodeField('a\tb\nc\\d\re'), 'a\\tb\\nc\\\\d\\re');
    assert.equal(encodeField('\\N'), '\\\\N');
    assert.equal(encodeField('María 🙂'), 'María 🙂');
  });
});

describe('COPY TEXT round trips', () => {
  it('keep every tricky value, NULL and the empty string apart', () => {
    for (const value of tricky) {
      const field = encodeField(value);
      assert.ok(!/[\t\n\r]/.test(field), JSON.stringify(field));
      assert.equal(decodeField(field), value, JSON.stringify(value));
    }
  });

  it('keep whole rows, field for field', () => {
    const line = encodeRow(tricky);
    assert.ok(!line.includes('\n'));
    assert.deepEqual(decodeRow(line), tricky);
    assert.deepEqual(decodeRow(encodeRow([null])), [null]);
    assert.deepEqual(decodeRow(encodeRow([''])), ['']);
    assert.deepEqual(decodeRow(encodeRow(['', ''])), ['', '']);
  });

  it('give back what PostgreSQL wrote', () => {
    const written = '42\tMaría\\tLópez\t\\N\tline one\\nline two\tC:\\\\Users';
    assert.equal(encodeRow(decodeRow(written)), written);
  });
});
