import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { TokenStoreError } from './errors.js';

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
  /** When the access token expires (ms since the epoch), from `expires_in` at issue time. */
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
}

/** The key of a server's record for one resource: its name plus a digest of the URL. */
export function storeKey(server: string, resource: string): string {
  return `${server}-${createHash('sha256').update(resource).digest('hex').slice(0, 16)}`;
}

/** Records in a Map: for tests and for hosts that keep tokens themselves. */
export function memoryTokenStore(): TokenStore {
  const records = new Map<string, StoredAuth>();
  return {
    // Copies: a caller mutating what it loaded must not change the store behind its back.
    load: (key) => {
      const record = records.get(key);
      return record ? structuredClone(record) : undefined;
    },
    save: (key, data) => {
      records.set(key, structuredClone(data));
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
 * each file 0600, written to a temporary file and renamed so a crash never leaves half a file.
 * A file that is not a valid record is a TokenStoreError naming the file, never a crash.
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
        text = readFileSync(path, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw new TokenStoreError(`cannot read the token file ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
      }
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        throw new TokenStoreError(`the token file ${path} is not valid JSON; delete it and authorize again (switchboard login)`);
      }
      const parsed = StoredAuthSchema.safeParse(value);
      // The issue paths only, never the values: they are tokens.
      if (!parsed.success) {
        const where = parsed.error.issues.map((issue) => issue.path.join('.') || '(root)').join(', ');
        throw new TokenStoreError(`the token file ${path} is not a token record (${where}); delete it and authorize again (switchboard login)`);
      }
      return parsed.data;
    },
    save(key, data) {
      const path = pathOf(key);
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      // mkdir's mode applies only to directories it creates; an existing one is tightened too.
      chmodSync(dir, 0o700);
      const temporary = `${path}.${process.pid}.tmp`;
      writeFileSync(temporary, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
      renameSync(temporary, path);
    },
    delete(key) {
      rmSync(pathOf(key), { force: true });
    },
  };
}

/** The `tokenStore` option as a store: `'memory'`, a store of the host's, or the default files. */
export function resolveTokenStore(option: TokenStore | 'memory' | undefined): TokenStore {
  if (option === 'memory') return memoryTokenStore();
  return option ?? fileTokenStore();
}
