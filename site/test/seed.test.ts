import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateSeed, random } from '../seed.ts';

test('the same seed name gives the same rows', () => {
  assert.deepEqual(generateSeed('dev'), generateSeed('dev'));
});

test('a different seed name gives different rows', () => {
  assert.notDeepEqual(generateSeed('dev').items, generateSeed('demo').items);
});

test('the generator does not drift between releases', () => {
  // If this changes, every developer's shop changes with it: change it on purpose only.
  const seed = generateSeed('dev');
  assert.deepEqual(
    seed.shops.map((shop) => shop.name),
    ['Lantern Market', 'Meadow Supply', 'Granite Trading Co.', 'Meadow Market'],
  );
  assert.deepEqual(seed.items[0], { id: 1, shopId: 3, title: 'Walnut Notebook', priceCents: 1599 });
  assert.deepEqual(seed.items.at(-1), { id: 50, shopId: 4, title: 'Oak Notebook', priceCents: 599 });
});

test('random() gives numbers in [0, 1)', () => {
  const next = random('dev');
  for (let i = 0; i < 1000; i++) {
    const n = next();
    assert.ok(n >= 0 && n < 1);
  }
});

test('rows are well formed: unique ids and titles, known shops, sensible prices', () => {
  const { shops, items } = generateSeed('dev');
  assert.deepEqual(
    shops.map((shop) => shop.id),
    [1, 2, 3, 4],
  );
  assert.equal(new Set(shops.map((shop) => shop.name)).size, shops.length);
  assert.deepEqual(
    items.map((item) => item.id),
    Array.from({ length: 50 }, (_, i) => i + 1),
  );
  assert.equal(new Set(items.map((item) => item.title)).size, items.length);
  for (const item of items) {
    assert.ok(
      shops.some((shop) => shop.id === item.shopId),
      `item ${item.id} has a shop`,
    );
    assert.ok(
      Number.isInteger(item.priceCents) && item.priceCents >= 299 && item.priceCents <= 8999,
      `price ${item.priceCents}`,
    );
  }
});
