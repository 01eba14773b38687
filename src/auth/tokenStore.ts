import { resourceUrlFromServerUrl } from '@modelcontextprotocol/sdk/shared/auth-utils.js';
import { createHash } from 'node:crypto';
import { lstatSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { FileReadError } from '../config/readFile.js';
import { TokenStoreError } from './errors.js';
import { recordProblem } from './recordBounds.js';
import { checkSecretDirectories, readSecretFileSync, secretPathFailure, writeSecretFile } from './secretFile.js';
import { clampLifetimes } from './tokenLifetime.js';

/**
 * Where a server's OAuth state lives between connects and between processes: its tokens, the
 * client registration it made, and which resource and authorization server they belong to.
 */

const TokensSchema = z.looseObject({
  access_token: z.string(),
  token_type: z.string(),
  refresh_token: z.string().optional(),
  expires_in: z.number().optional(),
  scope: z.string().optional(),
  issuer: z.string().optional(),
});

const ClientInformationSchema = z.looseObject({
  client_id: z.string(),
  client_secret: z.string().optional(),
  issuer: z.string().optional(),
});

/** One server's OAuth state for one resource (one record, one file). */
export const StoredAuthSchema = z.strictObject({
  version: z.literal(1),
  server: z.string(),
  /** The MCP server URL (the resource) the record belongs to. */
  resource: z.string(),
  /** The resource indicator the server's metadata named when the tokens were issued. */
  resourceIndicator: z.string().optional(),
  /** The authorization server the tokens and the registration belong to. */
  issuer: z.string().optional(),
  /** A client registered dynamically or by metadata document (never a configured one). */
  clientInformation: ClientInformationSchema.optional(),
  tokens: TokensSchema.optional(),
  /** When the access token expires (ms since the epoch), from `expires_in` at issue time (at most a year ahead). */
  expiresAt: z.number().optional(),
});
export type StoredAuth = z.infer<typeof StoredAuthSchema>;

/**
 * Keeps OAuth records by key. Implementations may be synchronous or asynchronous; `load` returns
 * undefined when nothing is stored and throws when what is stored cannot be read.
 */
export interface TokenStore {
  load(key: string): StoredAuth | undefined | Promise<StoredAuth | undefined>;
  save(key: string, data: StoredAuth): void | Promise<void>;
  delete(key: string): void | Promise<void>;
  /**
   * Optional: the lock that makes one process of many refresh `key` (a cluster's shared store,
   * src/cluster/sharedTokens.ts). Resolves its release once held, or once waiting no longer makes
   * sense (the lock's TTL passed, the lock's engine is down): the refresh then goes on without
   * it. Rejects only when `signal` aborts. The caller re-reads the record after it resolves: the
   * holder before it may have refreshed already.
   */
  lockRefresh?(key: string, signal?: AbortSignal): Promise<() => Promise<void>>;
}

/** The key of a server's record for one resource: its name plus a digest of the URL. */
/** The token store key of an http or sse server: its name and its resource (RFC 8707) URL. */
export function serverTokenKey(name: string, url: string): string {
  return storeKey(name, resourceUrlFromServerUrl(url).href);
}

export function storeKey(server: string, resource: string): string {
  return `${server}-${createHash('sha256').update(resource).digest('hex').slice(0, 16)}`;
}

/** The largest token file read (1 MiB): a record is a few kB even with long JWTs. */
export const MAX_TOKEN_FILE_BYTES = 1024 * 1024;

/**
 * `value` (parsed from `where`, or given to save) as a record, or a TokenStoreError naming
 * `where` and what is wrong (issue paths only, never values: they are tokens). The same check
 * on the way in and on the way out: a store never writes what it would refuse to read.
 */
function checkRecord(value: unknown, where: string, advice: string): StoredAuth {
  const problem = recordProblem(value, MAX_TOKEN_FILE_BYTES);
  if (problem) throw new TokenStoreError(`${where} is not a token record: ${problem}${advice}`);
  const parsed = StoredAuthSchema.safeParse(value);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((issue) => issue.path.join('.') || '(root)').join(', ');
    throw new TokenStoreError(`${where} is not a token record (${fields})${advice}`);
  }
  return parsed.data;
}

const REAUTHORIZE = '; delete it and authorize again (switchboard login)';

/** Records in a Map: for tests and for hosts that keep tokens themselves. Lifetimes and bounds are checked as files check them. */
export function memoryTokenStore(): TokenStore {
  const records = new Map<string, StoredAuth>();
  return {
    // Copies: a caller mutating what it loaded must not change the store behind its back.
    load: (key) => {
      const record = records.get(key);
      return record ? structuredClone(record) : undefined;
    },
    save: (key, data) => {
      records.set(key, structuredClone(checkRecord(clampLifetimes(data), `the record to save under "${key}"`, '')));
    },
    delete: (key) => {
      records.delete(key);
    },
  };
}

