import { readdirSync, readFileSync } from 'node:fs';

/** True while `pid` runs; a zombie (killed, not yet reaped by PID 1 here) counts as gone. */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Polls until `pid` is gone or `timeoutMs` passed; returns whether it is gone. */
export async function waitGone(pid: number, timeoutMs = 10_000): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (!isAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return !isAlive(pid);
}

/** The pid a fixture server announced on stderr ("fixture <name> pid <pid> up"). */
export function fixturePid(stderrTail: string): number {
  const all = [...stderrTail.matchAll(/pid (\d+) up/g)];
  const last = all.at(-1);
  if (!last) throw new Error(`no pid in stderr: ${stderrTail}`);
  return Number(last[1]);
}

/** Active handles that a finished test should not leave, by type. */
export function activeResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

/** Live pids whose command line has `marker` as one of its arguments (read from /proc). */
export function markedProcesses(marker: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const args = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      if (args.includes(marker) && isAlive(Number(name))) pids.push(Number(name));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

/** Polls until `count` processes carry `marker` (a process tree has started); returns their pids. */
export async function waitMarked(marker: string, count: number, timeoutMs = 10_000): Promise<number[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const pids = markedProcesses(marker);
    if (pids.length >= count) return pids;
    if (Date.now() > until) throw new Error(`only ${pids.length} of ${count} processes marked ${marker} started`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Polls until no process carries `marker`; returns the ones still alive after `timeoutMs`. */
export async function waitUnmarked(marker: string, timeoutMs = 10_000): Promise<number[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const pids = markedProcesses(marker);
    if (pids.length === 0 || Date.now() > until) return pids;
    await new Promise((r) => setTimeout(r, 20));
  }
}
