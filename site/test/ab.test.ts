// The A/B figures: per request for each flag asked, per visitor once each
// (the home page seen, then an item page), kept in cookies naming the flags.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flagsInCookie, requestFigures, visitFigures } from '../ab.ts';

const names = (metrics: { name: string }[]) => metrics.map((metric) => metric.name);

test('a request counts for each flag it asked with a variant, with its latency, and an error when it failed', () => {
  const metrics = requestFigures({ new_banner: 'green', sale_banner: 'off' }, { failed: true, ms: 12.5 });
  assert.deepEqual(names(metrics), [
    'ab.new_banner.green.requests',
    'ab.new_banner.green.latency',
    'ab.new_banner.green.errors',
  ]);
  assert.equal(metrics[1]!.value, 12.5);
  assert.deepEqual(requestFigures({}, { failed: false, ms: 1 }), []);
});

test('a visitor counts once on the home page, and converts once on an item page after it', () => {
  const variants = () => ({ new_banner: 'blue', sale_banner: 'off' });
  const first = visitFigures('home', variants, 'visitor=abc');
  assert.deepEqual(names(first.metrics), ['ab.new_banner.blue.visitors']);
  assert.match(first.cookies[0]!, /^ab_seen=new_banner; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Lax$/);
  assert.deepEqual(visitFigures('home', variants, 'visitor=abc; ab_seen=new_banner'), { metrics: [], cookies: [] });

  assert.deepEqual(visitFigures('item', variants, 'visitor=abc'), { metrics: [], cookies: [] }, 'no home page first');
  const converted = visitFigures('item', variants, 'visitor=abc; ab_seen=new_banner');
  assert.deepEqual(names(converted.metrics), ['ab.new_banner.blue.conversions']);
  assert.match(converted.cookies[0]!, /^ab_conv=new_banner;/);
  assert.deepEqual(visitFigures('item', variants, 'ab_seen=new_banner; ab_conv=new_banner'), {
    metrics: [],
    cookies: [],
  });
});

test('a visitor counted already costs no flag evaluation', () => {
  const never = () => {
    throw new Error('asked');
  };
  assert.deepEqual(visitFigures('item', never, 'ab_seen=a; ab_conv=a'), { metrics: [], cookies: [] });
  assert.deepEqual(visitFigures('item', never, 'visitor=abc'), { metrics: [], cookies: [] });
});

test('a new flag joins the flags a cookie names; what is not a flag name is skipped', () => {
  const more = visitFigures('home', () => ({ a: 'x', b: 'y' }), 'ab_seen=a|<script>|');
  assert.deepEqual(names(more.metrics), ['ab.b.y.visitors']);
  assert.match(more.cookies[0]!, /^ab_seen=a\|b;/);
  assert.deepEqual(flagsInCookie('x=1; ab_seen= a.b|c-d ;y=2', 'ab_seen'), ['a.b', 'c-d']);
  assert.deepEqual(flagsInCookie(undefined, 'ab_seen'), []);
});
