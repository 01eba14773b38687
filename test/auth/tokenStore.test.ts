import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AuthError, defaultTokenDir, fileTokenStore, memoryTokenStore, resolveTokenStore, storeKey, TokenStoreError, type StoredAuth } from '../../src/auth/index.js';
import { classifyConnectError } from '../../src/protocol/v1/classify.js';
import { codeFromRedirect, harness, httpServer, type Harness } from './harness.js';
import { startAuthServer, startResourceServer } from './servers.js';

const record: StoredAuth = {
  version: 1,
  server: 's',
  resource: 'https://mcp.example.test/mcp',
  tokens: { access_token: 'secret-access-token-1', token_type: 'Bearer', refresh_token: 'secret-refresh-token-1' },
};

let dir: string;
let h: Harness | undefined;
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  await h?.close();
  h = undefined;
  for (const cleanup of cleanups.splice(0)) await cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  dir = mkdtempSync(join(tmpdir(), 'switchboard-tokens-'));
  return join(dir, 'oauth');
}

describe('fileTokenStore', () => {
  it('writes one file per key, mode 0600, in a directory of mode 0700', () => {
    const store = fileTokenStore(tempDir());
    store.save(storeKey('s', record.resource), record);
    const files = readdirSync(join(dir, 'oauth'));
    expect(files).toEqual([`${storeKey('s', record.resource)}.json`]);
    expect(statSync(join(dir, 'oauth', files[0]!)).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'oauth')).mode & 0o777).toBe(0o700);
    expect(store.load(storeKey('s', record.resource))).toEqual(record);
  });

  it('keys one server per resource', () => {
    expect(storeKey('s', 'https://a.test/mcp')).not.toBe(storeKey('s', 'https://b.test/mcp'));
    expect(storeKey('s', 'https://a.test/mcp')).toMatch(/^s-[0-9a-f]{16}$/);
  });

  it('reads a missing record as undefined and deletes idempotently', () => {
    const store = fileTokenStore(tempDir());
    expect(store.load('s-0000')).toBeUndefined();
    store.save('s-0000', record);
    store.delete('s-0000');
    store.delete('s-0000');
    expect(store.load('s-0000')).toBeUndefined();
  });

  it('reports a corrupt file as a TokenStoreError naming the file, without its content', () => {
    const store = fileTokenStore(tempDir());
    store.save('s-0001', record);
    const path = join(dir, 'oauth', 's-0001.json');
    writeFileSync(path, '{"version":1,"tokens":{"access_token":"secret-access-token-1"');
    expect(() => store.load('s-0001')).toThrow(TokenStoreError);
    expect(() => store.load('s-0001')).toThrow(`the token file ${path} is not valid JSON`);
    writeFileSync(path, JSON.stringify({ version: 1, server: 's', tokens: { access_token: 'secret-access-token-1' } }));
    let error: Error | undefined;
    try {
      store.load('s-0001');
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).toContain(`the token file ${path} is not a token record (resource, tokens.token_type)`);
    expect(error?.message).not.toContain('secret-access-token-1');
  });

  it('refuses keys that could leave its directory', () => {
    const store = fileTokenStore(tempDir());
    expect(() => store.save('../escape', record)).toThrow(TokenStoreError);
    expect(() => store.load('.hidden')).toThrow(TokenStoreError);
  });

  it('lives under SWITCHBOARD_STATE_DIR when set, else ~/.mcp-switchboard', () => {
    expect(defaultTokenDir({ SWITCHBOARD_STATE_DIR: '/var/lib/sb' })).toBe('/var/lib/sb/oauth');
    expect(defaultTokenDir({})).toMatch(/\.mcp-switchboard\/oauth$/);
  });
});

describe('memoryTokenStore', () => {
  it('hands out copies, so a caller cannot change what is stored', () => {
    const store = memoryTokenStore();
    store.save('k', record);
    const loaded = store.load('k') as StoredAuth;
    loaded.tokens!.access_token = 'changed';
    expect((store.load('k') as StoredAuth).tokens?.access_token).toBe('secret-access-token-1');
    expect(resolveTokenStore('memory')).not.toBe(resolveTokenStore('memory'));
  });
});

describe('a corrupt token file during a connect', () => {
  it('fails the connect with a clear AuthRequired naming the file, and nothing crashes', async () => {
    const as = await startAuthServer();
    const rs = await startResourceServer(as, { authServer: () => as.url });
    cleanups.push(() => rs.close(), () => as.close());
    const store = fileTokenStore(tempDir());
    h = harness({ tokenStore: store, authorize: codeFromRedirect });
    await h.connect(httpServer(rs.url, { type: 'oauth' }));
    await h.close();
    const [file] = readdirSync(join(dir, 'oauth'));
    writeFileSync(join(dir, 'oauth', file!), 'not json at all');
    const error = await h.connect(httpServer(rs.url, { type: 'oauth' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    const info = classifyConnectError(error);
    expect(info).toMatchObject({ code: 'AuthRequired', retryable: false });
    expect(info.message).toContain(join(dir, 'oauth', file!));
    expect(info.message).toContain('not valid JSON');
  });
});
