// Errors a user can act on carry the message and the fix; everything else is
// "unexpected". Known Docker and Pulumi failures map to plain sentences here, in
// one table, so every command speaks about them the same way.

export class UserError extends Error {
  override readonly name = 'UserError';
  /** What to do about it, printed after the message. */
  readonly fix: string | undefined;
  constructor(message: string, fix?: string) {
    super(message);
    this.fix = fix;
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
    matches: (e) => (e.code === 'ECONNREFUSED' && /docker|\.sock/i.test(e.message)) || /connect (ECONNREFUSED|ENOENT) \S*docker\.sock/.test(e.message),
    message: 'the Docker engine stopped answering',
    fix: 'run `devenv setup` to start it, then run the command again (it converges)',
  },
  {
    matches: (e) => e.code === 'ENOENT' && /docker\.sock/.test(e.message),
    message: 'no Docker engine answers on the default socket',
    fix: 'run `devenv setup` (it installs and starts one where it can)',
  },
  {
    matches: (e) => e.name === 'ConcurrentUpdateError' || /\[409\] Conflict: Another update is currently in progress|the stack is currently locked/i.test(e.message),
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
  {
    pattern: /container (\S+) was not healthy within (\d+) s/,
    explain: ([, name, seconds]) => new UserError(`${name} did not become healthy within ${seconds} s`, `see its log with \`docker logs ${name}\`; fix and run the command again (it converges)`),
  },
  {
    pattern: /container (\S+) exited with code (\d+) while starting/,
    explain: ([, name, code]) => new UserError(`${name} exited with code ${code} while starting`, `see its log with \`docker logs ${name}\``),
  },
  {
    pattern: /building (\S+) failed: (.*?) \(build log: (\S+)\)/,
    explain: ([, image, why, log]) => new UserError(`building ${image} failed: ${why}`, `the build log is ${log}`),
  },
];

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
