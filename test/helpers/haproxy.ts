import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A real load balancer for the multi-replica tests (DESIGN §16): Debian's `haproxy` on a free
 * loopback port, round-robin over the given backends (no stickiness: each request may land on
 * another replica), started in the foreground (`-db`) so the test owns the process and stops it.
 */

export const HAPROXY = '/usr/sbin/haproxy';

export interface Balancer {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  port: number;
  stop(): Promise<void>;
}

const running = new Set<Balancer>();

/** A port free on 127.0.0.1 right now (listen on 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Waits until something accepts connections on `port`, or throws after `timeoutMs`. */
async function accepting(port: number, child: ChildProcess, output: () => string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`haproxy exited (${child.exitCode}): ${output()}`);
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      () => true,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`haproxy did not accept connections on ${port}: ${output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts haproxy round-robin over `backends` (`http://127.0.0.1:<port>` each). */
export async function startBalancer(backends: string[]): Promise<Balancer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'sb-haproxy-'));
  const config = join(dir, 'haproxy.cfg');
  const servers = backends.map((url, i) => `  server r${i} ${new URL(url).host}`).join('\n');
  writeFileSync(
    config,
    `global
  maxconn 512
defaults
  mode http
  timeout connect 2s
  timeout client 60s
  timeout server 60s
  option http-server-close
frontend front
  bind 127.0.0.1:${port}
  default_backend replicas
backend replicas
  balance roundrobin
${servers}
`,
  );
  const child = spawn(HAPROXY, ['-db', '-f', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await accepting(port, child, () => output);
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    throw error;
  }
  const balancer: Balancer = {
    url: `http://127.0.0.1:${port}`,
    port,
    stop: async () => {
      running.delete(balancer);
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
  running.add(balancer);
  return balancer;
}

/** Stops every balancer still running (afterEach/afterAll). */
export async function stopAllBalancers(): Promise<void> {
  await Promise.all([...running].map((b) => b.stop()));
}
