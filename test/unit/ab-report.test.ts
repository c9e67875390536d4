// An A/B test judged from its figures: each variant against the control, and
// "not enough data yet" below the minimum of visitors.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { controlOf, judge, weightedMedian, type VariantFigures } from '../../deploy/ab-report.ts';
import { reportText } from '../../cli/commands/flags-report.ts';

const window = { name: 'checkout', stack: 'prod', from: '2026-12-03T10:00:00.000Z', until: '2026-12-03T11:00:00.000Z' };
const figures = (variant: string, over: Partial<VariantFigures> = {}): VariantFigures => ({
  variant,
  visitors: 2000,
  conversions: 600,
  requests: 4000,
  errors: 0,
  p50Ms: 3,
  p99Ms: 20,
  ...over,
});

describe('judge', () => {
  it('finds a variant failing 5% of its requests apart from the control, and alike conversions alike', () => {
    const report = judge(window, [figures('a'), figures('b', { errors: 200, conversions: 610 })]);
    assert.equal(report.control, 'a');
    assert.equal(report.enoughData, true);
    const b = report.variants[1]!;
    assert.ok(b.versusControl!.errors.p < 0.01, `errors p = ${b.versusControl!.errors.p}`);
    assert.ok(b.versusControl!.conversion.p > 0.05, `conversion p = ${b.versusControl!.conversion.p}`);
    assert.equal(report.variants[0]!.versusControl, undefined);
    assert.match(reportText(report), /^b +2000 +30\.5% \(.*\) +5\.0% \(.*errors \+5\.0 pts, p < 0\.0001$/m);
  });

  it('says there is not enough data yet below the minimum of visitors', () => {
    const report = judge(window, [figures('control', { visitors: 40 }), figures('new', { visitors: 2000 })]);
    assert.equal(report.control, 'control');
    assert.equal(report.enoughData, false);
    assert.match(reportText(report), /Not enough data yet: control has 40 visitors; each variant needs 100\./);
    assert.match(reportText(report), /not enough data yet$/m);
  });

  it('takes a variant named control as the control, else the first', () => {
    assert.equal(controlOf(['b', 'control']), 'control');
    assert.equal(controlOf(['blue', 'green']), 'blue');
  });
});

describe('weightedMedian', () => {
  it('weights each second’s median by its requests, skipping empty seconds', () => {
    assert.equal(weightedMedian([10, 2, null, 5], [1, 10, 4, 1]), 2);
    assert.equal(weightedMedian([10, 2], [0, 0]), null);
    assert.equal(weightedMedian([], []), null);
  });
});
