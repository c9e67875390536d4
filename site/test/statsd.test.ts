// The statsd client's tally: counters added up in the process, sent as one line each.
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { test } from 'node:test';
import { createStatsd } from '../statsd.ts';

test('tallied counters are added up and sent together (on close, at the latest)', async () => {
  const server = createSocket('udp4');
  server.bind(0, '127.0.0.1');
  await once(server, 'listening');
  const packets: string[] = [];
  server.on('message', (message) => packets.push(message.toString('utf8')));
  const statsd = createStatsd({ host: '127.0.0.1', port: server.address().port }, 'shop');
  const blue = { name: 'flags.new_banner.blue', value: 1, type: 'c' as const };
  const off = { name: 'flags.new_banner.off', value: 1, type: 'c' as const };
  for (let i = 0; i < 500; i++) statsd.tally([blue, i % 5 === 0 ? off : blue]);
  statsd.close();
  for (let i = 0; i < 50 && packets.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
  server.close();
  assert.deepEqual(packets.join('\n').split('\n').sort(), ['shop.flags.new_banner.blue:900|c', 'shop.flags.new_banner.off:100|c']);
});

test('a list of counters is counted by place and sent with the tally, one line a name', async () => {
  const server = createSocket('udp4');
  server.bind(0, '127.0.0.1');
  await once(server, 'listening');
  const packets: string[] = [];
  server.on('message', (message) => packets.push(message.toString('utf8')));
  const statsd = createStatsd({ host: '127.0.0.1', port: server.address().port }, 'shop');
  const count = statsd.tallyList(['flags.a.off', 'flags.a.on', 'flags.b.off']);
  const uncounted = statsd.tallyList(['flags.c.on']);
  for (let i = 0; i < 300; i++) count(i % 3 === 0 ? 0 : 1);
  statsd.tally([{ name: 'flags.a.on', value: 1, type: 'c' }, { name: 'flags.missing.off', value: 1, type: 'c' }]);
  void uncounted;
  statsd.close();
  for (let i = 0; i < 50 && packets.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
  server.close();
  assert.deepEqual(packets.join('\n').split('\n').sort(), ['shop.flags.a.off:100|c', 'shop.flags.a.on:201|c', 'shop.flags.missing.off:1|c']);
});

test('a list counted again after a flush is sent again', async () => {
  const server = createSocket('udp4');
  server.bind(0, '127.0.0.1');
  await once(server, 'listening');
  const packets: string[] = [];
  server.on('message', (message) => packets.push(message.toString('utf8')));
  const statsd = createStatsd({ host: '127.0.0.1', port: server.address().port }, 'shop');
  const count = statsd.tallyList(['flags.a.on']);
  count(0);
  count(0);
  // The tally goes out once a second.
  for (let i = 0; i < 100 && packets.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
  count(0);
  statsd.close();
  for (let i = 0; i < 50 && packets.length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 20));
  server.close();
  assert.deepEqual(packets, ['shop.flags.a.on:2|c', 'shop.flags.a.on:1|c']);
});
