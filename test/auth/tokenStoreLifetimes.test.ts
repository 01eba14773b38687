import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fileTokenStore, memoryTokenStore, type StoredAuth, type TokenStore } from '../../src/auth/index.js';
import { MAX_TOKEN_LIFETIME_S } from '../../src/auth/tokenLifetime.js';
import { codeFromRedirect, harness, httpServer, textOf, type Harness } from './harness.js';
import { startAuthServer, startResourceServer } from './servers.js';

/**
 * Token lifetimes (issue 18): `expires_in: 1e308` made `expiresAt` Infinity, written as `null`,
 * and the record failed as "not a token record" after a restart. Lifetimes are clamped to a year
 * when a store writes, and a store reads back whatever it wrote.
 */

const YEAR_MS = MAX_TOKEN_LIFETIME_S * 1000;
const base: StoredAuth = {
  version: 1,
  server: 's',
  resource: 'https://mcp.example.test/mcp',
  tokens: { access_token: 'secret-access-token-7', token_type: 'Bearer', refresh_token: 'secret-refresh-token-7' },
};

let dir: string | undefined;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function tempDir(): string {
  dir = mkdtempSync(join(tmpdir(), 'sb-token-lifetimes-'));
  return join(dir, 'oauth');
}

/** Lifetimes a server or a computation can produce, odd ones included. */
const ODD = [0, 1, 3_600, -5, 1e308, Number.MAX_VALUE, Infinity, -Infinity, NaN, undefined];

function recordWith(expiresIn: number | undefined, expiresAt: number | undefined): StoredAuth {
  const tokens = { ...base.tokens!, ...(expiresIn === undefined ? {} : { expires_in: expiresIn }) };
  return { ...base, tokens, ...(expiresAt === undefined ? {} : { expiresAt }) };
}

function checkRoundTrip(store: TokenStore): void {
  const now = Date.now();
  let key = 0;
  for (const expiresIn of ODD) {
    for (const expiresAt of [...ODD, now, now + 3_600_000, now + (expiresIn ?? 0) * 1000]) {
      const name = `s-${key++}`;
      const saved = recordWith(expiresIn, expiresAt);
      store.save(name, saved);
      const loaded = store.load(name) as StoredAuth;
      const odd = { expiresIn, expiresAt, loaded: { expires_in: loaded.tokens?.expires_in, expiresAt: loaded.expiresAt } };
      expect(loaded.tokens?.access_token, JSON.stringify(odd)).toBe(base.tokens!.access_token);
      const lifetime = loaded.tokens?.expires_in;
      if (lifetime !== undefined) expect(lifetime >= 0 && lifetime <= MAX_TOKEN_LIFETIME_S, JSON.stringify(odd)).toBe(true);
      if (loaded.expiresAt !== undefined) expect(loaded.expiresAt >= 0 && loaded.expiresAt <= Date.now() + YEAR_MS, JSON.stringify(odd)).toBe(true);
      // Ordinary lifetimes pass unchanged; a missing one stays missing.
      if (expiresIn === undefined || expiresIn === 3_600) expect(lifetime).toBe(expiresIn);
      if (expiresAt === undefined || expiresAt === now + 3_600_000) expect(loaded.expiresAt).toBe(expiresAt);
      // What was read back is read back the same again.
      store.save(name, loaded);
      expect(store.load(name)).toEqual(loaded);
    }
  }
}

describe('token lifetimes in a store', () => {
  it('reads back every record a file store wrote, with lifetimes clamped to a year', () => {
    checkRoundTrip(fileTokenStore(tempDir()));
    const text = readdirSync(join(dir!, 'oauth')).map((name) => readFileSync(join(dir!, 'oauth', name), 'utf8')).join('\n');
    expect(text).not.toContain('null');
  });

  it('clamps the same way in memory', () => {
    checkRoundTrip(memoryTokenStore());
  });

  it('reads a file an earlier version wrote with a null expiry or an infinite lifetime', () => {
    const oauth = tempDir();
    mkdirSync(oauth, { recursive: true, mode: 0o700 });
    const text = JSON.stringify({ ...base, expiresAt: null, tokens: { ...base.tokens, expires_in: 0 } }).replace('"expires_in":0', '"expires_in":1e999');
    writeFileSync(join(oauth, 's-old.json'), text, { mode: 0o600 });
    const loaded = fileTokenStore(oauth).load('s-old') as StoredAuth;
    expect(loaded.tokens).toMatchObject({ access_token: base.tokens!.access_token, expires_in: MAX_TOKEN_LIFETIME_S });
    expect(loaded.expiresAt).toBeUndefined();
  });

  it('keeps a token issued with expires_in 1e308 usable after a restart', async () => {
    const as = await startAuthServer({ expiresIn: 1e308 });
    const rs = await startResourceServer(as, { authServer: () => as.url });
    let h: Harness | undefined;
    cleanups.push(async () => h?.close(), () => rs.close(), () => as.close());
    const oauth = tempDir();
    h = harness({ tokenStore: fileTokenStore(oauth), authorize: codeFromRedirect });
    await h.connect(httpServer(rs.url, { type: 'oauth' }));
    await h.close();
    const [file] = readdirSync(oauth);
    const stored = JSON.parse(readFileSync(join(oauth, file!), 'utf8')) as StoredAuth;
    expect(stored.tokens?.expires_in).toBe(MAX_TOKEN_LIFETIME_S);
    expect(typeof stored.expiresAt).toBe('number');

    // A new process: a new store on the same directory, and nobody to authorize.
    h = harness({ tokenStore: fileTokenStore(oauth) });
    const session = await h.connect(httpServer(rs.url, { type: 'oauth' }));
    expect(textOf(await session.client.callTool({ name: 'whoami', arguments: {} }))).toBe('guarded');
    // The stored token, not a new one.
    expect(as.tokenRequests).toHaveLength(1);
    expect(rs.presented.at(-1)).toBe(stored.tokens!.access_token);
  });
});
