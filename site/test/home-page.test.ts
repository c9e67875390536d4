import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatPrice, renderHomePage } from '../home-page.ts';

test('prices are dollars and cents', () => {
  assert.equal(formatPrice(1299), '$12.99');
  assert.equal(formatPrice(5), '$0.05');
  assert.equal(formatPrice(100), '$1.00');
});

test('the home page lists items, escaped, and names the shop', () => {
  const page = renderHomePage({
    shopName: 'devenv shop',
    servedBy: 'web-1',
    items: [{ id: 7, title: 'Mug <large>', priceCents: 1099, shop: 'Tea & Co' }],
    saleBanner: false,
  });
  assert.match(page, /<h1>devenv shop<\/h1>/);
  assert.match(
    page,
    /<td><a href="\/items\/7">Mug &lt;large&gt;<\/a><\/td><td class="price">\$10.99<\/td><td>Tea &amp; Co<\/td>/,
  );
  assert.doesNotMatch(page, /class="banner"/);
});

test('the sale banner shows when asked for, and an empty catalog says so', () => {
  const page = renderHomePage({ shopName: 's', servedBy: 'h', items: [], saleBanner: true });
  assert.match(page, /class="banner"/);
  assert.match(page, /No items yet/);
});
