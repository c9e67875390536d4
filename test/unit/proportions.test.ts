// Rates with their 95% interval and the test of a difference, checked against
// values worked out by hand from the formulas and the normal distribution's tables.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compareRates, rateOf, upperTail } from '../../lib/proportions.ts';

const near = (actual: number, expected: number, tolerance: number) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${actual} is not within ${tolerance} of ${expected}`);

describe('proportions', () => {
  it('the normal upper tail matches the tables', () => {
    near(upperTail(0), 0.5, 1e-7);
    near(upperTail(1.959964), 0.025, 1e-6);
    near(upperTail(3), 0.0013499, 1e-6);
    near(upperTail(-1), 0.8413447, 1e-6);
    near(upperTail(6) / 9.8659e-10, 1, 1e-3);
  });

  it("gives a rate Wilson's 95% interval, sound at 0", () => {
    const half = rateOf(50, 100);
    near(half.low, 0.4038, 1e-4);
    near(half.high, 0.5962, 1e-4);
    const none = rateOf(0, 1000);
    near(none.low, 0, 1e-12);
    near(none.high, 0.00383, 1e-5);
    assert.deepEqual(rateOf(0, 0), { successes: 0, trials: 0, rate: 0, low: 0, high: 0 });
  });

  it('finds 5% of errors apart from none, and two alike rates alike', () => {
    const control = rateOf(0, 2000);
    const failing = rateOf(100, 2000);
    const apart = compareRates(control, failing);
    near(apart.difference, 0.05, 1e-9);
    assert.ok(apart.p < 1e-10, `p = ${apart.p}`);
    const alike = compareRates(rateOf(120, 1000), rateOf(127, 1000));
    // pooled 0.1235, standard error 0.014714, z = 0.4757: two-sided p = 0.6343
    near(alike.p, 0.6343, 2e-4);
    assert.deepEqual(compareRates(rateOf(0, 10), rateOf(0, 10)), { difference: 0, z: 0, p: 1 });
  });
});
