// devenv logs: Docker's log frames into lines, Supergrep's filter, merging.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  expectedLogsFile,
  expectedPatterns,
  FrameSplitter,
  keepLine,
  mergeByTime,
  type LogLine,
} from '../../stacks/log-lines.ts';
import { projectRoot } from '../../lib/paths.ts';
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

describe('the expected noise', () => {
  it('reads a pattern a line, skipping comments, blanks and what is not a regular expression', () => {
    assert.deepEqual(expectedPatterns('# the noise\n\n^GET \n  (unclosed\nok$\n'), ['^GET', 'ok$']);
  });

  it("the repo's list hides the stacks' routine lines and none of the unexpected", async () => {
    const patterns = expectedPatterns(await readFile(join(projectRoot, expectedLogsFile), 'utf8')).map(
      (source) => new RegExp(source, 'i'),
    );
    const expected = (text: string) => patterns.some((pattern) => pattern.test(text));
    for (const routine of [
      'GET / 200 2.8ms',
      'GET /items/12 404 0.9ms',
      '2026-12-03T19:02:25+00:00 172.30.0.1 "GET / HTTP/1.1" 200 1043 rt=0.001 ut=0.001 up=172.30.0.8:8080 us=200 rid=252e',
      'Fontconfig error: No writable cache directories',
      '2026-12-03 19:00:36.598 UTC [1] LOG:  database system is ready to accept connections',
      '3 Dec 19:00:38 - server is up INFO',
    ])
      assert.equal(expected(routine), true, routine);
    for (const unexpected of [
      'GET / 500 3.1ms',
      '2026-12-03T19:02:25+00:00 172.30.0.1 "GET / HTTP/1.1" 502 150 rt=0.001 ut=- up=172.30.0.8:8080 us=502 rid=1',
      'Error: connect ECONNREFUSED 10.213.0.11:18102',
      '2026-12-03 19:00:36.598 UTC [88] ERROR:  relation "members" does not exist',
    ])
      assert.equal(expected(unexpected), false, unexpected);
  });
});
