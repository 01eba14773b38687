import { chmodSync, chownSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fileTokenStore, TokenStoreError, type StoredAuth } from '../../src/auth/index.js';
import { readTokenFile, writeTokenFile } from '../../src/server/auth.js';

/**
 * Secret files under hostile directories (issue 18, review round 3). The rule (auth/secretFile.ts):
 * the state directory and the token store's `oauth` directory are real directories of this user
 * that others cannot write to (never a symbolic link, never chmodded when refused); a secret file
 * is read only when it is a regular file of this user (no link), with no other hard link, that
 * group and others can neither read nor write. Anything else is refused naming the path and the
 * fix; nothing is written into, or read from, a directory the rule refuses.
 */

const SECRET = 'secret-access-token-42';
const record: StoredAuth = { version: 1, server: 's', resource: 'https://mcp.example.test/mcp', tokens: { access_token: SECRET, token_type: 'Bearer' } };
const planted: StoredAuth = { ...record, tokens: { access_token: 'PLANTED-token', token_type: 'Bearer' } };

let root: string | undefined;
afterEach(() => {
  if (root) rmSync(root, { recursive: true, force: true });
  root = undefined;
});

function tempRoot(): string {
  root = mkdtempSync(join(tmpdir(), 'sb-secret-rules-'));
  return root;
}

/** A directory of `mode` (whatever the umask). */
function dirOf(path: string, mode: number): string {
  mkdirSync(path, { recursive: true });
  chmodSync(path, mode);
  return path;
}

function modeOf(path: string): number {
  return lstatSync(path).mode & 0o7777;
}

/** The TokenStoreError `fn` throws; its message never shows a secret. */
function storeError(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(TokenStoreError);
    expect((error as Error).message).not.toContain(SECRET);
    return (error as Error).message;
  }
  throw new Error('expected a TokenStoreError');
}

const runsAsRoot = process.getuid?.() === 0;

describe('directories that hold secrets', () => {
  it.each([
    { name: 'the oauth directory is a symlink to an outside 0755 directory', link: 'state/oauth', outsideMode: 0o755 },
    { name: 'the oauth directory is a symlink to an outside 0700 directory of this user', link: 'state/oauth', outsideMode: 0o700 },
    { name: 'the state directory is a symlink to an outside 0777 directory', link: 'state', outsideMode: 0o777 },
    { name: 'the state directory is a symlink to an outside 0700 directory of this user', link: 'state', outsideMode: 0o700 },
  ])('$name: the token store neither writes, reads nor chmods there', ({ link, outsideMode }) => {
    const base = tempRoot();
    const outside = dirOf(join(base, 'outside'), outsideMode);
    dirOf(join(base, 'state'), 0o700);
    if (link === 'state') rmSync(join(base, 'state'), { recursive: true });
    symlinkSync(outside, join(base, link));
    // A record planted where the link leads (0600, this user's: only the link is wrong).
    const plantedDir = link === 'state' ? dirOf(join(outside, 'oauth'), 0o700) : outside;
    writeFileSync(join(plantedDir, 's-1.json'), JSON.stringify(planted), { mode: 0o600 });
    const before = readdirSync(plantedDir).sort();
    const store = fileTokenStore(join(base, 'state', 'oauth'));
    expect(storeError(() => store.save('s-1', record))).toMatch(new RegExp(`${join(base, link)} is a symbolic link`));
    expect(storeError(() => store.load('s-1'))).toMatch(new RegExp(`${join(base, link)} is a symbolic link`));
    expect(modeOf(outside)).toBe(outsideMode);
    expect(readdirSync(plantedDir).sort()).toEqual(before);
  });

  it('a state directory writable by others (0777, not through a link) gets no admin token and no token store', () => {
    const state = dirOf(join(tempRoot(), 'state'), 0o777);
    const path = join(state, 'admin-1.token');
    expect(() => writeTokenFile(path, 'admin-secret-1')).toThrow(`cannot write the admin token file ${path}: ${state} is writable by group or others (mode 0777)`);
    expect(storeError(() => fileTokenStore(join(state, 'oauth')).save('s-1', record))).toContain(`${state} is writable by group or others (mode 0777)`);
    expect(readdirSync(state)).toEqual([]);
    expect(modeOf(state)).toBe(0o777);
  });

  it('a state directory that is a symlink gets no admin token; reading the token there is refused', () => {
    const base = tempRoot();
    const outside = dirOf(join(base, 'outside'), 0o700);
    symlinkSync(outside, join(base, 'state'));
    const path = join(base, 'state', 'admin-1.token');
    expect(() => writeTokenFile(path, 'admin-secret-1')).toThrow(`${join(base, 'state')} is a symbolic link`);
    expect(readdirSync(outside)).toEqual([]);
    writeFileSync(join(outside, 'admin-1.token'), 'PLANTED\n', { mode: 0o600 });
    expect(() => readTokenFile(path)).toThrow(/is a symbolic link/);
  });

  it.skipIf(!runsAsRoot)('a directory owned by another user is refused', () => {
    const state = dirOf(join(tempRoot(), 'state'), 0o755);
    chownSync(state, 65534, 65534);
    expect(() => writeTokenFile(join(state, 'admin-1.token'), 'admin-secret-1')).toThrow(`${state} is owned by another user (uid 65534)`);
    expect(readdirSync(state)).toEqual([]);
  });
});

