import type { ClusterBus } from '../../src/cluster/bus.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, connect } from 'node:net';

/**
 * A real `redis-server` (Debian's, /usr/bin/redis-server) for the cluster tests (DESIGN §16), on
 * a free loopback port — never the standard 6379 — with nothing persisted. `restart()` starts it
 * again on the same port (outage tests); `stopAllRedis()` in an `afterEach`/`afterAll` stops
 * every one a test file started.
 */
export interface TestRedis {
  /** `redis://[:password@]127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  readonly password: string | undefined;
  /** The server's pid now (changes on restart); undefined while stopped. */
  readonly pid: number | undefined;
  /** SIGTERM, and waits until the process exited. Idempotent. */
  stop(): Promise<void>;
  /** SIGKILL (a crash), and waits until the process exited. Idempotent. */
  kill(): Promise<void>;
  /** Starts it again on the same port (stopping it first if it runs); resolves once it answers PING. */
  restart(): Promise<void>;
  /** SIGSTOP / SIGCONT: the server stalls (connections stay open, nothing answers). */
  pause(): void;
  resume(): void;
}

export const REDIS_SERVER = '/usr/bin/redis-server';
const live = new Set<Instance>();

/** A free loopback port: listen on port 0, read it, close. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (port === 6379 || port === 0) return freePort();
  return port;
}

/** True when something on `port` answers a PING (`+PONG`, or `-NOAUTH` behind a password). */
function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(/^(\+PONG|-NOAUTH)/.test(data.toString('utf8'))));
  });
}

class Instance implements TestRedis {
  readonly url: string;
  private child: ChildProcess | undefined;
  private output = '';

  constructor(
    readonly port: number,
    readonly password: string | undefined,
  ) {
    this.url = `redis://${password ? `:${encodeURIComponent(password)}@` : ''}127.0.0.1:${port}`;
  }

  get pid(): number | undefined {
    return this.child?.exitCode === null && this.child.signalCode === null ? this.child.pid : undefined;
  }

  /** Spawns the server and waits until it answers; rejects (with its output) when it exits first. */
  async start(timeoutMs = 10_000): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'];
    if (this.password) args.push('--requirepass', this.password);
    const child = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.output = '';
    const keep = (chunk: Buffer): void => {
      this.output = (this.output + chunk.toString('utf8')).slice(-4000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const exited = once(child, 'exit').then(() => 'exited' as const);
    const until = Date.now() + timeoutMs;
    for (;;) {
      const result = await Promise.race([answersPing(this.port), exited]);
      if (result === 'exited') throw new Error(`redis-server on port ${this.port} exited at start: ${this.output.slice(-1000)}`);
      if (result) return;
      if (Date.now() > until) {
        await this.signal('SIGKILL');
        throw new Error(`redis-server on port ${this.port} did not answer PING within ${timeoutMs} ms`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  private async signal(name: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    if (name === 'SIGTERM') child.kill('SIGCONT');
    child.kill(name);
    await exited;
  }

  stop(): Promise<void> {
    return this.signal('SIGTERM');
  }

  kill(): Promise<void> {
    return this.signal('SIGKILL');
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }
}

/** Starts a redis-server on a free loopback port (with `requirepass` when `password` is given). */
export async function startRedis(options: { password?: string } = {}): Promise<TestRedis> {
  for (let attempt = 1; ; attempt++) {
    const instance = new Instance(await freePort(), options.password);
    live.add(instance);
    try {
      await instance.start();
      return instance;
    } catch (error) {
      live.delete(instance);
      // Another process may have taken the port between our probe and the server's bind.
      if (attempt >= 3) throw error;
    }
  }
}

/** Stops every redis-server started in this test file (for `afterEach`/`afterAll`). */
export async function stopAllRedis(): Promise<void> {
  const all = [...live];
  live.clear();
  await Promise.all(all.map((instance) => instance.kill()));
}

/** Resolves once `bus` answers (a Redis bus connects in the background); rejects after `ms`. */
export function busUp(bus: ClusterBus, ms = 5000): Promise<void> {
  if (bus.up) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`the cluster bus did not come up within ${ms} ms`));
    }, ms);
    const off = bus.onStatus((up) => {
      if (!up) return;
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}
