import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fileTokenStore, memoryTokenStore, TokenStoreError, type StoredAuth, type TokenStore } from '../../src/auth/index.js';
import { MAX_TOKEN_FILE_BYTES } from '../../src/auth/tokenStore.js';
import { writeTokenFile } from '../../src/server/auth.js';
import { guardedFifo, type GuardedFifo } from '../config/fifo.js';

/**
 * What a token store cannot load or save (issue 18 follow-up): a record nested too deeply or too
 * large is a TokenStoreError on load and on save alike (never a RangeError out of JSON.stringify),
 * what save writes reads back exactly, and every filesystem failure of save, delete and the admin
 * token file is an error naming the path and the reason, never a raw EEXIST or EISDIR, never a secret.
 */

const SECRET = 'secret-access-token-77';
const record: StoredAuth = { version: 1, server: 's', resource: 'https://mcp.example.test/mcp', tokens: { access_token: SECRET, token_type: 'Bearer' } };

let dir: string | undefined;
const fifos: GuardedFifo[] = [];
afterEach(async () => {
  for (const fifo of fifos.splice(0)) await fifo.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function tempDir(): string {
  dir = mkdtempSync(join(tmpdir(), 'sb-token-failures-'));
  return dir;
}

/** `levels` lists, one inside the other. */
function nested(levels: number): unknown {
  let value: unknown = 'x';
  for (let i = 0; i < levels; i++) value = [value];
  return value;
}

/** The error `fn` throws, checked to be a TokenStoreError whose message shows no secret. */
function storeError(fn: () => unknown): TokenStoreError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(TokenStoreError);
    expect((error as Error).message).not.toContain(SECRET);
    return error as TokenStoreError;
  }
  throw new Error('expected a TokenStoreError');
}

describe('records too deep or too large', () => {
  it('refuses to load a file whose extra token fields nest 100 000 levels deep', () => {
    const oauth = tempDir();
    const text = JSON.stringify({ ...record, tokens: { ...record.tokens, extra: 'EXTRA' } }).replace('"EXTRA"', `${'['.repeat(100_000)}${']'.repeat(100_000)}`);
    // Mode 0600: a token file others could read is refused before it is parsed (secretFile.ts).
    writeFileSync(join(oauth, 'k.json'), text, { mode: 0o600 });
    expect(storeError(() => fileTokenStore(oauth).load('k')).message).toMatch(/k\.json is not a token record: nested deeper than \d+ levels/);
  });

  const shared = (() => {
    let value: unknown = 'x';
    for (let i = 0; i < 25; i++) value = [value, value];
    return value;
  })();
  const cyclic: unknown[] = [];
  cyclic.push(cyclic);
  const bad: [string, unknown, RegExp][] = [
    ['nested 100 000 levels deep', nested(100_000), /nested deeper than \d+ levels/],
    ['containing itself', cyclic, /nested deeper than \d+ levels \(or contains itself\)/],
    ['sharing its parts 2^25 times over', shared, /larger than \d+ bytes/],
    ['larger than the file limit', 'y'.repeat(MAX_TOKEN_FILE_BYTES), /larger than \d+ bytes/],
    ['a BigInt', 10n, /cannot be written as JSON \(TypeError\)/],
  ];
  it.each(bad)('refuses to save a record with an extra token field %s, file and memory alike', (_label, extra, message) => {
    const oauth = tempDir();
    const data = { ...record, tokens: { ...record.tokens, extra } } as StoredAuth;
    const files = fileTokenStore(oauth);
    expect(storeError(() => files.save('k', data)).message).toMatch(message);
    expect(readdirSync(oauth)).toEqual([]);
    if (typeof extra !== 'bigint') expect(storeError(() => memoryTokenStore().save('k', data)).message).toMatch(message);
  });

  it('refuses to save what it would refuse to load, and reads back exactly what it saved', () => {
    const oauth = tempDir();
    const store: TokenStore = fileTokenStore(oauth);
    expect(storeError(() => store.save('k', { ...record, version: 2 } as never)).message).toMatch(/is not a token record \(version\)/);
    // Deep enough for any real server's extra fields, and exactly what was saved comes back.
    const saved = { ...record, tokens: { ...record.tokens, authorization_details: [{ type: 't', locations: [{ nested: nested(20) }] }] } } as StoredAuth;
    store.save('k', saved);
    expect(store.load('k')).toEqual(saved);
    store.save('k', store.load('k') as StoredAuth);
    expect(store.load('k')).toEqual(saved);
  });
});

describe('filesystem failures of the token store', () => {
  /** Token directories that are not directories. */
  const notDirectories: [string, (path: string) => void, RegExp][] = [
    ['a FIFO', (path) => void fifos.push(guardedFifo(path, '')), /is a named pipe \(FIFO\), not a directory/],
    ['a file', (path) => writeFileSync(path, 'x'), /is a file, not a directory/],
    ['a symlink to /dev/zero', (path) => symlinkSync('/dev/zero', path), /is a character device, not a directory/],
  ];
  it.each(notDirectories)('save, load and delete name the directory when it is %s', (_label, plant, reason) => {
    const oauth = join(tempDir(), 'oauth');
    plant(oauth);
    const store = fileTokenStore(oauth);
    const path = join(oauth, 'k.json');
    expect(storeError(() => store.save('k', record)).message).toMatch(new RegExp(`^cannot write the token file ${path}: ${oauth} ${reason.source}`));
    expect(storeError(() => store.load('k')).message).toMatch(new RegExp(`^cannot read the token file ${path}: ${oauth} ${reason.source}`));
    expect(storeError(() => store.delete('k')).message).toMatch(new RegExp(`^cannot delete the token file ${path}: ${oauth} ${reason.source}`));
  });

  it('save and delete name the record path when it is a directory', () => {
    const oauth = tempDir();
    const path = join(oauth, 'k.json');
    mkdirSync(path);
    const store = fileTokenStore(oauth);
    expect(storeError(() => store.save('k', record)).message).toBe(`cannot write the token file ${path}: ${path} is a directory`);
    expect(storeError(() => store.delete('k')).message).toBe(`cannot delete the token file ${path}: ${path} is a directory`);
    // Nothing left behind: the temporary file is removed when the rename fails.
    expect(readdirSync(oauth)).toEqual(['k.json']);
  });
});

describe('filesystem failures of the admin token file', () => {
  const token = 'admin-token-secret-99';
  it.each([
    ['a file', (path: string) => writeFileSync(path, 'x'), 'is a file, not a directory'],
    ['a FIFO', (path: string) => void fifos.push(guardedFifo(path, '')), 'is a named pipe (FIFO), not a directory'],
  ])('names the state directory when it is %s', (_label, plant, reason) => {
    const state = join(tempDir(), 'state');
    plant(state);
    const path = join(state, 'admin-1.token');
    expect(() => writeTokenFile(path, token)).toThrow(`cannot write the admin token file ${path}: ${state} ${reason}`);
  });

  it('names the token path when it is a directory, and never shows the token', () => {
    const path = join(tempDir(), 'admin-2.token');
    mkdirSync(path);
    let message = '';
    try {
      writeTokenFile(path, token);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe(`cannot write the admin token file ${path}: ${path} is a directory`);
    expect(message).not.toContain(token);
  });
});
