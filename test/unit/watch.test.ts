// The post-deploy watch's verdict.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { watchVerdict } from '../../deploy/watch.ts';

const quiet = { requests: 1000, errors: 2, p99Ms: 40 };

describe('watchVerdict', () => {
  it('passes when error rate and latency hold', () => {
    assert.equal(watchVerdict(quiet, { requests: 300, errors: 1, p99Ms: 60 }).regressed, false);
  });

  it('flags a jump in the error rate', () => {
    const verdict = watchVerdict(quiet, { requests: 300, errors: 60, p99Ms: 40 });
    assert.equal(verdict.regressed, true);
    assert.match(verdict.reasons[0]!, /error rate 20\.0% after the deploy, 0\.2% before \(60 of 300/);
  });

  it('flags latency over both the factor and the absolute margin', () => {
    assert.equal(
      watchVerdict(quiet, { requests: 300, errors: 0, p99Ms: 130 }).regressed,
      false,
      'within 100 ms of a small baseline',
    );
    assert.match(
      watchVerdict(quiet, { requests: 300, errors: 0, p99Ms: 400 }).reasons[0]!,
      /latency p99 400 ms after the deploy, 40 ms before/,
    );
  });

  it('does not judge errors on too little traffic, nor latency without a baseline', () => {
    assert.equal(watchVerdict(quiet, { requests: 5, errors: 5, p99Ms: 40 }).regressed, false);
    assert.equal(
      watchVerdict({ requests: 0, errors: 0, p99Ms: null }, { requests: 50, errors: 0, p99Ms: 900 }).regressed,
      false,
    );
  });
});

describe('parseThresholds', () => {
  it('reads the site file, defaults what is missing, refuses what is wrong in one line', async () => {
    const { readFile } = await import('node:fs/promises');
    const { parseThresholds, defaultThresholds } = await import('../../deploy/watch.ts');
    assert.deepEqual(
      parseThresholds(await readFile(new URL('../../site/watch.yaml', import.meta.url), 'utf8')),
      defaultThresholds,
    );
    assert.equal(parseThresholds('latencyFactor: 3\n').latencyFactor, 3);
    assert.equal(parseThresholds('').minRequests, defaultThresholds.minRequests);
    assert.throws(() => parseThresholds('errorRate: 0.1\n'), /unknown key "errorRate"/);
    assert.throws(
      () => parseThresholds('latencyFactor: fast\n'),
      /latencyFactor must be a number from 1 to 100, got "fast"/,
    );
    assert.throws(() => parseThresholds('- 1\n'), /must be a map/);
  });
});
