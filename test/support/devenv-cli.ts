// Running the devenv CLI as a user would, against a throwaway devenv home.
import { join } from 'node:path';
import { execa, type Result } from 'execa';
import { projectRoot } from '../../lib/paths.ts';

export const devenvBin = join(projectRoot, 'bin', 'devenv');

export interface Cli {
  run(args: string[]): Promise<Result<{ reject: false; all: true }>>;
  json<T>(args: string[]): Promise<T>;
}

export function cli(env: Record<string, string>): Cli {
  const run = (args: string[]) => execa(devenvBin, args, { env, reject: false, all: true });
  return {
    run,
    async json<T>(args: string[]) {
      const result = await run([...args, '--json']);
      if (result.exitCode !== 0) throw new Error(`devenv ${args.join(' ')} exited ${result.exitCode}:\n${result.all}`);
      return JSON.parse(result.stdout) as T;
    },
  };
}
