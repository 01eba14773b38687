import { SseError } from '@modelcontextprotocol/sdk/client/sse.js';
import {
  LoggingMessageNotificationSchema,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { fromCallback } from 'xstate';
import type { ConnectionEvent, SessionCommand } from '../../machines/serverConnection.js';
import type { ErrorInfo } from '../../machines/types.js';
import type { PendingCall, PendingCalls } from '../calls.js';
import type { HealthProbes } from '../health.js';
import type { RuntimeClock } from '../clock.js';
import type { RuntimeServer } from '../config/schema.js';
import { SwitchboardError, unavailable } from '../errors.js';
import { BreakerGate } from './breakerGate.js';
import { classifyCallError, classifyConnectError, isSessionRejection, type CallFailure } from './classify.js';
import { NO_SDK_TIMEOUT, openSession, type OpenSession, type TransportSource } from './connect.js';
import type { StderrRing } from './stderrRing.js';
import { ToolResultSchema, withContent } from './resultShape.js';
import { pingServer, requestSignal } from './requests.js';
import { listAllTools, toCatalog } from './tools.js';

/**
 * The session actor: one per server connection, for the connection's whole life. It owns the SDK
 * Client of the current attempt, runs the commands its connection machine sends (`session.*`,
 * `call.*`), admits calls (breaker, concurrency, queue) and settles them in the pending-call
 * table by requestId. Every failure becomes an event back to the machine; nothing here throws.
 */

/** What the runtime lends every session actor. */
export interface SessionRuntime {
  calls: PendingCalls;
  clock: RuntimeClock;
  config(server: string): RuntimeServer | undefined;
  transport(server: string): TransportSource | undefined;
  stderr(server: string): StderrRing;
  /** Registers a closing session so that `stop()` can wait for it. */
  track(closing: Promise<unknown>): void;
  log(server: string, level: string, message: string, data?: unknown): void;
  /** Removes the server's secrets (header and env values) from a message. */
  redact(server: string, text: string): string;
  clientInfo: { name: string; version: string };
  probes: HealthProbes;
}

interface Attempt {
  id: number;
  controller: AbortController;
  session: OpenSession | null;
  ready: boolean;
  checking: boolean;
  /** Loss already reported: one attempt ends once. */
  ended: boolean;
}

/** Creates the `session` actor logic that the connection machine invokes. */
export function createSessionLogic(runtime: SessionRuntime) {
  return fromCallback<SessionCommand, { server: string }>(({ input, receive, sendBack, system }) => {
    const name = input.server;
    const held: string[] = [];
    const queue: string[] = [];
    const inFlight = new Set<string>();
    /** Calls cut off by a lost connection that are safe to send again after the reconnect. */
    const replaying = new Map<string, SwitchboardError>();
    /** Annotations of the last listed catalog, to know which tools are safe to replay. */
    let annotations = new Map<string, Record<string, unknown> | undefined>();
    let attempt: Attempt | null = null;
    let active = false;
    let retryAt: number | null = null;
    let stopped = false;
    let unregisterProbe: () => void = () => undefined;

    const config = () => runtime.config(name);
    const now = () => runtime.clock.now();
    const redactInfo = (info: ErrorInfo): ErrorInfo => ({ ...info, message: runtime.redact(name, info.message) });
    const send = (event: ConnectionEvent) => {
      if (!stopped) sendBack(event);
    };

    const gate = new BreakerGate(() => system.get(`breaker:${name}`), name, runtime.clock);

    function reject(requestId: string, error: SwitchboardError): void {
      runtime.calls.reject(requestId, error);
    }

    function rejectWaiting(error: () => SwitchboardError): void {
      for (const id of held.splice(0)) reject(id, error());
      for (const id of queue.splice(0)) reject(id, error());
    }

    function rejectReplays(): void {
      for (const [id, error] of replaying) reject(id, error);
      replaying.clear();
    }

    function rememberCatalog(tools: { name: string; annotations?: Record<string, unknown> }[]): void {
      annotations = new Map(tools.map((t) => [t.name, t.annotations]));
    }

    /** A call cut off by the connection is sent again once: always when it never reached the tool, else only for safe tools. */
    function shouldReplay(call: PendingCall, failure: CallFailure): boolean {
      if (call.attempts >= 2 || call.abortCause || failure.error.code !== 'ConnectionLost') return false;
      if (failure.undispatched) return true;
      const hints = annotations.get(call.tool);
      return config()?.replay === 'annotated' && (hints?.readOnlyHint === true || hints?.idempotentHint === true);
    }

    function closeAttempt(): void {
      const old = attempt;
      attempt = null;
      active = false;
      unregisterProbe();
      if (!old) return;
      old.controller.abort(new Error('session closed'));
      if (old.session) runtime.track(old.session.close());
    }

    function lose(current: Attempt, error: ErrorInfo, expired = false): void {
      if (attempt !== current || !current.ready || current.ended) return;
      current.ended = true;
      send({ type: expired ? 'session.expired' : 'session.lost', attemptId: current.id, at: now(), error: redactInfo(error) });
    }

    /** A transport error on HTTP may or may not mean the session is gone: ping once to find out. */
    function checkConnection(current: Attempt): void {
      const session = current.session;
      const server = config();
      if (!session || !server || current.checking || attempt !== current) return;
      current.checking = true;
      const controller = new AbortController();
      const timer = runtime.clock.setTimeout(() => controller.abort(new Error('ping timed out')), server.health.timeoutMs);
      pingServer(session.client, controller.signal)
        .then(
          () => undefined,
          (error: unknown) => {
            if (isSessionRejection(error)) lose(current, { code: 'SessionExpired', message: `server "${name}" no longer knows the session`, retryable: true }, true);
            else lose(current, { code: 'ConnectionLost', message: `server "${name}" stopped answering`, retryable: true });
          },
        )
        .finally(() => {
          runtime.clock.clearTimeout(timer);
          current.checking = false;
        });
    }

    function prepare(current: Attempt) {
      return (client: OpenSession['client']) => {
        client.onclose = () => lose(current, { code: 'ConnectionLost', message: `server "${name}" closed the connection`, retryable: true });
        client.onerror = (error: Error) => {
          runtime.log(name, 'debug', runtime.redact(name, `transport error: ${error.message}`));
          if (!current.ready) return;
          if (error instanceof SseError) lose(current, { code: 'ConnectionLost', message: `SSE stream of "${name}" failed`, retryable: true });
          else if (config()?.transport === 'http') checkConnection(current);
        };
        client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
          if (attempt === current) send({ type: 'tools.listChanged', attemptId: current.id });
        });
        client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => {
          const { level, data, logger } = notification.params;
          const text = typeof data === 'string' ? data : JSON.stringify(data);
          runtime.log(name, level, runtime.redact(name, logger ? `${logger}: ${text}` : text));
        });
      };
    }

    function open(attemptId: number): void {
      closeAttempt();
      const server = config();
      if (!server) return;
      const current: Attempt = { id: attemptId, controller: new AbortController(), session: null, ready: false, checking: false, ended: false };
      attempt = current;
      const work = (async () => {
        try {
          const session = await openSession(
            {
              server,
              custom: runtime.transport(name),
              stderr: runtime.stderr(name),
              signal: current.controller.signal,
              clientInfo: runtime.clientInfo,
            },
            prepare(current),
          );
          if (attempt !== current) {
            await session.close();
            return;
          }
          current.session = session;
          const listing = requestSignal(current.controller.signal);
          const tools = await listAllTools(session.client, listing.signal).finally(listing.done);
          if (attempt !== current) return;
          rememberCatalog(tools);
          current.ready = true;
          const facts: Record<string, unknown> = {};
          const serverInfo = session.client.getServerVersion();
          const capabilities = session.client.getServerCapabilities();
          const instructions = session.client.getInstructions();
          if (serverInfo) facts.serverInfo = serverInfo;
          if (capabilities) facts.capabilities = capabilities;
          if (instructions) facts.instructions = instructions;
          send({ type: 'session.ready', attemptId, at: now(), facts, tools: toCatalog(name, tools, server.tools) });
        } catch (error) {
          if (attempt !== current) return;
          const info = classifyConnectError(error, current.session?.retryAfterMs());
          send({ type: 'session.failed', attemptId, at: now(), error: redactInfo(info) });
        }
      })();
      runtime.track(work);
    }

    function setBusy(current: Attempt, busy: boolean): void {
      if ((config()?.limits.idleTimeoutMs ?? 0) > 0) send({ type: busy ? 'session.busy' : 'session.idle', attemptId: current.id });
    }

    function run(session: OpenSession, call: PendingCall, epoch: number, current: Attempt): void {
      if (inFlight.size === 0) setBusy(current, true);
      inFlight.add(call.requestId);
      call.attempts++;
      const startedAt = now();
      const params: Record<string, unknown> = { name: call.tool, arguments: call.args ?? {} };
      if (call.meta) params._meta = call.meta;
      // One callback pair, no .finally: each extra promise is paid on every call.
      const settled = () => {
        inFlight.delete(call.requestId);
        if (inFlight.size === 0 && attempt === current) setBusy(current, false);
        pump();
      };
      session.client
        .request({ method: 'tools/call', params } as { method: 'tools/call'; params: { name: string } }, ToolResultSchema, {
          signal: call.signal.asAbortSignal,
          timeout: NO_SDK_TIMEOUT,
          onprogress: (progress) => runtime.calls.progress(call.requestId, progress),
        })
        .then(
          (result) => {
            gate.record(call.requestId, epoch, 'success', startedAt);
            runtime.calls.resolve(call.requestId, withContent(result));
            settled();
          },
          (error: unknown) => {
            const failure = classifyCallError(error, call.abortCause, name, call.tool);
            gate.record(call.requestId, epoch, failure.outcome, startedAt);
            const message = runtime.redact(name, failure.error.message);
            const safe = message === failure.error.message ? failure.error : new SwitchboardError(failure.error.code, message);
            if (shouldReplay(call, failure)) replaying.set(call.requestId, safe);
            else reject(call.requestId, safe);
            if (failure.sessionExpired) lose(current, { code: 'SessionExpired', message: `server "${name}" no longer knows the session`, retryable: true }, true);
            else if (failure.suspectConnection || failure.error.code === 'ToolCallTimeout') checkConnection(current);
            settled();
          },
        );
    }

    function admit(requestId: string, fromQueue: boolean): void {
      const call = runtime.calls.get(requestId);
      const server = config();
      if (!call || !server) return;
      const current = attempt;
      if (!active || !current?.session) {
        held.push(requestId);
        return;
      }
      // An open breaker refuses before the queue; a half-open permit is taken only when the call can run.
      if (gate.isOpen()) {
        const verdict = gate.permit(requestId);
        if ('refused' in verdict) reject(requestId, verdict.refused);
        return;
      }
      if (inFlight.size >= server.limits.maxConcurrentCalls) {
        if (fromQueue) queue.unshift(requestId);
        else if (pruneQueue() >= server.limits.maxQueue) {
          reject(requestId, new SwitchboardError('ServerBusy', `server "${name}" has ${inFlight.size} calls running and ${queue.length} queued`, { retryAfterMs: 1_000 }));
        } else queue.push(requestId);
        return;
      }
      const verdict = gate.permit(requestId);
      if ('refused' in verdict) reject(requestId, verdict.refused);
      else run(current.session, call, verdict.epoch, current);
    }

    /** Drops settled calls (timed out or cancelled while queued); returns the live queue length. */
    function pruneQueue(): number {
      for (let i = queue.length - 1; i >= 0; i--) if (!runtime.calls.get(queue[i]!)) queue.splice(i, 1);
      return queue.length;
    }

    function pump(): void {
      const server = config();
      if (!server || !active) return;
      while (queue.length > 0 && inFlight.size < server.limits.maxConcurrentCalls) admit(queue.shift()!, true);
    }

    function ping(attemptId: number): void {
      const current = attempt;
      const session = current?.session;
      if (!current || !session || current.id !== attemptId) return;
      const { signal, done } = requestSignal(current.controller.signal);
      pingServer(session.client, signal)
        .then(
          () => send({ type: 'health.passed', attemptId }),
          (error: unknown) =>
            send({ type: 'health.failed', attemptId, error: { code: 'HealthCheckFailed', message: runtime.redact(name, String((error as Error)?.message ?? error)) } }),
        )
        .finally(done);
    }

    function relist(attemptId: number): void {
      const current = attempt;
      const session = current?.session;
      const server = config();
      if (!current || !session || !server || current.id !== attemptId) return;
      const { signal, done } = requestSignal(current.controller.signal);
      listAllTools(session.client, signal)
        .then(
          (tools) => {
            rememberCatalog(tools);
            send({ type: 'tools.listed', attemptId, tools: toCatalog(name, tools, server.tools) });
          },
          (error: unknown) => runtime.log(name, 'warning', runtime.redact(name, `relisting tools failed: ${(error as Error)?.message ?? error}`)),
        )
        .finally(done);
    }

    receive((command) => {
      try {
        switch (command.type) {
          case 'session.open':
            open(command.attemptId);
            break;
          case 'session.activate':
            if (attempt?.id === command.attemptId && attempt.session) {
              active = true;
              retryAt = null;
              const client = attempt.session.client;
              unregisterProbe = runtime.probes.register(name, (signal) => pingServer(client, signal));
              const replays = [...replaying.keys()];
              replaying.clear();
              for (const id of [...replays, ...held.splice(0)]) admit(id, false);
            }
            break;
          case 'session.close': {
            closeAttempt();
            retryAt = command.retryInMs === null ? null : now() + command.retryInMs;
            const retryAfterMs = command.retryInMs ?? undefined;
            rejectWaiting(() => unavailable(name, command.error, retryAfterMs));
            // Replays wait through a backoff (within their deadlines), not into `error` or a stop.
            if (command.retryInMs === null) rejectReplays();
            break;
          }
          case 'session.ping':
            ping(command.attemptId);
            break;
          case 'session.listTools':
            relist(command.attemptId);
            break;
          case 'call.dispatch':
            for (const id of command.requestIds) admit(id, false);
            break;
          case 'call.hold':
            held.push(...command.requestIds);
            break;
          case 'call.refuse': {
            const retryAfterMs = retryAt === null ? undefined : Math.max(0, retryAt - now());
            for (const id of command.requestIds) reject(id, unavailable(name, command.error, retryAfterMs));
            break;
          }
        }
      } catch (error) {
        // A bug here must not kill the connection actor; report it and carry on.
        runtime.log(name, 'error', `session error: ${(error as Error)?.stack ?? error}`);
      }
    });

    return () => {
      stopped = true;
      closeAttempt();
      rejectReplays();
      rejectWaiting(() => new SwitchboardError('ServerUnavailable', `server "${name}" was stopped`));
    };
  });
}
