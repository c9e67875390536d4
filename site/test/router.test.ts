import assert from 'node:assert/strict';
import { test } from 'node:test';
import { route } from '../router.ts';

test('pages by path', () => {
  assert.deepEqual(route('GET', '/'), { page: 'home' });
  assert.deepEqual(route('GET', '/team'), { page: 'team' });
  assert.deepEqual(route('GET', '/healthz'), { page: 'healthz' });
  assert.deepEqual(route('HEAD', '/flags.json'), { page: 'flags' });
  assert.deepEqual(route('GET', '/nope'), { page: 'not-found' });
  assert.deepEqual(route('GET', '/team/'), { page: 'not-found' });
});

test('photos and thumbnails keep the file name as it came, still encoded', () => {
  assert.deepEqual(route('GET', '/team/photos/ada.jpg'), { page: 'photo', file: 'ada.jpg' });
  assert.deepEqual(route('GET', '/team/thumbs/a%20b.png'), { page: 'thumbnail', file: 'a%20b.png' });
  assert.deepEqual(route('GET', '/team/photos/a/b.jpg'), { page: 'not-found' });
});

test('only GET and HEAD', () => {
  assert.deepEqual(route('POST', '/'), { page: 'method-not-allowed' });
  assert.deepEqual(route('DELETE', '/team'), { page: 'method-not-allowed' });
});

test('an item page by its id; anything else under /items is not found', () => {
  assert.deepEqual(route('GET', '/items/42'), { page: 'item', id: 42 });
  for (const path of ['/items/0', '/items/abc', '/items/', '/items/1/2', '/items/1234567890123456'])
    assert.deepEqual(route('GET', path), { page: 'not-found' }, path);
});
