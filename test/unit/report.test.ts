import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { countOutput, plainReporter, terminalReporter } from '../../lib/report.ts';

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

/** What a reporter wrote, as text. */
function sink(columns = 80): { out: NodeJS.WritableStream & { columns: number }; text: () => string } {
  const chunks: string[] = [];
  const out = { columns, write: (chunk: string) => chunks.push(chunk) > 0 } as unknown as NodeJS.WritableStream & {
    columns: number;
  };
  return { out, text: () => chunks.join('') };
}

const withoutTimes = (text: string) => text.replace(/\[\d+(\.\d)?s\]/g, '[t]');

describe('plainReporter', () => {
  it('a line per event: start, each new output line once, the outcome with its time', async () => {
    const { out, text } = sink();
    const report = plainReporter(out);
    const value = await report.phase('Build', async (phase) => {
      phase.output('step 1');
      phase.output('step 1');
      phase.output('step 2');
      phase.retitle('Built web:abc');
      return 42;
    });
    assert.equal(value, 42);
    assert.equal(withoutTimes(text()), '❯ Build\n› step 1\n› step 2\n✔ Built web:abc [t]\n');
  });

  it('phases inside a phase are indented; side by side they run at once', async () => {
    const { out, text } = sink();
    const order: string[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    await plainReporter(out).phase('Copy', (phase) =>
      Promise.all([
        phase.phase('a', async () => {
          order.push('a started');
          await gate;
          order.push('a done');
        }),
        phase.phase('b', async () => {
          order.push('b started');
          release();
        }),
      ]),
    );
    assert.deepEqual(order, ['a started', 'b started', 'a done']);
    assert.equal(withoutTimes(text()), '❯ Copy\n  ❯ a\n  ❯ b\n  ✔ b [t]\n  ✔ a [t]\n✔ Copy [t]\n');
  });

  it('an error fails the phase and reaches the caller; a verdict fails it and work goes on; a skip says why', async () => {
    const { out, text } = sink();
    const report = plainReporter(out);
    await assert.rejects(
      report.phase('Deploy', async () => {
        throw new Error('the engine stopped');
      }),
      /the engine stopped/,
    );
    assert.equal(
      await report.phase('typecheck', async (phase) => {
        phase.fail('typecheck failed (exit 2)');
        return 'returned';
      }),
      'returned',
    );
    report.skip('test', 'the dependencies did not install');
    assert.equal(
      text(),
      '❯ Deploy\n✖ Deploy [FAILED: the engine stopped]\n❯ typecheck\n✖ typecheck [FAILED: typecheck failed (exit 2)]\n↓ test [SKIPPED: the dependencies did not install]\n',
    );
  });
});

describe('terminalReporter', () => {
  it('redraws a region in place and leaves each finished phase above it for good', async () => {
    const { out, text } = sink(40);
    const report = terminalReporter(out);
    await report.phase('Bringing up dev-ada', async (phase) => {
      phase.output('create dev-ada-web, a line far longer than the terminal is wide');
    });
    const written = text();
    // Every line fits the width (a wrapped line would break the redraw), and the region was erased before the final line.
    const lines = written.replace(/\x1b\[\d+A\x1b\[J/g, '\n').split('\n');
    assert.ok(
      lines.every((line) => line.length <= 39),
      lines.join('|'),
    );
    assert.match(written, /\x1b\[2A\x1b\[J✔ Bringing up dev-ada \[\d\.\ds\]\n$/);
  });

  it('a failed phase keeps its last output lines and its reason', async () => {
    const { out, text } = sink(100);
    await assert.rejects(
      terminalReporter(out).phase('test', async (phase) => {
        phase.output('not ok 3 - checkout refuses an empty cart');
        throw new Error('test failed (exit 1)');
      }),
    );
    assert.match(
      text(),
      /✖ test \[\d\.\ds\]\n  not ok 3 - checkout refuses an empty cart\n  test failed \(exit 1\)\n$/,
    );
  });
});

describe('terminalReporter on a terminal that reports no width', () => {
  it('takes it as 80 columns rather than cutting every line short', async () => {
    const { out, text } = sink(0);
    await terminalReporter(out).phase('Bringing up dev-ttycheck, a title of some length', async () => {});
    assert.match(text(), /✔ Bringing up dev-ttycheck, a title of some length \[/);
  });
});

describe('terminalReporter skips', () => {
  it('a skipped phase is written for good, with why', async () => {
    const { out, text } = sink(80);
    terminalReporter(out).skip('test', 'the dependencies did not install');
    assert.equal(text(), '↓ test [skipped]\n  the dependencies did not install\n');
  });
});
