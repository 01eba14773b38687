/**
 * Interleaved windows over live processes (DESIGN §9). Each target of a seq/conc cell runs in its
 * own fresh process (bench/lib/measure.ts), which connects and warms up once and then measures one
 * window per request. A round asks every target for one window, back to back, the order rotated
 * per round: targets are compared over the same seconds, so a busy neighbour or a slow stretch of
 * the machine moves every target of a round alike. Only one target works at a time; the others
 * wait on their stdin.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Result, Round } from './summary.js';

/** How a measurement process is started: the command, its arguments and its environment. */
export interface Launch {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export type Outcome = Result | { error: string };

/** One live measurement process. */
class Measurer {
  private readonly child: ChildProcess;
  private readonly lines: string[] = [];
  private waiter: ((line: string | null) => void) | null = null;
  private stderr = '';
  private ended = false;

  constructor(launch: Launch) {
    this.child = spawn(launch.command, launch.args, { cwd: launch.cwd, env: launch.env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr!.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-2_000);
    });
    createInterface({ input: this.child.stdout! }).on('line', (line) => this.deliver(line));
    this.child.on('close', () => {
      this.ended = true;
      this.deliver(null);
    });
    this.child.stdin!.on('error', () => undefined);
  }

  private deliver(line: string | null): void {
    if (this.waiter) {
      const wake = this.waiter;
      this.waiter = null;
      wake(line);
    } else if (line !== null) this.lines.push(line);
  }

  /** The next line of output, or null once the process ended or `ms` passed. */
  private next(ms: number): Promise<string | null> {
    if (this.lines.length > 0) return Promise.resolve(this.lines.shift()!);
    if (this.ended) return Promise.resolve(null);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        resolve(null);
      }, ms);
      this.waiter = (line) => {
        clearTimeout(timer);
        resolve(line);
      };
    });
  }

  private failure(what: string): { error: string } {
    return { error: `${what}: ${this.stderr.split('\n').filter(Boolean).slice(-3).join(' ') || 'no output'}` };
  }

  async ready(): Promise<{ error: string } | null> {
    for (;;) {
      const line = await this.next(180_000);
      if (line === null) return this.failure('did not get ready');
      if (line === 'READY') return null;
    }
  }

  async window(): Promise<Outcome> {
    if (this.ended) return this.failure('ended');
    this.child.stdin!.write('window\n');
    const line = await this.next(180_000);
    if (line === null || !line.startsWith('{')) return this.failure('no window');
    return JSON.parse(line) as Result;
  }

  /** Ends stdin (the process closes its target and exits); killed if it has not after 15 s. */
  async close(): Promise<void> {
    this.child.stdin!.end();
    const deadline = Date.now() + 15_000;
    while (!this.ended && Date.now() < deadline) await this.next(deadline - Date.now());
    if (!this.ended) this.child.kill('SIGKILL');
  }
}

/** Rotates `targets` by `round`, so no target always runs first (or right after the floor). */
export function rotated(targets: string[], round: number): string[] {
  const k = round % targets.length;
  return [...targets.slice(k), ...targets.slice(0, k)];
}

/**
 * How many rounds: at least `min`; then, every `step` rounds, stop once `enough` says so, or at `max`.
 * `fork`: a fresh set of processes (every target's, started and warmed up at once) every `fork`
 * rounds, a multiple of `step`; the rounds record which set measured them (`Round.fork`). A
 * process has its own speed for its whole life (heap layout, the JIT's early choices): two runs
 * of one process per target disagreed by 2–3 % on the floor alone while each run's interval was
 * ±1 %; several processes per target average that out and let its spread be measured
 * (bench/lib/summary.ts). Without `fork`, one set for all rounds.
 */
export interface RoundPlan {
  min: number;
  max: number;
  step: number;
  fork?: number;
  enough(rounds: Round[]): boolean;
}

/**
 * Runs one window of `target` (`window()`), and may add to its result what it saw meanwhile
 * outside the measured process (the cluster row counts Redis's commands this way). Never inside
 * the measured process: its CPU stays the target's own.
 */
export type WindowHook = (target: string, window: () => Promise<Outcome>) => Promise<Outcome>;

/**
 * Starts one process per target, all at once (their connects and warm-ups overlap: each still
 * makes its whole count of warm-up calls, and no window is measured before every one is ready;
 * one after another cost a quick run half its time), then measures
 * rounds of one window per target as `plan` says (a number: exactly that many; `plan.fork`: a
 * fresh set of processes every that many rounds, started the same way). A target that
 * fails to start or dies reports its error in every round it misses.
 */
export async function interleavedRounds(
  targets: string[],
  plan: number | RoundPlan,
  launch: (target: string) => Launch,
  log: (text: string) => void,
  around: WindowHook = (_target, window) => window(),
): Promise<Round[]> {
  const { min, max, step, fork, enough } = typeof plan === 'number' ? { min: plan, max: plan, step: plan, fork: undefined, enough: () => true } : plan;
  if (fork !== undefined && (fork < step || fork % step !== 0)) throw new Error(`a fork of ${fork} rounds is not a multiple of the step (${step})`);
  const live = new Map<string, Measurer>();
  const failed = new Map<string, { error: string }>();
  const start = async () => {
    for (const target of targets) if (!failed.has(target)) live.set(target, new Measurer(launch(target)));
    const problems = await Promise.all(targets.map((target) => live.get(target)?.ready() ?? null));
    targets.forEach((target, i) => {
      if (problems[i]) failed.set(target, problems[i]!);
    });
  };
  const stop = async () => {
    await Promise.all([...live.values()].map((m) => m.close()));
    live.clear();
  };
  try {
    await start();
    const result: Round[] = [];
    for (let round = 0; round < max; round++) {
      if (round >= min && (round - min) % step === 0 && (failed.size > 0 || enough(result))) break;
      if (fork !== undefined && round > 0 && round % fork === 0) {
        await stop();
        await start();
      }
      const order = rotated(targets, round);
      const results: Round['results'] = {};
      for (const target of order) {
        const known = failed.get(target);
        const outcome = known ?? (await around(target, () => live.get(target)!.window()));
        if ('error' in outcome) failed.set(target, outcome as { error: string });
        results[target] = outcome;
      }
      result.push({ round, order, results, ...(fork !== undefined ? { fork: Math.floor(round / fork) } : {}) });
    }
    const forks = fork === undefined ? '' : ` in ${Math.ceil(result.length / fork)} sets of processes`;
    log(`${result.length} rounds${forks}, ${failed.size ? [...failed].map(([t, e]) => `${t}: ${e.error}`).join('; ') : 'ok'}`);
    return result;
  } finally {
    await stop();
  }
}
