import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

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

/** Writes the token file with mode 0600 (its directory 0700). */
export function writeTokenFile(path: string, token: string): void {
  mkdirSync(join(path, '..'), { recursive: true, mode: 0o700 });
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
}

/** Reads a token file, or undefined when there is none. */
export function readTokenFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
