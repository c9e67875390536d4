// The statsd client's tally: counters added up in the process, sent as one line each.
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { test } from 'node:test';
import { createStatsd } from '../statsd.ts';

/** A statsd client sending to a UDP listener on 127.0.0.1, and the packets the listener has heard so far. */
async function listening(): Promise<{
  statsd: ReturnType<typeof createStatsd>;
  packets: string[];
  heard: (count: number, tries: number) => Promise<void>;
  stop: () => void;
}> {
  const server = createSocket('udp4');
  server.bind(0, '127.0.0.1');
  await once(server, 'listening');
  const packets: string[] = [];
  server.on('message', (message) => packets.push(message.toString('utf8')));
  const statsd = createStatsd({ host: '127.0.0.1', port: server.address().port }, 'shop');
  // Datagrams arrive a little after they are sent: wait, 20 ms at a time, for `count` of them.
  const heard = async (count: number, tries: number) => {
    for (let i = 0; i < tries && packets.length < count; i++) await new Promise((resolve) => setTimeout(resolve, 20));
  };
  return { statsd, packets, heard, stop: () => server.close() };
}

test('tallied counters are added up and sent together (on close, at the latest)', async () => {
  const { statsd, packets, heard, stop } = await listening();
  const blue = { name: 'flags.new_banner.blue', value: 1, type: 'c' as const };
  const off = { name: 'flags.new_banner.off', value: 1, type: 'c' as const };
  for (let i = 0; i < 500; i++) statsd.tally([blue, i % 5 === 0 ? off : blue]);
  statsd.close();
  await heard(1, 50);
  stop();
  assert.deepEqual(packets.join('\n').split('\n').sort(), [
    'shop.flags.new_banner.blue:900|c',
    'shop.flags.new_banner.off:100|c',
  ]);
});

test('a list of counters is counted by place and sent with the tally, one line a name', async () => {
  const { statsd, packets, heard, stop } = await listening();
  const count = statsd.tallyList(['flags.a.off', 'flags.a.on', 'flags.b.off']);
  const uncounted = statsd.tallyList(['flags.c.on']);
  for (let i = 0; i < 300; i++) count(i % 3 === 0 ? 0 : 1);
  statsd.tally([
    { name: 'flags.a.on', value: 1, type: 'c' },
    { name: 'flags.missing.off', value: 1, type: 'c' },
  ]);
  void uncounted;
  statsd.close();
  await heard(1, 50);
  stop();
  assert.deepEqual(packets.join('\n').split('\n').sort(), [
    'shop.flags.a.off:100|c',
    'shop.flags.a.on:201|c',
    'shop.flags.missing.off:1|c',
  ]);
});

test('a list counted again after a flush is sent again', async () => {
  const { statsd, packets, heard, stop } = await listening();
  const count = statsd.tallyList(['flags.a.on']);
  count(0);
  count(0);
  // The tally goes out once a second.
  await heard(1, 100);
  count(0);
  statsd.close();
  await heard(2, 50);
  stop();
  assert.deepEqual(packets, ['shop.flags.a.on:2|c', 'shop.flags.a.on:1|c']);
});
