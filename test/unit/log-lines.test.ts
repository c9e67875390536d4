// devenv logs: Docker's log frames into lines, Supergrep's filter, merging.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FrameSplitter, keepLine, mergeByTime, type LogLine } from '../../stacks/log-lines.ts';
import { demuxFrames } from '../../stacks/docker-client.ts';

function frame(stream: 1 | 2, text: string): Buffer {
  const body = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

describe('log frames', () => {
  it('splits frames into timestamped lines per stream', () => {
    const splitter = new FrameSplitter('dev-ada-web');
    const lines = splitter.push(
      Buffer.concat([frame(1, '2026-11-26T10:00:00.1Z GET / 200\n'), frame(2, '2026-11-26T10:00:00.2Z oops\n')]),
    );
    assert.deepEqual(lines, [
      { time: '2026-11-26T10:00:00.1Z', container: 'dev-ada-web', stream: 'stdout', text: 'GET / 200' },
      { time: '2026-11-26T10:00:00.2Z', container: 'dev-ada-web', stream: 'stderr', text: 'oops' },
    ]);
  });

  it('joins frames and lines cut anywhere across chunks', () => {
    const splitter = new FrameSplitter('c');
    const bytes = Buffer.concat([
      frame(1, '2026-11-26T10:00:00Z first half'),
      frame(1, ' second half\n2026-11-26T10:00:01Z next'),
    ]);
    const lines: LogLine[] = [];
    for (let i = 0; i < bytes.length; i += 5) lines.push(...splitter.push(bytes.subarray(i, i + 5)));
    lines.push(...splitter.flush());
    assert.deepEqual(
      lines.map((l) => l.text),
      ['first half second half', 'next'],
    );
  });
});

describe('line filter', () => {
  const line = (text: string): LogLine => ({ time: '', container: 'c', stream: 'stdout', text });
  it('shows what matches and hides the expected', () => {
    assert.equal(keepLine({ grep: /error/i }, line('ERROR: db down')), true);
    assert.equal(keepLine({ grep: /error/i }, line('GET / 200')), false);
    assert.equal(keepLine({ except: /healthz/ }, line('GET /healthz 200')), false);
    assert.equal(keepLine({ grep: /GET/, except: /healthz/ }, line('GET / 200')), true);
    assert.equal(keepLine({}, line('anything')), true);
  });

  it('merges containers by time', () => {
    const a = [
      { time: '2026-01-01T00:00:01Z', container: 'a', stream: 'stdout' as const, text: '1' },
      { time: '2026-01-01T00:00:03Z', container: 'a', stream: 'stdout' as const, text: '3' },
    ];
    const b = [{ time: '2026-01-01T00:00:02Z', container: 'b', stream: 'stdout' as const, text: '2' }];
    assert.deepEqual(
      mergeByTime([a, b]).map((l) => l.text),
      ['1', '2', '3'],
    );
  });
});

describe('demuxFrames', () => {
  it('splits a whole multiplexed buffer by stream, whatever bytes the lengths are', () => {
    const frame = (stream: number, text: string) => {
      const payload = Buffer.from(text);
      const header = Buffer.alloc(8);
      header[0] = stream;
      header.writeUInt32BE(payload.length, 4);
      return Buffer.concat([header, payload]);
    };
    // 65 bytes: the length's last byte is "A", which a filter of control characters would keep.
    const digest = `${'ab'.repeat(32)}\n`;
    assert.deepEqual(demuxFrames(Buffer.concat([frame(1, digest), frame(2, 'warning\n'), frame(1, 'more')])), {
      stdout: `${digest}more`,
      stderr: 'warning\n',
    });
  });
});
