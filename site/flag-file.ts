// Keeps the flags of FLAGS_FILE current. fs.watch reacts at once; a periodic
// stat catches what it misses (bind mounts, editors that replace the file).
// A file that fails lint (see flags.ts) keeps the last good flags.
import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { flagList, noFlags, parseFlags, summary, type Flags } from './flags.ts';

export interface FlagFile {
  current(): Flags;
  /** sha256 of the file the current flags came from ('' before one loaded): how a config deploy sees that every replica has the new file */
  digest(): string;
  close(): void;
}

export interface FlagFileOptions {
  pollMs?: number;
  log?: (line: string) => void;
  warn?: (line: string) => void;
}

export async function watchFlagFile(path: string, options: FlagFileOptions = {}): Promise<FlagFile> {
  const { pollMs = 2000, log = console.log, warn = console.error } = options;
  let flags: Flags = noFlags;
  let digest = '';
  let seen = '';
  let reloading: Promise<void> | null = null;

  const load = async (): Promise<void> => {
    let text: string;
    let signature: string;
    try {
      const info = await stat(path);
      signature = `${info.ino}:${info.size}:${info.mtimeMs}`;
      if (signature === seen) return;
      text = await readFile(path, 'utf8');
    } catch (error) {
      const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
      if (seen !== 'missing')
        warn(
          `flags: cannot read ${path} (${missing ? 'no such file' : (error as Error).message}); keeping ${describe(flags)}`,
        );
      seen = 'missing';
      return;
    }
    seen = signature;
    const result = parseFlags(text);
    if (!result.ok) {
      warn(`flags: ${path}: ${result.error}; keeping ${describe(flags)}`);
      return;
    }
    flags = result.flags;
    digest = createHash('sha256').update(text).digest('hex');
    log(`flags: loaded ${describe(flags)}`);
  };

  // One reload at a time; a change seen meanwhile is picked up by the next one.
  const reload = (): void => {
    reloading ??= load().finally(() => {
      reloading = null;
    });
  };

  await load();

  // Watch the folder, not the file: replacing the file (rename over it) ends a watch on the file.
  let watcher: FSWatcher | null = null;
  try {
    watcher = watch(dirname(path), (_event, name) => {
      if (name === null || name === basename(path)) reload();
    });
    watcher.on('error', () => {});
    watcher.unref();
  } catch {
    // No inotify here (or no folder yet): polling alone will do.
  }
  const timer = setInterval(reload, pollMs);
  timer.unref();

  return {
    current: () => flags,
    digest: () => digest,
    close: () => {
      clearInterval(timer);
      watcher?.close();
    },
  };
}

function describe(flags: Flags): string {
  const names = flagList(flags).map((flag) => `${flag.name}=${summary(flag)}`);
  return names.length === 0 ? 'no flags' : names.join(', ');
}