/** The default directory: `$SWITCHBOARD_STATE_DIR/oauth`, else `~/.mcp-switchboard/oauth`. */
export function defaultTokenDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.SWITCHBOARD_STATE_DIR ?? join(homedir(), '.mcp-switchboard'), 'oauth');
}

const SAFE_KEY = /^[A-Za-z0-9_.-]{1,100}$/;

/**
 * One JSON file per key under `dir` (defaults to `defaultTokenDir()`): the directory mode 0700,
 * each file written by `writeSecretFile` (a new 0600 file that follows no link, renamed into
 * place) and read by `readSecretFileSync`. Files and directories follow the rule of secretFile.ts:
 * `dir` and the state directory above it must be real directories of this user, not writable by
 * others (`dir` itself is tightened to 0700; the one above may be sticky like /tmp), and a record
 * that is a symbolic link, another user's, hard-linked, or readable or writable by group or others
 * is refused with a TokenStoreError naming the file and the fix (`chmod 600 PATH`), never used. Lifetimes are clamped (`clampLifetimes`: at most a year) on write and on read. A file
 * that is not a valid record (nested deeper than MAX_TOKEN_RECORD_DEPTH included), is not a
 * regular file or is larger than MAX_TOKEN_FILE_BYTES is a TokenStoreError naming the file, never
 * a crash or a hang; so is a record that save cannot write (the same checks, so what was written
 * reads back) and every failure to write or delete (the directory a file, a FIFO, a link to a
 * device, the record path a directory, no permission), never a raw filesystem error.
 */
export function fileTokenStore(dir = defaultTokenDir()): TokenStore {
  const pathOf = (key: string) => {
    // Keys come from storeKey(); anything else could point outside the directory.
    if (!SAFE_KEY.test(key) || key.startsWith('.')) throw new TokenStoreError(`invalid token store key "${key}"`);
    return join(dir, `${key}.json`);
  };
  return {
    load(key) {
      const path = pathOf(key);
      let text: string;
      try {
        text = readSecretFileSync(path, MAX_TOKEN_FILE_BYTES, { checkParent: true });
      } catch (error) {
        const code = error instanceof FileReadError ? error.code : 'error';
        if (code === 'ENOENT') return undefined;
        // The reason names the path and what is wrong with it (a FIFO, too large, mode 0644), never content.
        const reason = error instanceof FileReadError && (code === 'ENOTREG' || code === 'EFBIG' || code === 'EUNSAFE') ? error.reason : secretPathFailure(error, path);
        throw new TokenStoreError(`cannot read the token file ${path}: ${reason}`);
      }
      let value: unknown;
      try {
        value = clampLifetimes(JSON.parse(text));
      } catch {
        throw new TokenStoreError(`the token file ${path} is not valid JSON${REAUTHORIZE}`);
      }
      return checkRecord(value, `the token file ${path}`, REAUTHORIZE);
    },
    save(key, data) {
      const path = pathOf(key);
      const where = `the record to save to ${path}`;
      const record = checkRecord(clampLifetimes(data), where, '');
      let text: string;
      try {
        text = `${JSON.stringify(record, null, 2)}\n`;
      } catch (error) {
        // A BigInt, or a toJSON that throws: the error's name only, its message may quote a value.
        throw new TokenStoreError(`${where} cannot be written as JSON (${(error as Error).name})`);
      }
      // Indentation grows the text: the file must still be one that load reads.
      if (Buffer.byteLength(text) > MAX_TOKEN_FILE_BYTES) throw new TokenStoreError(`${where} is not a token record: larger than ${MAX_TOKEN_FILE_BYTES} bytes`);
      try {
        // The store's own directory is tightened to 0700 when it is a real one of this user; the
        // state directory above it is checked, never changed (secretFile.ts has the rule).
        writeSecretFile(path, text, { tightenDirectory: true, checkParent: true });
      } catch (error) {
        throw new TokenStoreError(`cannot write the token file ${path}: ${secretPathFailure(error, path)}`);
      }
    },
    delete(key) {
      const path = pathOf(key);
      try {
        // Nothing to delete without the directory; with one, only where the rule allows secrets.
        if (!exists(dirname(path))) return;
        checkSecretDirectories(path, { checkParent: true });
        rmSync(path, { force: true });
      } catch (error) {
        throw new TokenStoreError(`cannot delete the token file ${path}: ${secretPathFailure(error, path)}`);
      }
    },
  };
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** The `tokenStore` option as a store: `'memory'`, a store of the host's, or the default files. */
export function resolveTokenStore(option: TokenStore | 'memory' | undefined): TokenStore {
  if (option === 'memory') return memoryTokenStore();
  return option ?? fileTokenStore();
}
