import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { countOutput } from '../../lib/progress.ts';

describe('countOutput', () => {
  it('in a log, shows the first count and then at most one a second', () => {
    const shown: string[] = [];
    let clock = 0;
    const progress = countOutput(
      (text) => shown.push(text),
      1000,
      true,
      () => clock,
    );
    for (const [at, text] of [
      [0, 'a'],
      [100, 'b'],
      [999, 'c'],
      [1000, 'd'],
      [1500, 'e'],
      [2100, 'f'],
    ] as const) {
      clock = at;
      progress(text);
    }
    assert.deepEqual(shown, ['a', 'd', 'f']);
  });

  it('on a terminal, shows every count (the renderer redraws in place)', () => {
    const shown: string[] = [];
    const progress = countOutput(
      (text) => shown.push(text),
      1000,
      false,
      () => 0,
    );
    for (const text of ['a', 'b', 'c']) progress(text);
    assert.deepEqual(shown, ['a', 'b', 'c']);
  });
});
