import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';
import { createSwitchboard, type Switchboard } from '../../src/index.js';
import { fixturePid } from './processes.js';
import { FAST, STDIO_FIXTURE, until } from './switchboard.js';
import { V2_SERVER_ENTRY } from './v2Servers.js';

/**
 * The era negotiation tests' harness (test/protocol/negotiation*.test.ts): every process's traffic
 * is read from a log its fixture (test/fixtures/discoverServer.mjs) or a tap in front of a real
 * SDK server (test/fixtures/discoverTap.mjs) appends to, so a test counts processes and sees the
 * methods each one got. `useNegotiation()` in a test file stops every switchboard and removes
 * every log after each test.
 */

const TAP = fileURLToPath(new URL('../fixtures/discoverTap.mjs', import.meta.url));
const DISCOVER = fileURLToPath(new URL('../fixtures/discoverServer.mjs', import.meta.url));

const dirs: string[] = [];
const boards: Switchboard[] = [];

/** Registers the cleanup of the switchboards and logs this harness made (call once per file). */
export function useNegotiation(): void {
  afterEach(async () => {
    await Promise.all(boards.splice(0).map((sb) => sb.stop()));
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
}

/** A fresh log file path. */
export function logFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'negotiation-'));
  dirs.push(dir);
  return join(dir, 'traffic.log');
}

/** Each process's messages in order, by pid, in the order the processes started. */
export function traffic(log: string): { pid: number; methods: string[] }[] {
  if (!existsSync(log)) return [];
  const processes = new Map<number, string[]>();
  for (const line of readFileSync(log, 'utf8').split('\n')) {
    const [pid, what] = line.split(' ');
    if (!pid || !what) continue;
    if (what === 'spawn') processes.set(Number(pid), []);
    else processes.get(Number(pid))?.push(what);
  }
  return [...processes].map(([pid, methods]) => ({ pid, methods }));
}

/** A real SDK stdio server behind the tap. */
const tapped = (log: string, script: string, ...args: string[]) => ({ transport: 'stdio' as const, command: process.execPath, args: [TAP, log, script, ...args] });
/** The v2 fixture in modern-only mode (it answers a legacy initialize with −32022), tapped. */
export const modernOnly = (log: string) => tapped(log, V2_SERVER_ENTRY, 'modern', '--modern-only');
/** The v1 SDK fixture (legacy only: -32601 to server/discover), tapped. */
export const legacyV1 = (log: string) => tapped(log, STDIO_FIXTURE, 'legacy');
/** The raw fixture that misbehaves on server/discover as `modes` say. */
export const raw = (log: string, ...modes: string[]) => ({ transport: 'stdio' as const, command: process.execPath, args: [DISCOVER, log, ...modes] });

/** A switchboard over `servers` with FAST defaults (and `defaults` over them), stopped after the test. */
export function board(servers: Record<string, unknown>, defaults: Record<string, unknown> = {}): Switchboard {
  const sb = createSwitchboard({ servers: servers as never, defaults: { ...FAST, ...defaults } as never });
  boards.push(sb);
  return sb;
}

/** The warnings the switchboard logs from now on (`server.log` events). */
export function warnings(sb: Switchboard): string[] {
  const seen: string[] = [];
  sb.on('server.log', (e) => {
    if (e.level === 'warning' || e.level === 'warn') seen.push(e.message);
  });
  return seen;
}

/** Resolves once `name` is connected on a process other than `than` (the pid its fixture announced). */
export async function reconnected(sb: Switchboard, name: string, than: number): Promise<number> {
  await until(() => {
    const server = sb.getServer(name)!;
    return server.state === 'connected' && fixturePid(server.stderrTail) !== than;
  }, 15_000, `${name} to reconnect`);
  return fixturePid(sb.getServer(name)!.stderrTail);
}
