import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { guardedFifo, type GuardedFifo } from '../config/fifo.js';
import { startService, writeConfig, type RunningService } from '../helpers/service.js';
import { until } from '../helpers/switchboard.js';

/**
 * A config path that stops being a regular file under a running `serve` (issue 18): a reload
 * answers 400 with the issue (never 500, never a read of `/dev/zero` without end, never a loop
 * blocked on a FIFO), `/healthz` keeps answering, and with `--watch` SIGTERM still stops it.
 */

const TOKEN = 'config-path-admin-token-0123456789';
const VALID = 'servers: {}\nadmin: { token: "${ADMIN_TOKEN}" }\n';
/** Long enough for any answer here; a reload blocked on a FIFO never comes. */
const BOUND_MS = 10_000;

const fifos: GuardedFifo[] = [];
afterEach(async () => {
  for (const fifo of fifos.splice(0)) await fifo.close();
});

/** Stops `service`; a process that ignores SIGTERM (the bug) is killed, and the exit code says so. */
async function stopBounded(service: RunningService | undefined): Promise<number | null | 'ignored SIGTERM'> {
  if (!service || service.child.exitCode !== null || service.child.signalCode !== null) return service?.child.exitCode ?? null;
  service.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const ignored = new Promise<'ignored SIGTERM'>((resolve) => (timer = setTimeout(() => resolve('ignored SIGTERM'), BOUND_MS)));
  const outcome = await Promise.race([service.exited, ignored]);
  clearTimeout(timer);
  if (outcome === 'ignored SIGTERM') {
    service.child.kill('SIGKILL');
    await service.exited;
  }
  return outcome;
}

function reload(service: RunningService): Promise<Response> {
  return fetch(`${service.url}/mcp/config/reload`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, signal: AbortSignal.timeout(BOUND_MS) });
}

async function healthz(service: RunningService): Promise<number> {
  return (await fetch(`${service.url}/healthz`, { signal: AbortSignal.timeout(BOUND_MS) })).status;
}

/** Puts `make(path)` at the config path in place of the file (rename over it for a FIFO, as editors do). */
function replaceConfig(config: string, make: (path: string) => void): void {
  rmSync(config, { recursive: true, force: true });
  make(config);
}

describe('POST /mcp/config/reload when the config path is not a regular file', () => {
  let service: RunningService | undefined;
  let config: string;

  beforeAll(async () => {
    config = writeConfig(VALID);
    service = await startService(['--config', config], { ADMIN_TOKEN: TOKEN });
  });

  afterAll(async () => {
    expect(await stopBounded(service)).toBe(0);
    rmSync(dirname(config), { recursive: true, force: true });
  });

  const cases: [string, (path: string) => void, RegExp][] = [
    ['a directory', (path) => mkdirSync(path), /is a directory, not a regular file/],
    ['a FIFO', (path) => void fifos.push(guardedFifo(path, VALID)), /is a named pipe \(FIFO\), not a regular file/],
    ['a symlink to /dev/zero', (path) => symlinkSync('/dev/zero', path), /is a character device, not a regular file/],
  ];

  it.each(cases)('answers 400 with the issue for %s, and /healthz keeps answering', async (_what, make, reason) => {
    replaceConfig(config, make);
    const response = await reload(service!);
    const body = (await response.json()) as { error: { code: string; issues?: { path: string; message: string }[] } };
    expect({ status: response.status, code: body.error.code }).toEqual({ status: 400, code: 'ConfigError' });
    expect(body.error.issues).toEqual([{ path: '', message: expect.stringMatching(reason) }]);
    expect(body.error.issues![0]!.message).toContain(config);
    expect(await healthz(service!)).toBe(200);
    // The file back: the next reload applies it.
    replaceConfig(config, (path) => writeFileSync(path, VALID));
    expect((await reload(service!)).status).toBe(200);
  });
});

describe('serve --watch when a FIFO is renamed over the config file', () => {
  let service: RunningService | undefined;
  let config: string;

  afterAll(() => rmSync(dirname(config), { recursive: true, force: true }));

  it('logs the rejection, keeps answering, and stops on SIGTERM', async () => {
    config = writeConfig(VALID);
    service = await startService(['--config', config, '--watch'], { ADMIN_TOKEN: TOKEN });
    try {
      const staged = join(dirname(config), 'staged.fifo');
      fifos.push(guardedFifo(staged, VALID));
      renameSync(staged, config);
      const rejected = /"msg":"config rejected; the running config is unchanged","trigger":"watch"[^\n]*is a named pipe \(FIFO\), not a regular file/;
      await until(() => rejected.test(service!.stderr()), BOUND_MS, 'the rejection of the FIFO');
      expect(await healthz(service)).toBe(200);
    } finally {
      expect(await stopBounded(service)).toBe(0);
    }
  });
});
