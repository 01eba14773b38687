import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { readSecretFileSync, secretPathFailure, writeSecretFile } from '../auth/secretFile.js';
import { FileReadError } from '../config/readFile.js';

/**
 * Bearer-token handling of the admin API: constant-time comparison (hashing first, so tokens of
 * different lengths compare in the same time and never throw), generated tokens and the token
 * file that the CLI's `--url` mode reads.
 */

/** Compares a presented token with the expected one in constant time. */
export function tokenMatches(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b) && expected.length > 0;
}

/** A fresh random token (256 bits, URL-safe). */
export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Where `serve` writes a generated token for port `port`: readable by its user only. */
export function tokenFilePath(port: number, dir = process.env.SWITCHBOARD_STATE_DIR ?? join(homedir(), '.mcp-switchboard')): string {
  return join(dir, `admin-${port}.token`);
}

/** The largest token file read (64 KiB): a generated token is 43 characters. */
export const MAX_TOKEN_FILE_BYTES = 64 * 1024;

/**
 * Writes the token file as a new file of mode 0600 (a missing directory is created 0700), renamed
 * into place: an existing file's mode or a symlink at `path` never decides where the token goes.
 * The state directory must be a real directory of this user that others cannot write to (no
 * symbolic link, never chmodded: the rule of auth/secretFile.ts). Any failure (the state directory
 * a file, a FIFO, a link or world-writable, the path a directory, no permission) is an Error naming
 * the path and the reason, never a raw filesystem error and never the token.
 */
export function writeTokenFile(path: string, token: string): void {
  try {
    writeSecretFile(path, `${token}\n`);
  } catch (error) {
    throw new Error(`cannot write the admin token file ${path}: ${secretPathFailure(error, path)}`, { cause: error });
  }
}

/**
 * Reads a token file, or undefined when there is none or it is not a regular file of at most
 * MAX_TOKEN_FILE_BYTES (a FIFO or a device there must not hang or flood the CLI). A file the rule
 * of auth/secretFile.ts refuses (a symbolic link, another user's, readable or writable by group or
 * others, in a linked or world-writable state directory) throws an Error naming the path and the
 * fix (`chmod 600 PATH`): a token others could read or plant is never used.
 */
export function readTokenFile(path: string): string | undefined {
  try {
    return readSecretFileSync(path, MAX_TOKEN_FILE_BYTES).trim() || undefined;
  } catch (error) {
    if (error instanceof FileReadError && error.code === 'EUNSAFE') throw new Error(`refused the admin token file: ${error.reason}`);
    return undefined;
  }
}
