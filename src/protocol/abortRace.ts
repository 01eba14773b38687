/**
 * The attempt's abort as a race partner: a transport can hang where no request signal reaches (in
 * `start()`, an SSE stream that never sends its endpoint; an SDK connect that is given no signal,
 * typescript-sdk #998), so each connect step races `aborted` and a timed-out attempt always ends.
 * `done()` removes the listener once the connect settled: the attempt's signal lives as long as the
 * session, and one listener per attempt must not stay on it.
 */
export function abortRace(signal: AbortSignal): { aborted: Promise<never>; done(): void } {
  let onAbort: () => void = () => undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => undefined);
  return { aborted, done: () => signal.removeEventListener('abort', onAbort) };
}
