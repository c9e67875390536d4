import assert from 'node:assert/strict';
import { test } from 'node:test';
import { imageContentType } from '../content-type.ts';
import { fileInside, isPlainFileName } from '../safe-path.ts';

const root = '/srv/site/team/photos';

test('a plain file name resolves inside the folder', () => {
  assert.equal(fileInside(root, 'ada.jpg'), '/srv/site/team/photos/ada.jpg');
  assert.equal(fileInside(root, 'grace%20hopper.png'), '/srv/site/team/photos/grace hopper.png');
  assert.equal(fileInside(`${root}/`, 'ada.jpg'), '/srv/site/team/photos/ada.jpg');
});

test('path traversal is refused, encoded or not', () => {
  for (const name of [
    '..',
    '.',
    '../team.yaml',
    '..%2fteam.yaml',
    '..%2F..%2Fetc%2Fpasswd',
    '%2e%2e',
    '%2e%2e%2fx',
    'a%2fb',
    '..%5cx',
    'a%00.jpg',
    '%2fetc%2fpasswd',
    '',
  ]) {
    assert.equal(fileInside(root, name), null, name);
  }
});

test('malformed encodings and hidden files are refused', () => {
  assert.equal(fileInside(root, '%E0%A4%A'), null);
  assert.equal(fileInside(root, '.env'), null);
  assert.equal(isPlainFileName('.hidden'), false);
  assert.equal(isPlainFileName('x'.repeat(256)), false);
  assert.equal(isPlainFileName('ok-name_1.jpeg'), true);
});

test('only images are served, by extension', () => {
  assert.equal(imageContentType('a.JPG'), 'image/jpeg');
  assert.equal(imageContentType('a.jpeg'), 'image/jpeg');
  assert.equal(imageContentType('a.png'), 'image/png');
  assert.equal(imageContentType('team.yaml'), null);
  assert.equal(imageContentType('noextension'), null);
});
