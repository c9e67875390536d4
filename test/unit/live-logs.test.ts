// The log page's fan-out, without engines: the last lines for a new subscriber,
// each new line to whoever can take it, and a count for one that could not.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { lineFanout, maxLineLength, type LiveLine } from '../../ops/live-logs.ts';

const line = (text: string) => ({
  time: '2026-12-03T10:00:00Z',
  stack: 'prod',
  container: 'web-1',
  stream: 'stdout' as const,
  text,
});

describe('lineFanout', () => {
  it('starts its source with the first subscriber and stops it with the last', () => {
    const calls: string[] = [];
    const fanout = lineFanout({ ringSize: 10, onFirst: () => calls.push('first'), onLast: () => calls.push('last') });
    const a = fanout.subscribe({ send: () => true, missed: () => {} });
    const b = fanout.subscribe({ send: () => true, missed: () => {} });
    a.close();
    a.close();
    b.close();
    assert.deepEqual(calls, ['first', 'last']);
  });

  it('gives a new subscriber the last lines, and keeps no more than its ring holds', () => {
    const fanout = lineFanout({ ringSize: 3, onFirst: () => {}, onLast: () => {} });
    for (const text of ['a', 'b', 'c', 'd', 'e']) fanout.publish(line(text));
    assert.equal(fanout.held(), 3);
    const got: LiveLine[] = [];
    fanout.subscribe({ send: (l) => got.push(l) > 0, missed: () => {} });
    assert.deepEqual(
      got.map((l) => [l.seq, l.text]),
      [
        [3, 'c'],
        [4, 'd'],
        [5, 'e'],
      ],
    );
  });

  it('tells a subscriber that could not keep up how many lines it missed, and then goes on', () => {
    const fanout = lineFanout({ ringSize: 100, onFirst: () => {}, onLast: () => {} });
    let room = 2;
    const got: string[] = [];
    const missed: number[] = [];
    const slow = fanout.subscribe({
      send: (l) => {
        got.push(l.text);
        return --room > 0;
      },
      missed: (count) => missed.push(count),
    });
    const fast: string[] = [];
    fanout.subscribe({ send: (l) => fast.push(l.text) > 0, missed: () => {} });
    for (const text of ['1', '2', '3', '4', '5']) fanout.publish(line(text));
    assert.deepEqual(got, ['1', '2'], 'the slow one took two, then was full');
    assert.deepEqual(fast, ['1', '2', '3', '4', '5'], 'the others are not held back');
    room = 10;
    slow.drained();
    assert.deepEqual(missed, [3]);
    fanout.publish(line('6'));
    assert.deepEqual(got, ['1', '2', '6']);
  });

  it('cuts a line longer than a page should show', () => {
    const fanout = lineFanout({ ringSize: 1, onFirst: () => {}, onLast: () => {} });
    fanout.publish(line('x'.repeat(maxLineLength * 3)));
    let text = '';
    fanout.subscribe({ send: (l) => ((text = l.text), true), missed: () => {} });
    assert.equal(text.length, maxLineLength + 3);
  });
});
