import { accessSync, constants, readdirSync, readFileSync, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { onExit } from 'signal-exit';

/**
 * stdio servers run in a process group of their own so that stopping one also stops whatever it
 * started (an `npx` wrapper, a grandchild): the SDK transport spawns `setsid <command> <args…>`,
 * which execs in place, so the server's pid is its process group id (DESIGN §4).
 */

/** A spawn that cannot work however often it is retried (missing or non-executable command). */
export class CommandError extends Error {
  constructor(
    readonly code: 'ENOENT' | 'EACCES',
    message: string,
  ) {
    super(message);
    this.name = 'CommandError';
  }
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * Finds `command` the way a shell would (on PATH unless it holds a slash), so "not found" is known
 * before spawning: through `setsid`, a missing command would only look like a closed connection.
 */
export function resolveCommand(command: string, cwd: string | undefined, pathVariable: string | undefined): string {
  if (command.includes('/')) {
    const full = isAbsolute(command) ? command : resolve(cwd ?? process.cwd(), command);
    try {
      statSync(full);
    } catch {
      throw new CommandError('ENOENT', `command not found: ${command}`);
    }
    if (!isExecutableFile(full)) throw new CommandError('EACCES', `command is not executable: ${command}`);
    return full;
  }
  for (const dir of (pathVariable ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, command);
    if (isExecutableFile(candidate)) return candidate;
  }
  throw new CommandError('ENOENT', `command not found on PATH: ${command}`);
}

let setsidPath: string | null | undefined;

/** The `setsid` binary, or null where there is none (then only the direct child is stopped). */
export function findSetsid(): string | null {
  if (setsidPath === undefined) {
    try {
      setsidPath = resolveCommand('setsid', undefined, process.env.PATH ?? '/usr/bin:/bin');
    } catch {
      setsidPath = null;
    }
  }
  return setsidPath;
}

/** Live (non-zombie) members of process group `pgid`, read from /proc; null where /proc is absent. */
export function liveGroupMembers(pgid: number): number[] | null {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return null;
  }
  const members: number[] = [];
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // Fields after the parenthesised command: state ppid pgrp …
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X') members.push(Number(name));
    } catch {
      // The process ended while we looked.
    }
  }
  return members;
}

function isGroupAlive(pgid: number, grouped: boolean): boolean {
  if (grouped) {
    const members = liveGroupMembers(pgid);
    if (members !== null) return members.length > 0;
  }
  try {
    process.kill(grouped ? -pgid : pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Signals the group, or only the process where there is no group of its own (no `setsid`). Never
 * the pid alone once the group is gone: by then the pid may belong to someone else.
 */
function signalGroup(pgid: number, signal: NodeJS.Signals, grouped = true): void {
  try {
    process.kill(grouped ? -pgid : pgid, signal);
  } catch {
    // Already gone.
  }
}

// Not unref'd: stop() awaits these polls, and an unref'd timer would let the host's event loop
// end in the middle of a shutdown (seen: a CLI run exiting 0 before printing its result).
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Ends a whole process group (`grouped`, the default) or, without `setsid`, the one process:
 * SIGTERM, then SIGKILL once `graceMs` passed. Resolves when no live member is left (zombies
 * waiting for a reaper do not count), or after the kill had 2 s more.
 */
export async function terminateGroup(pgid: number, graceMs: number, grouped = true): Promise<void> {
  signalGroup(pgid, 'SIGTERM', grouped);
  const termUntil = Date.now() + graceMs;
  while (isGroupAlive(pgid, grouped)) {
    if (Date.now() >= termUntil) {
      signalGroup(pgid, 'SIGKILL', grouped);
      const killUntil = Date.now() + 2_000;
      while (isGroupAlive(pgid, grouped) && Date.now() < killUntil) await sleep(20);
      return;
    }
    await sleep(20);
  }
}

/** Live groups by pgid: true for a group of its own, false for a lone process (no `setsid`). */
const liveGroups = new Map<number, boolean>();
let exitHookInstalled = false;

/**
 * Remembers a group so that it is killed if the host process exits or is signalled. signal-exit
 * re-raises the signal afterwards, so the host's own signal handling is never swallowed.
 */
export function trackGroup(pgid: number, grouped = true): () => void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    onExit(() => {
      for (const [group, isGroup] of liveGroups) signalGroup(group, 'SIGKILL', isGroup);
    });
  }
  liveGroups.set(pgid, grouped);
  return () => {
    liveGroups.delete(pgid);
  };
}
