import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatMetric, formatPacket, metricName } from '../statsd-line.ts';

test('counters, timers and gauges in statsd line format', () => {
  assert.equal(formatMetric('shop', { name: 'requests', value: 1, type: 'c' }), 'shop.requests:1|c');
  assert.equal(formatMetric('shop', { name: 'latency', value: 12.34567, type: 'ms' }), 'shop.latency:12.346|ms');
  assert.equal(formatMetric('shop', { name: 'queue', value: 7, type: 'g' }), 'shop.queue:7|g');
});

test('a sampling rate below 1 is written, 1 is not', () => {
  assert.equal(formatMetric('p', { name: 'n', value: 1, type: 'c', rate: 0.1 }), 'p.n:1|c|@0.1');
  assert.equal(formatMetric('p', { name: 'n', value: 1, type: 'c', rate: 1 }), 'p.n:1|c');
});

test('names lose the characters statsd uses as separators', () => {
  assert.equal(metricName('shop', 'status.2xx'), 'shop.status.2xx');
  assert.equal(metricName('my shop', 'a:b|c@d/e'), 'my_shop.a_b_c_d_e');
  assert.equal(metricName('', 'requests'), 'requests');
});

test('values that cannot be sent are dropped, not sent as NaN', () => {
  assert.equal(formatMetric('p', { name: 'x', value: Number.NaN, type: 'ms' }), null);
  assert.equal(
    formatPacket('p', [
      { name: 'a', value: 1, type: 'c' },
      { name: 'b', value: Infinity, type: 'g' },
      { name: 'c', value: 2.5, type: 'ms' },
    ]),
    'p.a:1|c\np.c:2.5|ms',
  );
  assert.equal(formatPacket('p', []), '');
});
