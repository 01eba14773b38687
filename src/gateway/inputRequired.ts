import { randomUUID } from 'node:crypto';
import { ProtocolError, ProtocolErrorCode, type InputRequiredResult } from '@modelcontextprotocol/server';
import type { Logger } from '../core/logger.js';
import type { InputRequest } from './router.js';

/**
 * Upstream questions to a modern (2026-07-28) downstream client (DESIGN §15). That era has no
 * server → client requests: a handler that needs input returns `resultType: "input_required"`
 * with the requests, and the client retries the same call with `inputResponses` and the
 * `requestState` it was given. The gateway's upstream call, though, is one call that waits for
 * its answer. So the call runs in an `Exchange` that outlives the downstream request: when the
 * upstream asks, the request answers `input_required` and the exchange is parked under a fresh,
 * unguessable `requestState`; the retry finds it, hands the answers to the waiting upstream
 * question, and waits again for the result or the next question.
 *
 * Bounded like sessions: an exchange parked for `ttlMs` with no retry is cancelled upstream (a
 * client that never retries must not hold an upstream call), at most `maxParked` wait at once
 * (past that, the upstream's question is refused), and each state is good for one retry of the
 * same call (method, name or uri, and arguments) from the same session. An exchange parked by a
 * session that outlives its requests (stdio, in memory) is cancelled when that session ends; over
 * HTTP a modern client has no session, so there only `ttlMs` bounds it.
 *
 * Progress the upstream sends goes to the request of the current round (its own progress token):
 * the request of an earlier round has been answered, and while the call is parked there is no
 * request to send it on, so it is dropped.
 */

/** How the gateway answers one round of a modern exchange. */
export type Round<T> = { kind: 'done'; value: T } | { kind: 'input'; result: InputRequiredResult };

interface Question {
  request: InputRequest;
  resolve(answer: unknown): void;
  reject(error: unknown): void;
}

/** Limits of the parked exchanges. */
export interface ParkingLimits {
  /** How long a parked exchange waits for the client's retry. */
  ttlMs: number;
  /** Exchanges parked at once. */
  maxParked: number;
}

/** Sends one upstream progress notification to the client of the current round. */
export type Report = (progress: { progress: number; total?: number; message?: string }) => Promise<void>;

/** One downstream call of a modern client, across its rounds. */
export class Exchange<T> {
  /** Aborts the upstream call: the client gave up, or never came back. */
  readonly controller = new AbortController();
  private settled: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
  /** Asked by the upstream, not yet sent to the client. */
  private readonly waiting = new Map<string, Question>();
  /** Sent in the last `input_required`, waiting for the retry's answers. */
  private readonly sent = new Map<string, Question>();
  private wake: (() => void) | undefined;
  private asked = 0;
  /** The current round's progress sink; undefined while parked or when that request asked for none. */
  reporter: Report | undefined;

  /**
   * @param method the request's method.
   * @param call what the call names (tool or prompt name, or uri, with its arguments): a retry must name the same.
   */
  constructor(
    readonly method: string,
    readonly call: string,
  ) {}

  /** Upstream progress to the current round's request; dropped while no round is running. */
  report(progress: Parameters<Report>[0]): Promise<void> {
    return this.reporter?.(progress) ?? Promise.resolve();
  }

  /** Starts the upstream work; `end` runs once it settles. */
  start(work: (signal: AbortSignal) => Promise<T>, end: () => void): void {
    void work(this.controller.signal)
      .then(
        (value) => (this.settled = { ok: true, value }),
        (error: unknown) => (this.settled = { ok: false, error }),
      )
      .finally(() => {
        end();
        this.notify();
      });
  }

