import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, constants, fchmodSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync, type Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * The one way a secret (the admin token, OAuth tokens and registrations) reaches the disk.
 * Writing into the file at `path` would keep whatever mode it had (a 0644 file stays readable by
 * everyone) and would follow a symlink planted there into a file of the planter's choice; a
 * temporary file at a predictable name can be planted the same way. So the secret goes into a
 * freshly created file with an unpredictable name in the same directory, opened with
 * O_CREAT|O_EXCL|O_NOFOLLOW and mode 0600 (it follows no link and cannot be someone else's file),
 * which is then renamed over `path`: the rename replaces a link or an old file, never writes
 * through it, and a crash leaves the old file or the new one, never half of one.
 */

// O_NOFOLLOW does not exist on Windows; O_EXCL alone refuses an existing name there.
const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);

/** Options of `writeSecretFile`. */
export interface SecretFileOptions {
  /**
   * Also sets mode 0700 on the directory when it already exists (for a directory that holds only
   * secrets, like the token store's). Defaults to false: a directory the user chose (the state
   * directory may be shared) is created 0700 when missing and otherwise left as it is.
   */
  tightenDirectory?: boolean;
}

/** Writes `content` to `path` as a new 0600 file, as described above; missing directories are created 0700. */
export function writeSecretFile(path: string, content: string, options: SecretFileOptions = {}): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (options.tightenDirectory) chmodSync(dir, 0o700);
  const temporary = join(dir, `.${basename(path)}.${randomBytes(12).toString('hex')}.tmp`);
  const fd = openSync(temporary, CREATE_FLAGS, 0o600);
  let open = true;
  try {
    // The mode given to open is masked by the umask; a secret file is 0600 whatever the umask.
    fchmodSync(fd, 0o600);
    const bytes = Buffer.from(content, 'utf8');
    for (let written = 0; written < bytes.length; ) written += writeSync(fd, bytes, written, bytes.length - written);
    fsyncSync(fd);
    open = false;
    closeSync(fd);
    renameSync(temporary, path);
  } catch (error) {
    if (open) closeSync(fd);
    rmSync(temporary, { force: true });
    throw error;
  }
}

function kindOf(stats: Stats): string {
  if (stats.isFIFO()) return 'a named pipe (FIFO)';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  if (stats.isFile()) return 'a file';
  return 'not a directory';
}

/** `path`'s stats, following links; undefined when there is nothing there (or it cannot be seen). */
function statOf(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is exhausted',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'the path is too long',
};

/**
 * Why reading, writing or deleting the secret file at `path` failed, for an error that names the path:
 * the directory or one above it is not a directory (a file, a FIFO, a link to a device), the path
 * itself is a directory, or the errno's meaning. Only paths and kinds, never the content.
 */
export function secretPathFailure(error: unknown, path: string): string {
  const target = statOf(path);
  if (target?.isDirectory()) return `${path} is a directory`;
  for (let dir = dirname(path), above = dirname(dir); ; dir = above, above = dirname(dir)) {
    const stats = statOf(dir);
    if (stats && !stats.isDirectory()) return `${dir} is ${kindOf(stats)}, not a directory`;
    if (stats || above === dir) break;
  }
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return (code && REASONS[code]) ?? code ?? (error instanceof Error ? error.name : 'unknown error');
}
