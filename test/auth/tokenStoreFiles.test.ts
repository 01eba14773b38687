import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fileTokenStore, TokenStoreError, type StoredAuth } from '../../src/auth/index.js';
import { readTokenFile, writeTokenFile } from '../../src/server/auth.js';
import { guardedFifo, type GuardedFifo } from '../config/fifo.js';

/**
 * Secrets on disk (issue 18): every secret goes into a freshly created 0600 file that follows no
 * link, renamed into place. A planted symlink (at the file or at the temporary name an earlier
 * version used) never carries a secret elsewhere, an old 0644 file never keeps its mode, and a
 * token file that is a FIFO or a device is refused at once.
 */

const record: StoredAuth = {
  version: 1,
  server: 's',
  resource: 'https://mcp.example.test/mcp',
  tokens: { access_token: 'secret-access-token-9', token_type: 'Bearer' },
};

let dir: string;
const fifos: GuardedFifo[] = [];
afterEach(async () => {
  for (const fifo of fifos.splice(0)) await fifo.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  dir = mkdtempSync(join(tmpdir(), 'sb-secret-files-'));
  return dir;
}

function mode(path: string): number {
  return statSync(path).mode & 0o777;
}

describe('the token store writes secrets to new 0600 files only', () => {
  it('writes each record as a new 0600 file: over a 0644 one, over a symlink, past symlinks planted at temporary names', () => {
    const root = tempDir();
    const oauth = join(root, 'oauth');
    mkdirSync(oauth, { mode: 0o755 });
    const target = join(root, 'stolen.json');
    writeFileSync(target, '', { mode: 0o644 });
    // The temporary name an earlier version wrote through, for this process and its neighbours.
    for (let pid = process.pid - 2; pid <= process.pid + 2; pid++) symlinkSync(target, join(oauth, `s-1.json.${pid}.tmp`));
    writeFileSync(join(oauth, 's-1.json'), '{}', { mode: 0o644 });
    chmodSync(join(oauth, 's-1.json'), 0o644);
    symlinkSync(target, join(oauth, 's-2.json'));

    const store = fileTokenStore(oauth);
    store.save('s-1', record);
    store.save('s-1', { ...record, tokens: { access_token: 'secret-access-token-10', token_type: 'Bearer' } });
    store.save('s-2', record);
    expect(readFileSync(target, 'utf8')).toBe('');
    expect(mode(oauth)).toBe(0o700);
    for (const name of ['s-1.json', 's-2.json']) {
      expect(lstatSync(join(oauth, name)).isFile()).toBe(true);
      expect(mode(join(oauth, name))).toBe(0o600);
    }
    expect((store.load('s-1') as StoredAuth).tokens!.access_token).toBe('secret-access-token-10');
    expect(store.load('s-2')).toEqual(record);
    // Nothing left behind but the records and the planted links.
    expect(readdirSync(oauth).filter((name) => !/^s-1\.json\.\d+\.tmp$/.test(name)).sort()).toEqual(['s-1.json', 's-2.json']);
  });

  it('refuses a record that is a FIFO or a device at once, naming the file', () => {
    const oauth = join(tempDir(), 'oauth');
    mkdirSync(oauth, { mode: 0o700 });
    const fifo = join(oauth, 's-4.json');
    fifos.push(guardedFifo(fifo, JSON.stringify(record)));
    const store = fileTokenStore(oauth);
    expect(() => store.load('s-4')).toThrow(TokenStoreError);
    expect(() => store.load('s-4')).toThrow(`cannot read the token file ${fifo}: ${fifo} is a named pipe (FIFO), not a regular file`);
    symlinkSync('/dev/zero', join(oauth, 's-5.json'));
    expect(() => store.load('s-5')).toThrow(/is a character device, not a regular file/);
  });
});

describe('the admin token file', () => {
  it('is written as a new 0600 file over an old 0644 one, never through a symlink, in a 0700 directory it creates', () => {
    const root = tempDir();
    const state = join(root, 'state');
    writeTokenFile(join(state, 'admin-1.token'), 'token-one');
    expect(mode(state)).toBe(0o700);
    expect(mode(join(state, 'admin-1.token'))).toBe(0o600);

    writeFileSync(join(state, 'admin-2.token'), 'old\n', { mode: 0o644 });
    chmodSync(join(state, 'admin-2.token'), 0o644);
    writeTokenFile(join(state, 'admin-2.token'), 'token-two');
    expect(mode(join(state, 'admin-2.token'))).toBe(0o600);
    expect(readTokenFile(join(state, 'admin-2.token'))).toBe('token-two');

    const target = join(root, 'target.txt');
    writeFileSync(target, 'untouched\n', { mode: 0o644 });
    symlinkSync(target, join(state, 'admin-3.token'));
    writeTokenFile(join(state, 'admin-3.token'), 'token-three');
    expect(readFileSync(target, 'utf8')).toBe('untouched\n');
    expect(lstatSync(join(state, 'admin-3.token')).isSymbolicLink()).toBe(false);
    expect(mode(join(state, 'admin-3.token'))).toBe(0o600);
    expect(readTokenFile(join(state, 'admin-3.token'))).toBe('token-three');
  });

  it('is read only from a regular file: a FIFO there is no token, at once', () => {
    const fifo = join(tempDir(), 'admin-4.token');
    fifos.push(guardedFifo(fifo, 'token-from-a-fifo'));
    expect(readTokenFile(fifo)).toBeUndefined();
  });
});
