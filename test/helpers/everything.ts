import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { ClientCapabilities } from '@modelcontextprotocol/sdk/types.js';
import { isAlive, waitGone } from './processes.js';

/**
 * The official `@modelcontextprotocol/server-everything` (a dev dependency) as a real server for
 * integration tests. Its launcher takes the transport as the first argument (`stdio`, `sse`,
 * `streamableHttp`) and ignores the rest, so a marker argument lets a test find every process it
 * started in /proc. Its HTTP transports listen on `process.env.PORT` (default 3001) on every
 * interface and print the configured port, not the bound one.
 */

/** The launcher script of server-everything. */
export const EVERYTHING_ENTRY = createRequire(import.meta.url).resolve('@modelcontextprotocol/server-everything/dist/index.js');

/** The marker argument of every server-everything process this test run starts (no randomness: the pid is unique). */
export const EVERYTHING_MARKER = `everything-test-${process.pid}`;

/** The line the preload prints once the HTTP server is bound. */
const READY = /^everything-test listening on (\d+)$/m;

/**
 * Preloaded into the HTTP servers: binds their one listener to 127.0.0.1 (they would take every
 * interface) on the port given in PORT (0: one the kernel picks, so no probe-then-bind race) and
 * prints the bound port, which the server's own message does not.
 */
const PRELOAD = `data:text/javascript,${encodeURIComponent(`
import net from 'node:net';
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (port, ...rest) {
  const done = rest.find((a) => typeof a === 'function');
  this.once('listening', () => process.stderr.write('everything-test listening on ' + this.address().port + '\\n'));
  return listen.call(this, { host: '127.0.0.1', port: Number(port) }, done);
};`)}`;

/** The transports of server-everything, by this project's transport names. */
export type EverythingTransport = 'stdio' | 'sse' | 'http';

/** A server-everything child process serving SSE or streamable HTTP on 127.0.0.1. */
export interface EverythingServer {
  transport: 'sse' | 'http';
  /** The MCP endpoint: `/sse` for SSE, `/mcp` for streamable HTTP. */
  url: string;
  pid: number;
  /** Everything it printed so far (stdout and stderr), for failure messages. */
  output(): string;
  /** Kills its process group and waits until it is gone; safe to call twice. */
  stop(): Promise<void>;
}

/** Kills a detached child's whole group: SIGTERM, then SIGKILL if it is still there after 3 s. */
async function killGroup(child: ChildProcess): Promise<void> {
  const pid = child.pid!;
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-pid, name);
    } catch {
      // The group is already gone.
    }
  };
  if (!isAlive(pid)) return;
  signal('SIGTERM');
  if (!(await waitGone(pid, 3000))) signal('SIGKILL');
  await waitGone(pid, 3000);
}

/**
 * Starts server-everything over SSE or streamable HTTP as a detached child (its own process
 * group) and resolves once it is listening. Rejects with its output if it exits first or is not
 * ready within `timeoutMs` (default 20 s, generous for 2 busy cores).
 */
export async function startEverything(transport: 'sse' | 'http', timeoutMs = 20_000): Promise<EverythingServer> {
  const child = spawn(process.execPath, ['--import', PRELOAD, EVERYTHING_ENTRY, transport === 'http' ? 'streamableHttp' : 'sse', EVERYTHING_MARKER], {
    detached: true,
    env: { ...process.env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`server-everything ${transport} not ready after ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const ready = READY.exec(output);
      if (ready) {
        clearTimeout(timer);
        resolve(Number(ready[1]));
      }
    };
    const onExit = (code: number | null) => fail(new Error(`server-everything ${transport} exited (${code}) before it was ready:\n${output}`));
    function fail(error: Error) {
      clearTimeout(timer);
      child.off('exit', onExit);
      void killGroup(child).then(() => reject(error));
    }
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', onExit);
    child.once('error', (error) => fail(error));
  });
  // Keep draining its output (a full pipe would block it) without holding the test process open.
  child.stdout!.on('data', () => undefined);
  child.removeAllListeners('exit');
  let stopping: Promise<void> | null = null;
  return {
    transport,
    url: `http://127.0.0.1:${port}${transport === 'http' ? '/mcp' : '/sse'}`,
    pid: child.pid!,
    output: () => output,
    stop: () => (stopping ??= killGroup(child)),
  };
}

/** Switchboard config of a stdio server-everything (the switchboard spawns and stops it). */
export function everythingStdioConfig() {
  return { transport: 'stdio' as const, command: process.execPath, args: [EVERYTHING_ENTRY, 'stdio', EVERYTHING_MARKER] };
}

/** Switchboard config of one server-everything per transport: stdio (spawned by it), sse and http (running). */
export function everythingConfig(sse: EverythingServer, http: EverythingServer) {
  return {
    servers: {
      stdio: everythingStdioConfig(),
      sse: { transport: 'sse' as const, url: sse.url },
      http: { transport: 'http' as const, url: http.url },
    },
  };
}

/**
 * A plain SDK `Client` connected to server-everything over `transport`: stdio spawns its own
 * child (closed, and so killed, by `client.close()`), sse and http join the running server.
 * `setup` installs request handlers before connecting (the server asks for roots soon after).
 */
export async function connectPlainClient(
  transport: EverythingTransport,
  servers: { sse: EverythingServer; http: EverythingServer },
  capabilities: ClientCapabilities,
  setup: (client: Client) => void = () => undefined,
): Promise<Client> {
  const client = new Client({ name: 'plain-sdk-client', version: '1.0.0' }, { capabilities });
  setup(client);
  let wire: Transport;
  if (transport === 'stdio') wire = new StdioClientTransport({ command: process.execPath, args: [EVERYTHING_ENTRY, 'stdio', EVERYTHING_MARKER], stderr: 'ignore' });
  else if (transport === 'sse') wire = new SSEClientTransport(new URL(servers.sse.url));
  else wire = new StreamableHTTPClientTransport(new URL(servers.http.url));
  await client.connect(wire);
  return client;
}