describe('secret files that others could read, write or have planted', () => {
  it.each(['0644', '0640', '0604', '0660', '0666', '0606'])('a token record of mode %s is refused with the fix, and left as it is', (octal) => {
    const mode = parseInt(octal, 8);
    const oauth = dirOf(join(tempRoot(), 'oauth'), 0o700);
    const path = join(oauth, 's-1.json');
    writeFileSync(path, JSON.stringify(record));
    chmodSync(path, mode);
    expect(storeError(() => fileTokenStore(oauth).load('s-1'))).toMatch(new RegExp(`^cannot read the token file ${path}: ${path} is (readable|writable) by group or others \\(mode 0${mode.toString(8)}\\).*chmod 600 ${path}`));
    expect(modeOf(path)).toBe(mode);
  });

  it('a symlink at the token path is refused, even to a 0600 record of this user', () => {
    const base = tempRoot();
    const oauth = dirOf(join(base, 'oauth'), 0o700);
    writeFileSync(join(base, 'victim.json'), JSON.stringify(planted), { mode: 0o600 });
    symlinkSync(join(base, 'victim.json'), join(oauth, 's-1.json'));
    expect(storeError(() => fileTokenStore(oauth).load('s-1'))).toContain(`${join(oauth, 's-1.json')} is a symbolic link`);
  });

  it('a token record with another hard link is refused', () => {
    const base = tempRoot();
    const oauth = dirOf(join(base, 'oauth'), 0o700);
    writeFileSync(join(base, 'other.json'), JSON.stringify(planted), { mode: 0o600 });
    linkSync(join(base, 'other.json'), join(oauth, 's-1.json'));
    expect(storeError(() => fileTokenStore(oauth).load('s-1'))).toContain('other hard link');
  });

  it.skipIf(!runsAsRoot)('a token record owned by another user is refused', () => {
    const oauth = dirOf(join(tempRoot(), 'oauth'), 0o700);
    const path = join(oauth, 's-1.json');
    writeFileSync(path, JSON.stringify(planted), { mode: 0o600 });
    chownSync(path, 65534, 65534);
    expect(storeError(() => fileTokenStore(oauth).load('s-1'))).toContain(`${path} is owned by another user (uid 65534)`);
  });

  it.each(['0666', '0644', '0620'])('readTokenFile refuses an admin token file of mode %s, naming the path and the fix', (octal) => {
    const mode = parseInt(octal, 8);
    const state = dirOf(join(tempRoot(), 'state'), 0o700);
    const path = join(state, 'admin-2.token');
    writeFileSync(path, 'PLANTED\n');
    chmodSync(path, mode);
    expect(() => readTokenFile(path)).toThrow(new RegExp(`${path} is (readable|writable) by group or others .*chmod 600 ${path}`));
  });

  it('readTokenFile refuses a symlink at the token path; reads a 0600 file; a missing one is no token', () => {
    const base = tempRoot();
    const state = dirOf(join(base, 'state'), 0o700);
    writeFileSync(join(base, 'elsewhere.token'), 'PLANTED\n', { mode: 0o600 });
    symlinkSync(join(base, 'elsewhere.token'), join(state, 'admin-3.token'));
    expect(() => readTokenFile(join(state, 'admin-3.token'))).toThrow(/admin-3\.token is a symbolic link/);
    writeTokenFile(join(state, 'admin-4.token'), 'admin-secret-4');
    expect(readTokenFile(join(state, 'admin-4.token'))).toBe('admin-secret-4');
    expect(readTokenFile(join(state, 'admin-5.token'))).toBeUndefined();
  });

});
