import { chmodSync, lstatSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tokenFilePath } from '../../src/server/auth.js';
import { startService, writeConfig, type RunningService } from '../helpers/service.js';
import { until } from '../helpers/switchboard.js';

/**
 * The admin token `serve` generates (issue 18) goes into a new 0600 file renamed into place: an
 * old 0644 file at the path does not keep its mode, a symlink there does not carry the token to
 * its target.
 */

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A port free a moment ago (the token file is named after the port, so it must be known first). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function serveWithPlanted(plant: (path: string) => void): Promise<{ service: RunningService; path: string; state: string }> {
  const state = mkdtempSync(join(tmpdir(), 'sb-token-state-'));
  const config = writeConfig('servers: {}\n');
  cleanups.push(() => rmSync(state, { recursive: true, force: true }), () => rmSync(dirname(config), { recursive: true, force: true }));
  const port = await freePort();
  const path = tokenFilePath(port, state);
  plant(path);
  const service = await startService(['--config', config, '--port', String(port)], { SWITCHBOARD_STATE_DIR: state, SWITCHBOARD_ADMIN_TOKEN: '' });
  cleanups.push(async () => void (await service.stop()));
  await until(() => service.stdout().includes('shown only now'), 10_000, 'the token banner');
  return { service, path, state };
}

describe('the admin token file serve writes', () => {
  it('replaces an existing 0644 file with a new 0600 one', async () => {
    const { service, path } = await serveWithPlanted((file) => {
      writeFileSync(file, 'old-token\n');
      chmodSync(file, 0o644);
    });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const token = readFileSync(path, 'utf8').trim();
    expect(token).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(service.stdout()).toContain(token);
  });

  it('never writes the token through a symlink at the token path', async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'sb-token-target-'));
    cleanups.push(() => rmSync(elsewhere, { recursive: true, force: true }));
    const target = join(elsewhere, 'readable-by-all.txt');
    writeFileSync(target, '');
    chmodSync(target, 0o644);
    const { path } = await serveWithPlanted((file) => symlinkSync(target, file));
    expect(readFileSync(target, 'utf8')).toBe('');
    expect(lstatSync(path).isFile()).toBe(true);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });
});
