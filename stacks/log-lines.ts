// Pure pieces of `devenv logs`: Docker's multiplexed log frames into lines, and
// Supergrep's filter (show what matches, hide what is expected).

export interface LogLine {
  /** RFC 3339 time Docker stamped the line with */
  time: string;
  container: string;
  stream: 'stdout' | 'stderr';
  text: string;
}

/**
 * Splits Docker's multiplexed log stream (8-byte frame headers: stream type,
 * three zero bytes, big-endian length) into lines; feed chunks as they come.
 */
export class FrameSplitter {
  private pending = Buffer.alloc(0);
  private partial: Record<'stdout' | 'stderr', string> = { stdout: '', stderr: '' };
  private readonly container: string;

  constructor(container: string) {
    this.container = container;
  }

  push(chunk: Buffer): LogLine[] {
    this.pending = Buffer.concat([this.pending, chunk]);
    const lines: LogLine[] = [];
    while (this.pending.length >= 8) {
      const size = this.pending.readUInt32BE(4);
      if (this.pending.length < 8 + size) break;
      const stream = this.pending[0] === 2 ? 'stderr' : 'stdout';
      const text = this.partial[stream] + this.pending.subarray(8, 8 + size).toString('utf8');
      this.pending = this.pending.subarray(8 + size);
      const parts = text.split('\n');
      this.partial[stream] = parts.pop() ?? '';
      for (const part of parts) lines.push(this.line(stream, part));
    }
    return lines;
  }

  /** Whatever is left without a final newline. */
  flush(): LogLine[] {
    const rest = (['stdout', 'stderr'] as const)
      .filter((s) => this.partial[s] !== '')
      .map((s) => this.line(s, this.partial[s]));
    this.partial = { stdout: '', stderr: '' };
    return rest;
  }

  private line(stream: 'stdout' | 'stderr', raw: string): LogLine {
    const space = raw.indexOf(' ');
    const stamped = space > 0 && /^\d{4}-\d\d-\d\dT/.test(raw);
    return {
      time: stamped ? raw.slice(0, space) : '',
      container: this.container,
      stream,
      text: (stamped ? raw.slice(space + 1) : raw).replace(/\r$/, ''),
    };
  }
}

export interface LineFilter {
  grep?: RegExp;
  except?: RegExp;
}

export function keepLine(filter: LineFilter, line: LogLine): boolean {
  if (filter.grep && !filter.grep.test(line.text)) return false;
  if (filter.except && filter.except.test(line.text)) return false;
  return true;
}

/** Lines of several containers in time order (a stable merge: ties keep their order). */
export function mergeByTime<Line extends { time: string }>(groups: Line[][]): Line[] {
  return groups.flat().sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
}

/** The repo's list of the expected noise in the stacks' logs (a regular expression a line). */
export const expectedLogsFile = 'site/expected-logs.txt';

/** The expected noise's patterns from that file's text: blank lines and # comments skipped, invalid lines dropped. */
export function expectedPatterns(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .filter((line) => {
      try {
        new RegExp(line);
        return true;
      } catch {
        return false;
      }
    });
}
