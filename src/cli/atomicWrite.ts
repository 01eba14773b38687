import { randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, fsyncSync, mkdirSync, openSync, realpathSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * How the CLI writes a config file (ours or a host's): never in place. The new text goes to a
 * temp file in the same directory (same filesystem, so the rename is atomic), is flushed to disk,
 * then renamed over the file: a reader, or a crash at any moment, sees the old file or the new
 * one, never half of one. Edits take a lock file beside it, so two commands editing at once
 * cannot lose one another's change.
 */

/** Mode of a file that did not exist: a config may hold tokens in headers and env. */
const NEW_FILE_MODE = 0o600;

/** Options of `writeFileAtomic`. */
export interface AtomicWriteOptions {
  /** Called after the temp file is complete and before the rename (tests look at both files there). Defaults to none. */
  beforeRename?: (tempPath: string) => void;
}

/** Where a write to `path` lands: the file a symbolic link points to (the link stays a link). */
export function writeTarget(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** The file's permission bits, or undefined when it does not exist. */
function modeOf(path: string): number | undefined {
  try {
    return statSync(path).mode & 0o7777;
  } catch {
    return undefined;
  }
}

/**
 * Replaces the file at `path` with `text`: temp file (mode of the old file, 0600 for a new one),
 * fsync, rename, fsync of the directory. A missing directory is created. On any failure the temp
 * file is removed and the old file is as it was.
 */
export function writeFileAtomic(path: string, text: string, options: AtomicWriteOptions = {}): void {
  const target = writeTarget(path);
  const dir = dirname(target);
  mkdirSync(dir, { recursive: true });
  const mode = modeOf(target) ?? NEW_FILE_MODE;
  const temp = join(dir, `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(temp, 'wx', mode);
  // The umask must not narrow or widen what the old file allowed.
  fchmodSync(fd, mode);
  let open = true;
  let renamed = false;
  try {
    const bytes = Buffer.from(text);
    for (let written = 0; written < bytes.length; ) written += writeSync(fd, bytes, written);
    fsyncSync(fd);
    closeSync(fd);
    open = false;
    options.beforeRename?.(temp);
    renameSync(temp, target);
    renamed = true;
  } finally {
    if (open) closeSync(fd);
    if (!renamed) unlinkQuietly(temp);
  }
  // The rename itself reaches the disk with the directory (not possible everywhere: best effort).
  try {
    const dirFd = openSync(dir, 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  } catch {
    // Windows cannot open a directory; the rename is still atomic.
  }
}

/** How long an edit waits for another one (5 s), and when a lock is taken as left by a crash (30 s). */
const LOCK_WAIT_MS = 5_000;
const STALE_LOCK_MS = 30_000;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `edit` (read, change, write) holding `<file>.lock`, created exclusively beside the file.
 * Another holder is waited for up to 5 s; a lock older than 30 s is left from a crash and taken over.
 */
export async function withFileLock<T>(path: string, edit: () => T | Promise<T>): Promise<T> {
  const lock = `${writeTarget(path)}.lock`;
  mkdirSync(dirname(lock), { recursive: true });
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx', NEW_FILE_MODE));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const age = Date.now() - (statSafe(lock) ?? Date.now());
      if (age > STALE_LOCK_MS) {
        unlinkQuietly(lock);
        continue;
      }
      if (Date.now() > deadline) throw new Error(`${path} is being edited by another command (lock file ${lock}); remove the lock file if none is running`);
      await pause(25 + Math.floor(Math.random() * 25));
    }
  }
  try {
    return await edit();
  } finally {
    unlinkQuietly(lock);
  }
}

function statSafe(path: string): number | undefined {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Gone already.
  }
}