  /** The upstream asks the client: the question goes out with the current or the next round. */
  ask(request: InputRequest, signal: AbortSignal): Promise<unknown> {
    const key = `${request.method === 'roots/list' ? 'roots' : request.method === 'elicitation/create' ? 'elicit' : 'sample'}-${++this.asked}`;
    return new Promise((resolve, reject) => {
      const forget = () => {
        this.waiting.delete(key);
        this.sent.delete(key);
      };
      const onAbort = () => {
        forget();
        reject(signal.reason instanceof Error ? signal.reason : new Error('the upstream request was cancelled'));
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      const done = () => signal.removeEventListener('abort', onAbort);
      this.waiting.set(key, {
        request,
        resolve: (answer) => (done(), resolve(answer)),
        reject: (error) => (done(), reject(error)),
      });
      this.notify();
    });
  }

  /** The retry's answers go to the questions of the last round; one left unanswered is asked again. */
  answer(responses: Record<string, unknown> | undefined): void {
    for (const [key, question] of [...this.sent]) {
      this.sent.delete(key);
      const answer = responses?.[key];
      if (answer === undefined) this.waiting.set(key, question);
      else question.resolve(answer);
    }
  }

  /** Waits for the result, or for questions to send in an `input_required` with `requestState`. */
  async next(requestState: () => string): Promise<Round<T>> {
    for (;;) {
      if (this.settled) {
        if (this.settled.ok) return { kind: 'done', value: this.settled.value };
        throw this.settled.error;
      }
      if (this.waiting.size > 0) {
        const inputRequests: Record<string, InputRequest> = {};
        for (const [key, question] of this.waiting) {
          inputRequests[key] = question.request.params === undefined ? { method: question.request.method } : question.request;
          this.sent.set(key, question);
        }
        this.waiting.clear();
        return { kind: 'input', result: { resultType: 'input_required', inputRequests, requestState: requestState() } as unknown as InputRequiredResult };
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  /** Ends the exchange: the upstream call is cancelled and its questions fail. */
  abort(reason: string): void {
    const error = new Error(reason);
    for (const question of [...this.waiting.values(), ...this.sent.values()]) question.reject(error);
    this.waiting.clear();
    this.sent.clear();
    this.controller.abort(error);
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

/** The exchanges parked between rounds, by `requestState`. */
export class ParkedExchanges {
  private readonly parked = new Map<string, { exchange: Exchange<unknown>; timer: ReturnType<typeof setTimeout>; owner: object | undefined }>();

  constructor(
    private readonly limits: () => ParkingLimits,
    private readonly logger?: Logger,
  ) {}

  /** Exchanges waiting for a retry now. */
  get size(): number {
    return this.parked.size;
  }

  /** Whether one more exchange may park (checked when an upstream question arrives). */
  hasRoom(): boolean {
    return this.parked.size < this.limits().maxParked;
  }

  /**
   * Parks an exchange; returns its one-use state. `owner`: the session that outlives its requests
   * (stdio, in memory) whose client must retry, and whose end cancels the call (`abandon`).
   * Defaults to none: only `ttlMs` bounds the wait (modern HTTP has no sessions).
   */
  park(exchange: Exchange<unknown>, owner?: object): string {
    const state = randomUUID();
    const { ttlMs } = this.limits();
    const timer = setTimeout(() => {
      if (!this.parked.delete(state)) return;
      this.logger?.log('info', `gateway: a client did not answer an input_required within ${ttlMs} ms; its call is cancelled`);
      exchange.abort(`the client did not answer within ${ttlMs} ms`);
    }, ttlMs);
    // A parked call must never keep the host alive.
    timer.unref();
    this.parked.set(state, { exchange, timer, owner });
    return state;
  }

  /**
   * Takes the exchange of a retry's state off the shelf. An unknown or used state, or one given
   * for another call (method, `call`) or to another session (`owner`), is -32602 and leaves the
   * exchange parked for its own client's retry.
   */
  take(state: string, method: string, call: string, owner?: object): Exchange<unknown> {
    const entry = this.parked.get(state);
    if (!entry || entry.exchange.method !== method || entry.exchange.call !== call || entry.owner !== owner) {
      throw new ProtocolError(ProtocolErrorCode.InvalidParams, 'Invalid or expired requestState');
    }
    this.parked.delete(state);
    clearTimeout(entry.timer);
    return entry.exchange;
  }

  /** Cancels the exchanges `owner` parked: its client is gone and can never retry. */
  abandon(owner: object): void {
    for (const [state, entry] of [...this.parked]) {
      if (entry.owner !== owner) continue;
      this.parked.delete(state);
      clearTimeout(entry.timer);
      entry.exchange.abort('the client disconnected');
    }
  }

  /** Cancels every parked exchange (the gateway closes). */
  clear(): void {
    for (const { exchange, timer } of this.parked.values()) {
      clearTimeout(timer);
      exchange.abort('the gateway closed');
    }
    this.parked.clear();
  }
}
