import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sideBySide, sleep } from '../../lib/wait.ts';

describe('sideBySide', () => {
  it('gives every result, in order, when all succeed', async () => {
    assert.deepEqual(await sideBySide(() => [sleep(5).then(() => 1), Promise.resolve('two')] as const), [1, 'two']);
  });

  it('throws the first failure only after the others settled, and tells them to stop', async () => {
    const events: string[] = [];
    const failure = new Error('the leak scan found 3 values');
    await assert.rejects(
      sideBySide((signal) => [
        (async () => {
          await sleep(20);
          events.push(`slow piece ends, told to stop: ${signal.aborted}`);
        })(),
        (async () => {
          await sleep(1);
          events.push('failing piece fails');
          throw failure;
        })(),
      ]),
      (error) => error === failure,
    );
    assert.deepEqual(events, ['failing piece fails', 'slow piece ends, told to stop: true']);
  });
});
