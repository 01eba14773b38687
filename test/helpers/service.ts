import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The raw fixture server of the service tests (gate, die, echo_args, flood, mark; see the file). */
export const SERVICE_FIXTURE = fileURLToPath(new URL('../server/fixtureServer.mjs', import.meta.url));

/** The SDK fixture server with resources, templates, prompts and completion (see the file). */
export const SURFACE_FIXTURE = fileURLToPath(new URL('../server/surfaceServer.mjs', import.meta.url));

/** The built CLI entry point. */
export const CLI = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));

/** Writes a YAML config into a fresh temp directory; returns its path. */
export function writeConfig(yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'sb-svc-'));
  const path = join(dir, 'switchboard.yaml');
  writeFileSync(path, yaml);
  return path;
}

export interface RunningService {
  child: ChildProcess;
  url: string;
  stdout: () => string;
  stderr: () => string;
  /** SIGTERM (unless it already exited), then waits for the exit code. */
  stop(): Promise<number | null>;
  /** The exit code, once the process ends. */
  exited: Promise<number | null>;
}

/**
 * Starts `switchboard serve` as a real child process. `wait`: `listening` resolves once the port
 * is bound (servers may still be connecting), `serving` once the URL banner is printed, `ready`
 * (default) once the switchboard logged that every server settled.
 */
export async function startService(args: string[], env: NodeJS.ProcessEnv = {}, options: { wait?: 'listening' | 'serving' | 'ready' } = {}): Promise<RunningService> {
  const wait = options.wait ?? 'ready';
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${out}\n${err}`)), 20_000);
    const check = () => {
      const listening = /"msg":"admin API listening","url":"(http:\/\/[^"]+)"/.exec(err);
      const serving = /serving (http:\/\/\S+)/.exec(out);
      const found = wait === 'listening' ? listening?.[1] : wait === 'serving' || /"msg":"switchboard ready"/.test(err) ? serving?.[1] : undefined;
      if (found) {
        clearTimeout(timer);
        resolve(found);
      }
    };
    child.stdout!.on('data', check);
    child.stderr!.on('data', check);
    child.once('exit', () => {
      clearTimeout(timer);
      reject(new Error(`serve exited: ${out}\n${err}`));
    });
  });
  return {
    child,
    url,
    stdout: () => out,
    stderr: () => err,
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Runs the CLI to completion; a run that outlives `timeoutMs` is killed (its code is then null). */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 20_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A reader of `GET /mcp/events`: everything received so far as text, and `close()`. */
export interface EventReader {
  text(): string;
  close(): Promise<void>;
}

/** Opens `/mcp/events` of a running service; resolves once the stream said `ready`. */
export async function readEvents(url: string, token: string): Promise<EventReader> {
  const controller = new AbortController();
  const response = await fetch(`${url}/mcp/events`, { headers: { authorization: `Bearer ${token}` }, signal: controller.signal });
  if (response.status !== 200) throw new Error(`/mcp/events answered ${response.status}`);
  const reader = response.body!.getReader();
  let seen = '';
  let ready: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => (ready = resolve));
  const reading = (async () => {
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) return;
      seen += Buffer.from(value!).toString();
      if (seen.includes('event: ready')) ready();
    }
  })();
  await Promise.race([opened, reading.then(() => Promise.reject(new Error('/mcp/events ended before ready')))]);
  return {
    text: () => seen,
    close: async () => {
      controller.abort();
      await reading;
    },
  };
}

/** The data of every event of `type` in an event-stream text, parsed. */
export function eventsOf<T = Record<string, unknown>>(text: string, type: string): T[] {
  const pattern = new RegExp(`^event: ${type.replace(/\./g, '\\.')}\\ndata: (.*)$`, 'gm');
  return [...text.matchAll(pattern)].map((m) => JSON.parse(m[1]!) as T);
}

/** Lists an MCP client's tools until `name` is among them (bounded); resolves with the names last listed. */
export async function toolsOnceListed(client: { listTools(): Promise<{ tools: { name: string }[] }> }, name: string, timeoutMs = 10_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const names = (await client.listTools()).tools.map((t) => t.name);
    if (names.includes(name) || Date.now() > deadline) return names;
    await new Promise((r) => setTimeout(r, 25));
  }
}
