import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { waitGone } from '../helpers/processes.js';

const HOST = fileURLToPath(new URL('../fixtures/host.mjs', import.meta.url));

describe('host process signals', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`takes the server's process group down on ${signal} and lets the host die of it`, async () => {
      const host = spawn(process.execPath, [HOST], { stdio: ['ignore', 'pipe', 'inherit'] });
      const line = await new Promise<string>((resolve, reject) => {
        let out = '';
        host.stdout.on('data', (d) => {
          out += d;
          if (out.includes('\n')) resolve(out.trim());
        });
        host.once('exit', () => reject(new Error('host exited early')));
      });
      const [server, grandchild] = line.split(' ').map(Number);
      const exit = new Promise<{ code: number | null; signal: string | null }>((resolve) => host.once('exit', (code, sig) => resolve({ code, signal: sig })));
      host.kill(signal);
      // signal-exit re-raises the signal: the host is not kept alive or turned into exit 0.
      expect(await exit).toEqual({ code: null, signal });
      expect(await waitGone(server!)).toBe(true);
      expect(await waitGone(grandchild!)).toBe(true);
    });
  }
});
