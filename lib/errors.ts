// Errors a user can act on carry the message and the fix; everything else is
// "unexpected". Known Docker and Pulumi failures map to plain sentences here, in
// one table, so every command speaks about them the same way.

export class UserError extends Error {
  override readonly name = 'UserError';
  /** What to do about it, printed after the message. */
  readonly fix: string | undefined;
  /** the process's exit code: 1, or 130 for work stopped by Ctrl-C */
  readonly exitCode: number;
  constructor(message: string, fix?: string, options: { exitCode?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.fix = fix;
    this.exitCode = options.exitCode ?? 1;
  }
}

interface KnownError {
  matches: (error: Error & { code?: string }) => boolean;
  message: string;
  fix: string;
}

const knownErrors: KnownError[] = [
  {
    // Also inside the engine's error text, when a provider lost the daemon mid-update.
    matches: (e) =>
      (e.code === 'ECONNREFUSED' && /docker|\.sock/i.test(e.message)) ||
      /connect (ECONNREFUSED|ENOENT) \S*docker\.sock/.test(e.message),
    message: 'the Docker engine stopped answering',
    fix: 'run `devenv setup` to start it, then run the command again (it converges)',
  },
  {
    matches: (e) => e.code === 'ENOENT' && /docker\.sock/.test(e.message),
    message: 'no Docker engine answers on the default socket',
    fix: 'run `devenv setup` (it installs and starts one where it can)',
  },
  {
    matches: stackLocked,
    message: 'another devenv command is changing this stack right now',
    fix: 'wait for it to finish and run the command again (a lock left by a killed command is cleared automatically)',
  },
  {
    matches: (e) => e.name === 'StackNotFoundError' || /no stack named/i.test(e.message),
    message: 'that stack does not exist yet',
    fix: 'bring it up first with `devenv up`',
  },
];

/** Failures our Docker providers report inside the engine's error text, with their details. */
const providerErrors: { pattern: RegExp; explain: (match: RegExpExecArray) => UserError }[] = [
  // The provider removes a container that never became ready, and says its last log lines after the colon.
  {
    pattern: /container (\S+) was not healthy within (\d+) s:?([\s\S]*)/,
    explain: ([, name, seconds, log]) =>
      new UserError(
        `${name} did not become healthy within ${seconds} s${lastWords(log)}`,
        'fix the cause and run the command again (it converges)',
      ),
  },
  {
    pattern: /container (\S+) exited with code (\d+) while starting:?([\s\S]*)/,
    explain: ([, name, code, log]) =>
      new UserError(
        `${name} exited with code ${code} while starting${lastWords(log)}`,
        'fix the cause and run the command again (it converges)',
      ),
  },
  {
    pattern: /building (\S+) failed: (.*?) \(build log: (\S+)\)/,
    explain: ([, image, why, log]) => new UserError(`building ${image} failed: ${why}`, `the build log is ${log}`),
  },
];

/** A resource the engine reported failing, with the provider's own message. */
export interface ResourceFailure {
  resource: string;
  message: string;
}

/** What the engine puts before a message it reports: `error:`, or `stderr: error:` in its command output. */
const engineErrorPrefix = /^\s*(stderr:\s*)?error:\s*/i;

/**
 * The provider's message as one line: the engine's "error:" and the JavaScript
 * error's name, its stack, and dockerode's "(HTTP code N) ... -" prefix left out,
 * so what remains is what Docker (or our provider) said.
 */
export function providerMessage(diagnostic: string): string {
  const withoutStack = diagnostic
    .split('\n')
    .filter((line) => !/^\s+at\s/.test(line))
    .join(' ');
  return withoutStack
    .replace(engineErrorPrefix, '')
    .replace(/^(\w*Error:\s*)+/, '')
    .replace(/^\(HTTP code \d+\)\s+[^-]*?-\s*/, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * An engine operation that failed on some resources: one line each, naming the
 * resource, the provider's message and what to do, ending at the engine's log.
 * The engine's whole output stays in that log (and `--debug` prints it).
 */
export function engineFailure(operation: string, reported: ResourceFailure[], log: string, cause: unknown): UserError {
  // The engine may report a resource's failure more than once: its first word stands.
  const failures = reported.filter(
    (failure, index) => reported.findIndex((other) => other.resource === failure.resource) === index,
  );
  const lines = failures.map(({ resource, message }) => {
    const said = providerMessage(message);
    const known = explain(new Error(message.replace(engineErrorPrefix, '')));
    return `  ${resource}: ${known ? `${known.message}; ${known.fix}` : `${said}; fix the cause and run the command again (it converges)`}`;
  });
  if (lines.length === 0) {
    const known = explain(cause);
    if (known) return new UserError(known.message, `${known.fix}; the engine's log is ${log}`, { cause });
    const text = String((cause as Error)?.message ?? cause);
    const errorLines = text.split('\n').filter((line) => engineErrorPrefix.test(line));
    const said = providerMessage(errorLines.at(-1) ?? text.split('\n').find((line) => line.trim()) ?? text);
    return new UserError(`${operation} failed: ${said}`, `the engine's log is ${log}`, { cause });
  }
  return new UserError(
    `${operation} failed on ${failures.length === 1 ? 'one resource' : `${failures.length} resources`}:\n${lines.join('\n')}`,
    `the engine's log is ${log}`,
    { cause },
  );
}

/** The last line a container logged (not a stack frame), quoted, or nothing. */
function lastWords(log: string | undefined): string {
  const line = (log ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^at\s/.test(l) && !/^error: update failed$/.test(l))
    .pop();
  return line ? `; its last log line: "${line.length > 200 ? `${line.slice(0, 200)}...` : line}"` : '';
}

/** Turns a thrown value into the error the user should see, or undefined when unknown. */
export function explain(error: unknown): UserError | undefined {
  if (error instanceof UserError) return error;
  if (!(error instanceof Error)) return undefined;
  for (const { pattern, explain } of providerErrors) {
    const match = pattern.exec(error.message);
    if (match) return explain(match);
  }
  const known = knownErrors.find((k) => k.matches(error));
  return known && new UserError(known.message, known.fix);
}

/** The engine refused because another update holds the stack's lock. */
export function stackLocked(error: { name?: string; message?: string }): boolean {
  return (
    error.name === 'ConcurrentUpdateError' ||
    /Another update is currently in progress|the stack is currently locked/i.test(error.message ?? '')
  );
}
