import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { open, stat } from 'node:fs/promises';

/**
 * Reads a file that a config or the CLI names, as a hostile path cannot abuse: only a regular
 * file, at most `maxBytes`, never blocking the event loop. `/dev/zero` would read without end,
 * a FIFO would block the loop (and every signal handler with it) until a writer came, a
 * directory would fail halfway with EISDIR. The path is checked with stat before it is opened
 * (opening some devices has effects of its own), opened with O_NONBLOCK (a FIFO swapped in
 * between opens at once instead of waiting for a writer), checked again on the open fd, and read
 * up to `maxBytes + 1` bytes however the file grows meanwhile.
 */

/** A file that could not be read, or was refused; `reason` says why and names the path. */
export class FileReadError extends Error {
  /** `path` as given; `code` is the errno code (`ENOENT`, …), or `ENOTREG` / `EFBIG` for a refusal. */
  constructor(
    readonly path: string,
    readonly reason: string,
    readonly code: string,
  ) {
    super(reason);
    this.name = 'FileReadError';
  }
}

// O_NONBLOCK and O_NOCTTY do not exist on Windows, where FIFOs and terminals are not files anyway.
const READ_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);
const CHUNK = 64 * 1024;

function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a named pipe (FIFO)';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

function check(path: string, stats: Stats, maxBytes: number): void {
  if (!stats.isFile()) throw new FileReadError(path, `${path} is ${kindOf(stats)}, not a regular file`, 'ENOTREG');
  if (stats.size > maxBytes) throw tooLarge(path, maxBytes);
}

function tooLarge(path: string, maxBytes: number): FileReadError {
  return new FileReadError(path, `${path} is larger than ${maxBytes} bytes`, 'EFBIG');
}

function failed(path: string, error: unknown): FileReadError {
  if (error instanceof FileReadError) return error;
  const errno = error as NodeJS.ErrnoException;
  return new FileReadError(path, errno.message ?? String(error), errno.code ?? 'EIO');
}

/** How `readRegularFileSync` treats links and what else it checks (for secrets: see auth/secretFile.ts). */
export interface ReadOptions {
  /**
   * Refuse a symbolic link at `path` (code `ESYMLINK`), also one swapped in before the open
   * (O_NOFOLLOW). Defaults to false: a config path may be a link to the real file.
   */
  noFollow?: boolean;
  /** Called with the open file's stats before anything is read; throws to refuse the file. */
  checkOpened?: (stats: Stats) => void;
}

/** Reads `path` as UTF-8, synchronously; throws FileReadError unless it is a regular file of at most `maxBytes`. */
export function readRegularFileSync(path: string, maxBytes: number, options: ReadOptions = {}): string {
  return readRegularBytesSync(path, maxBytes, options).toString('utf8');
}

/** The bytes of `path`, read as `readRegularFileSync` reads them (for a content hash: no decoding). */
export function readRegularBytesSync(path: string, maxBytes: number, options: ReadOptions = {}): Buffer {
  let fd: number | undefined;
  try {
    // Followed first: a link to a FIFO or a device is named for what it points at.
    check(path, statSync(path), maxBytes);
    if (options.noFollow && lstatSync(path).isSymbolicLink()) throw new FileReadError(path, `${path} is a symbolic link, not a regular file (remove the link)`, 'ESYMLINK');
    fd = openSync(path, READ_FLAGS | (options.noFollow ? (constants.O_NOFOLLOW ?? 0) : 0));
    const opened = fstatSync(fd);
    check(path, opened, maxBytes);
    options.checkOpened?.(opened);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(CHUNK, maxBytes + 1 - total));
      const read = readSync(fd, chunk, 0, chunk.length, null);
      if (read === 0) break;
      chunks.push(chunk.subarray(0, read));
      total += read;
      if (total > maxBytes) throw tooLarge(path, maxBytes);
    }
    return Buffer.concat(chunks, total);
  } catch (error) {
    throw failed(path, error);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Like `readRegularFileSync`, without blocking the thread pool either. */
export async function readRegularFile(path: string, maxBytes: number): Promise<string> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    check(path, await stat(path), maxBytes);
    handle = await open(path, READ_FLAGS);
    check(path, await handle.stat(), maxBytes);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(CHUNK, maxBytes + 1 - total));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
      if (total > maxBytes) throw tooLarge(path, maxBytes);
    }
    return Buffer.concat(chunks, total).toString('utf8');
  } catch (error) {
    throw failed(path, error);
  } finally {
    await handle?.close();
  }
}
