import { randomBytes } from 'node:crypto';
import { closeSync, constants, fchmodSync, fstatSync, fsyncSync, lstatSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync, type Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { FileReadError, readRegularFileSync } from '../config/readFile.js';

/**
 * The one way a secret (the admin token, OAuth tokens and registrations) reaches the disk or is
 * read back. Writing into the file at `path` would keep whatever mode it had (a 0644 file stays
 * readable by everyone) and would follow a symlink planted there into a file of the planter's
 * choice; a temporary file at a predictable name can be planted the same way. So the secret goes
 * into a freshly created file with an unpredictable name in the same directory, opened with
 * O_CREAT|O_EXCL|O_NOFOLLOW and mode 0600 (it follows no link and cannot be someone else's file),
 * which is then renamed over `path`: the rename replaces a link or an old file, never writes
 * through it, and a crash leaves the old file or the new one, never half of one.
 *
 * The rule for secrets on disk (OpenSSH's, applied to every read and every write):
 * - the directory a secret lives in (the state directory, the token store's `oauth` directory),
 *   and the state directory above the token store's, must be a real directory, not a symbolic
 *   link, owned by this user (or root), and not writable by group or others: whoever can write
 *   there can swap the secret or the directory itself. The directory above the token store's may
 *   be sticky and world-writable (like /tmp: nobody else can rename what is in it). A directory
 *   that is refused is never created into, written into or chmodded; only the token store's own
 *   directory, when it is a real directory of this user, is tightened to 0700 (through a
 *   descriptor opened without following links, so no other directory can be reached);
 * - a secret file is read only if it is a regular file (no symbolic link: O_NOFOLLOW), owned by
 *   this user (or root), with no other hard link, and neither readable nor writable by group or
 *   others. Anything else is refused with an error naming the path and the fix (`chmod 600 PATH`,
 *   or remove the link), never used and never silently repaired.
 * Ownership and modes are not checked on Windows (no POSIX owners or modes there).
 */

// O_NOFOLLOW and O_DIRECTORY do not exist on Windows; O_EXCL alone refuses an existing name there.
const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);
const DIRECTORY_FLAGS = constants.O_RDONLY | (constants.O_DIRECTORY ?? 0) | (constants.O_NOFOLLOW ?? 0);

/** This process's user, or undefined where there are no POSIX owners (Windows): no owner or mode checks then. */
const USER = process.getuid?.();

/** A directory or file that holds secrets and is not safe to use; `reason` names the path and the fix. */
export class UnsafeSecretPathError extends Error {
  readonly code = 'EUNSAFE';
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'UnsafeSecretPathError';
  }
}

const octal = (mode: number) => `0${(mode & 0o7777).toString(8)}`;

function ownedByOther(stats: Stats): boolean {
  return USER !== undefined && stats.uid !== USER && stats.uid !== 0;
}

/** Options of the directory checks; every one defaults to false. */
interface DirectoryOptions {
  /** Create a missing directory (0700, without following a link at its name). */
  create?: boolean;
  /** A real directory of this user is set to 0700 (the token store's own directory). */
  tighten?: boolean;
  /** Sticky and world-writable is allowed (the directory above the one holding secrets, e.g. /tmp). */
  stickyAllowed?: boolean;
}

