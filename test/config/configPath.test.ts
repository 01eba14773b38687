import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { loadConfigFile, loadConfigFileSync } from '../../src/config/index.js';
import { ConfigError } from '../../src/core/errors.js';
import { runCli } from '../helpers/service.js';
import { guardedFifo, type GuardedFifo } from './fifo.js';
import { issuesOf } from './issues.js';

/**
 * A config path that is not a regular file (issue 18): a directory, a device, a FIFO. Each is a
 * ConfigError naming the path and what it is, at once: never a read without end (`/dev/zero`),
 * never a wait for a FIFO's writer, never an EISDIR from halfway through.
 */

const dir = mkdtempSync(join(tmpdir(), 'sb-config-path-'));
const fifos: GuardedFifo[] = [];
afterEach(async () => {
  for (const fifo of fifos.splice(0)) await fifo.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const VALID = 'servers:\n  files: { transport: stdio, command: node }\n';

/** A FIFO whose writer (see guardedFifo) hands a valid config to whoever reads it. */
function fifoAt(name: string): string {
  const fifo = guardedFifo(join(dir, name), VALID);
  fifos.push(fifo);
  return fifo.path;
}

async function rejection(promise: Promise<unknown>, ms = 5_000): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`still waiting after ${ms} ms`)), ms)));
  try {
    return await Promise.race([promise.then(() => new Error('resolved'), (error: unknown) => error), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe('a config path that is not a regular file', () => {
  it('refuses a directory with a ConfigError naming the path, read either way', async () => {
    const path = join(dir, 'a-directory.yaml');
    mkdirSync(path);
    const message = new RegExp(`${path}.* is a directory, not a regular file`);
    expect(issuesOf(() => loadConfigFileSync(path))).toEqual([{ path: '', message: expect.stringMatching(message) }]);
    const error = await loadConfigFile(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues).toEqual([{ path: '', message: expect.stringMatching(message) }]);
    expect((error as ConfigError).message).toContain(`invalid config in ${path}`);
  });

  it('refuses a device, also behind a symlink, and still follows a symlink to a regular file', async () => {
    const device = join(dir, 'null.yaml');
    symlinkSync('/dev/null', device);
    expect(issuesOf(() => loadConfigFileSync(device))[0]!.message).toMatch(/is a character device, not a regular file/);
    expect(((await loadConfigFile(device).catch((e: unknown) => e)) as ConfigError).issues[0]!.message).toMatch(/is a character device/);
    const real = join(dir, 'real.yaml');
    writeFileSync(real, VALID);
    const link = join(dir, 'link.yaml');
    symlinkSync(real, link);
    expect(loadConfigFileSync(link).servers.files!.transport).toBe('stdio');
    expect((await loadConfigFile(link)).servers.files!.transport).toBe('stdio');
  });

  it('refuses a FIFO at once, without waiting for a writer', async () => {
    const fifo = fifoAt('pipe.yaml');
    const error = await rejection(loadConfigFile(fifo));
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues[0]!.message).toMatch(new RegExp(`${fifo} is a named pipe \\(FIFO\\), not a regular file`));
  });
});

describe('switchboard validate and serve with a config path that is not a regular file', () => {
  it('exits 2 naming the path and the reason for a FIFO, /dev/zero and a directory', async () => {
    const fifo = fifoAt('validate-pipe.yaml');
    const zero = join(dir, 'zero.yaml');
    symlinkSync('/dev/zero', zero);
    const directory = join(dir, 'validate-dir.yaml');
    mkdirSync(directory);
    const cases: [string, RegExp][] = [
      [fifo, /is a named pipe \(FIFO\), not a regular file/],
      [zero, /is a character device, not a regular file/],
      [directory, /is a directory, not a regular file/],
    ];
    for (const [path, reason] of cases) {
      const { code, stderr } = await runCli(['validate', '--config', path]);
      expect({ path, code, stderr }).toEqual({ path, code: 2, stderr: expect.stringMatching(reason) });
      expect(stderr).toContain(`invalid config in ${path}`);
    }
    // serve reads its config synchronously at start: the same refusal, never a hang.
    const serve = await runCli(['serve', '--port', '0', '--config', fifo]);
    expect({ code: serve.code, stderr: serve.stderr }).toEqual({ code: 2, stderr: expect.stringMatching(/is a named pipe \(FIFO\), not a regular file/) });
  });
});
