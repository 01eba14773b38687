/** XState's timer interface (`createActor(logic, { clock })`); not exported by name from xstate. */
export interface Clock {
  setTimeout(fn: (...args: any[]) => void, timeout: number): any;
  clearTimeout(id: any): void;
}

/**
 * The one clock of a switchboard: XState's `Clock` (timers of every machine) plus `now()`, which
 * call deadlines and event timestamps use. Tests pass XState's `SimulatedClock`, which has both.
 */
export interface RuntimeClock extends Clock {
  now(): number;
}

/** The real clock: `setTimeout` and `Date.now`. */
export const realClock: RuntimeClock = {
  setTimeout: (fn: (...args: unknown[]) => void, ms: number) => setTimeout(fn, ms),
  clearTimeout: (id: unknown) => clearTimeout(id as NodeJS.Timeout),
  now: () => Date.now(),
};

/** Uses the given XState clock, adding `now()` from `Date.now` when it lacks one. */
export function toRuntimeClock(clock: Clock | undefined): RuntimeClock {
  if (!clock) return realClock;
  const withNow = clock as Partial<RuntimeClock>;
  if (typeof withNow.now === 'function') return clock as RuntimeClock;
  return { setTimeout: clock.setTimeout.bind(clock), clearTimeout: clock.clearTimeout.bind(clock), now: () => Date.now() };
}