/** Checks (and creates or tightens, as asked) one directory by the rule above. */
function checkDirectory(dir: string, options: DirectoryOptions): void {
  if (options.create) {
    try {
      mkdirSync(dir, { mode: 0o700 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  // Followed first, so a link to a FIFO or a device is named for what it points at (secretPathFailure).
  if (!statSync(dir).isDirectory()) throw Object.assign(new Error(`${dir} is not a directory`), { code: 'ENOTDIR' });
  const stats = lstatSync(dir);
  if (stats.isSymbolicLink()) throw new UnsafeSecretPathError(`${dir} is a symbolic link; secrets are kept only in a real directory (replace the link with a directory of mode 0700)`);
  if (USER === undefined) return;
  if (ownedByOther(stats)) throw new UnsafeSecretPathError(`${dir} is owned by another user (uid ${stats.uid}); secrets are kept only in directories of this user (uid ${USER})`);
  if (options.tighten && stats.uid === USER && (stats.mode & 0o077) !== 0) {
    const fd = openSync(dir, DIRECTORY_FLAGS);
    try {
      const opened = fstatSync(fd);
      // The same directory as checked (not one swapped in meanwhile), and still this user's.
      if (opened.ino === stats.ino && opened.dev === stats.dev && opened.uid === USER) fchmodSync(fd, 0o700);
    } finally {
      closeSync(fd);
    }
    return;
  }
  const sticky = (stats.mode & 0o1000) !== 0;
  if ((stats.mode & 0o022) !== 0 && !(options.stickyAllowed && sticky)) {
    throw new UnsafeSecretPathError(`${dir} is writable by group or others (mode ${octal(stats.mode)}), who could replace the secrets in it; run \`chmod go-w ${dir}\``);
  }
}

/** Options of `writeSecretFile` and `readSecretFileSync`. */
export interface SecretFileOptions {
  /**
   * The directory holds only secrets and is the library's own (the token store's): a real
   * directory of this user is tightened to 0700 instead of refused. Defaults to false: any other
   * directory (the state directory may be shared) is created 0700 when missing and otherwise
   * checked, never changed.
   */
  tightenDirectory?: boolean;
  /**
   * Also check the directory above (the state directory above the token store's `oauth`): not a
   * link, this user's or root's, not writable by others unless sticky. Defaults to false.
   */
  checkParent?: boolean;
}

/** Checks the directories of a secret at `path` by the rule above; creates missing ones when `create`. */
export function checkSecretDirectories(path: string, options: SecretFileOptions & { create?: boolean } = {}): void {
  const dir = dirname(path);
  const owned = options.checkParent ? [dirname(dir), dir] : [dir];
  // Missing directories above the ones the library owns are the host's path: created, not judged.
  if (options.create) mkdirSync(dirname(owned[0]!), { recursive: true, mode: 0o700 });
  if (options.checkParent) checkDirectory(owned[0]!, { create: options.create === true, stickyAllowed: true });
  checkDirectory(dir, { create: options.create === true, tighten: options.tightenDirectory === true });
}

/** Writes `content` to `path` as a new 0600 file, as described above; missing directories are created 0700. */
export function writeSecretFile(path: string, content: string, options: SecretFileOptions = {}): void {
  checkSecretDirectories(path, { ...options, create: true });
  const dir = dirname(path);
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

/** Refuses an open secret file that others could read, write or have planted (the rule above). */
function checkSecretFile(path: string, stats: Stats): void {
  if (USER === undefined) return;
  if (ownedByOther(stats)) throw new UnsafeSecretPathError(`${path} is owned by another user (uid ${stats.uid}), not this one (uid ${USER}); remove it`);
  if (stats.nlink > 1) throw new UnsafeSecretPathError(`${path} has ${stats.nlink - 1} other hard link(s), so it may be another file; remove it`);
  if ((stats.mode & 0o077) !== 0) {
    const mode = octal(stats.mode);
    // Writable by others: what it holds may be theirs. Readable only: it is ours, but may have leaked.
    if ((stats.mode & 0o022) !== 0) throw new UnsafeSecretPathError(`${path} is writable by group or others (mode ${mode}), so what it holds cannot be trusted; remove it, or check it and run \`chmod 600 ${path}\``);
    throw new UnsafeSecretPathError(`${path} is readable by group or others (mode ${mode}); run \`chmod 600 ${path}\` (and replace the secret if others may have read it)`);
  }
}

/**
 * Reads the secret file at `path` (UTF-8, at most `maxBytes`) by the rule above: its directories
 * are checked (never created or changed; `tightenDirectory` is ignored here), the file is opened
 * with O_NOFOLLOW and checked on its descriptor. Throws FileReadError: `ENOENT` when there is no
 * file (or no directory), `ENOTREG` / `EFBIG` as readRegularFileSync, `EUNSAFE` when the rule
 * refuses the file or a directory (`reason` names the path and the fix), or the errno's code.
 */
export function readSecretFileSync(path: string, maxBytes: number, options: Pick<SecretFileOptions, 'checkParent'> = {}): string {
  try {
    checkSecretDirectories(path, { checkParent: options.checkParent === true });
  } catch (error) {
    if (error instanceof UnsafeSecretPathError) throw new FileReadError(path, error.reason, error.code);
    const errno = error as NodeJS.ErrnoException;
    throw new FileReadError(path, errno.message ?? String(error), errno.code ?? 'EIO');
  }
  try {
    return readRegularFileSync(path, maxBytes, { noFollow: true, checkOpened: (stats) => checkSecretFile(path, stats) });
  } catch (error) {
    if (!(error instanceof FileReadError)) throw error;
    // A link swapped in between the check and the open: O_NOFOLLOW answers ELOOP.
    if (error.code === 'ESYMLINK' || error.code === 'ELOOP') throw new FileReadError(path, `${path} is a symbolic link; secrets are read only from a regular file (remove the link)`, 'EUNSAFE');
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
 * itself is a directory, what the rule above refused (and the fix), or the errno's meaning. Only paths and kinds, never the content.
 */
export function secretPathFailure(error: unknown, path: string): string {
  const target = statOf(path);
  if (target?.isDirectory()) return `${path} is a directory`;
  for (let dir = dirname(path), above = dirname(dir); ; dir = above, above = dirname(dir)) {
    const stats = statOf(dir);
    if (stats && !stats.isDirectory()) return `${dir} is ${kindOf(stats)}, not a directory`;
    if (stats || above === dir) break;
  }
  if (error instanceof UnsafeSecretPathError || (error instanceof FileReadError && error.code === 'EUNSAFE')) return error.reason;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return (code && REASONS[code]) ?? code ?? (error instanceof Error ? error.name : 'unknown error');
}
