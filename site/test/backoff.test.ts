import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoff } from '../backoff.ts';
import { retryDelaySeconds } from '../jobs.ts';

test('backoff doubles up to its ceiling', () => {
  assert.deepEqual(
    [0, 1, 2, 3, 4, 10].map((attempt) => backoff(attempt, 250, 2000)),
    [250, 500, 1000, 2000, 2000, 2000],
  );
});

test('failed jobs wait 2, 4, 8 ... seconds, at most 5 minutes', () => {
  assert.deepEqual([0, 1, 2, 7, 8, 20].map(retryDelaySeconds), [2, 4, 8, 256, 300, 300]);
});
