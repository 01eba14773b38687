import { fromCallback } from 'xstate';
import type { ConnectionEvent, SessionCommand } from '../../machines/serverConnection.js';
import type { ErrorInfo } from '../../machines/types.js';
import type { CallOutcome } from '../../machines/breakerModel.js';
import type { CallTable } from '../calls/index.js';
import type { RuntimeClock } from '../core/clock.js';
import { isSwitchboardError, SwitchboardError, unavailable } from '../core/errors.js';
import { redactText } from '../secrets/index.js';
import type { RegisteredServer } from '../servers/index.js';
import { Admission, type BreakerView, type Decision } from './admission.js';
import { Attempts, type AttemptPorts } from './attempt.js';
import { invoke, type Settlement } from './invoke.js';
import type { ProtocolSession } from '../protocol/index.js';

/**
 * The session actor: one per server connection, for the connection's whole life. It runs the
 * commands its connection machine sends (`session.*`, `call.*`): attempts (attempt.ts), admission
 * (admission.ts) and invocation with replay (invoke.ts). Calls settle in the pending-call table
 * by requestId; every failure becomes an event back to the machine; nothing here throws.
 */

/** The breaker of one server as the session uses it (see BreakerGate). */
export interface BreakerPort extends BreakerView {
  record(requestId: string, epoch: number, outcome: CallOutcome, startedAt: number): void;
}

/** Everything one server's session may touch: narrow ports, handed over by the runtime. */
export interface SessionPorts {
  server: RegisteredServer;
  calls: CallTable;
  breaker: BreakerPort;
  clock: RuntimeClock;
  clientInfo: { name: string; version: string };
  /** The tool's annotations in the server's catalog (kept once, by the manager). */
  annotations(tool: string): Record<string, unknown> | undefined;
  /** Registers a closing session so that `stop()` can wait for it. */
  track(closing: Promise<unknown>): void;
  /** A server log line or a runtime note, already redacted. */
  log(level: string, message: string): void;
  /** Makes the live session answer `health()`; returns the unregister function. */
  registerProbe(pinger: (signal: AbortSignal) => Promise<void>): () => void;
  /** Client capabilities, server → client handlers, subscriptions: see AttemptPorts. */
  capabilities: AttemptPorts['capabilities'];
  serverRequests: AttemptPorts['serverRequests'];
  resourceUpdated: AttemptPorts['resourceUpdated'];
  subscriptions: AttemptPorts['subscriptions'];
  auth: AttemptPorts['auth'];
  /** The cluster's health leader, when `cluster` is configured (see SharedHealthPort). */
  health?: AttemptPorts['health'];
  /** The live session of this server once it is ready for requests, null when it is not. */
  onClient?(session: ProtocolSession | null): void;
  /**
   * Routes a tool name given before this server listed its catalog (`PendingCall.unrouted`)
   * against the catalog it listed since: the tool as the server knows it and whether it runs as a
   * task; undefined while the server has still listed nothing (the call goes as it was routed).
   * Throws (ToolNotFound) when the catalog has no such tool.
   */
  route(name: string): { tool: string; task: boolean } | undefined;
}

/** Creates the `session` actor logic; `portsOf` gives a server's ports (undefined once removed). */
export function createSessionLogic(portsOf: (server: string) => SessionPorts | undefined) {
  return fromCallback<SessionCommand, { server: string }>(({ input, receive, sendBack }) => {
    const found = portsOf(input.server);
    if (!found) throw new Error(`no server "${input.server}" is registered`);
    const ports = found;
    const { server, calls } = ports;
    const name = server.name;
    let stopped = false;
    let active = false;
    let retryAt: number | null = null;
    let unregisterProbe: () => void = () => undefined;
    /** Calls cut off by a lost connection that are safe to send again after the reconnect. */
    const replaying = new Map<string, SwitchboardError>();
    const redact = (text: string) => redactText(text, server.secrets);
    // The stderr tail is a window cut out of the server's output: only the ring knows where it cut
    // (a secret split there escapes whole-secret masking), so it masks the secrets itself.
    server.stderr.redactWith(server.secrets);
    const send = (event: ConnectionEvent) => {
      if (!stopped) sendBack(event);
    };
    const attempts = new Attempts({
      server,
      clock: ports.clock,
      clientInfo: ports.clientInfo,
      track: ports.track,
      log: ports.log,
      redact,
      send,
      capabilities: ports.capabilities,
      serverRequests: ports.serverRequests,
      resourceUpdated: ports.resourceUpdated,
      subscriptions: ports.subscriptions,
      auth: ports.auth,
      ...(ports.health ? { health: ports.health } : {}),
      checked: () => {
        if (active) admitAll(admission.takeHeld());
      },
    });
    const admission = new Admission(name, () => server.config.limits, ports.breaker, (id) => calls.get(id) !== undefined);
    const invokePorts = {
      name,
      calls,
      clock: ports.clock,
      replay: () => server.config.replay,
      annotations: ports.annotations,
      record: (id: string, epoch: number, outcome: CallOutcome, startedAt: number) => ports.breaker.record(id, epoch, outcome, startedAt),
      redact,
    };
    const notifyActivity = server.config.limits.idleTimeoutMs > 0;
    // Output while connecting is a sign of life (npx downloading, a banner): it extends the connect deadline.
    const unwatchStderr = server.stderr.onOutput(() => attempts.showedLife());

    function act(decision: Decision): void {
      if (decision.kind === 'refuse') calls.reject(decision.requestId, decision.error);
      else if (decision.kind === 'run') run(decision.requestId, decision.epoch);
    }

    function run(requestId: string, epoch: number): void {
      const call = calls.get(requestId);
      const current = attempts.current;
      if (!call || !current?.session) return;
      if (notifyActivity && admission.inFlight === 1) send({ type: 'session.busy', attemptId: current.id });
      invoke(current.session, call, epoch, invokePorts, (settlement: Settlement) => {
        if (settlement.replay) replaying.set(requestId, settlement.replay);
        if (settlement.aftermath === 'auth') attempts.lose(current, { code: 'AuthRequired', message: `server "${name}" refused the credentials mid-session (HTTP 401/403)`, retryable: false });
        else if (settlement.aftermath === 'expired') attempts.lose(current, { code: 'SessionExpired', message: `server "${name}" no longer knows the session`, retryable: true }, true);
        else if (settlement.aftermath === 'suspect') attempts.check(current);
        if (attempts.current !== current) return;
        for (const next of admission.finish(requestId)) act(next);
        if (notifyActivity && admission.inFlight === 0) send({ type: 'session.idle', attemptId: current.id });
      });
    }

    function admitAll(requestIds: readonly string[]): void {
      for (const id of requestIds) {
        // While a suspect session is being checked, new calls wait for the verdict: after a
        // server restart, every call sent meanwhile met a dead pooled socket and failed.
        if (active && attempts.current?.session && !attempts.current.checking) {
          if (routed(id)) act(admission.admit(id));
        } else admission.hold(id);
      }
    }

    /** Routes a call named before the catalog was listed; false when it was refused (no such tool). */
    function routed(requestId: string): boolean {
      const given = calls.get(requestId)?.unrouted;
      if (given === undefined) return true;
      try {
        const route = ports.route(given);
        if (route) calls.route(requestId, route.tool, route.task);
        return true;
      } catch (error) {
        calls.reject(requestId, isSwitchboardError(error) ? error : new SwitchboardError('ToolNotFound', `server "${name}" has no tool named "${given}"`));
        return false;
      }
    }

    function refuse(requestIds: readonly string[], error: ErrorInfo | null, retryAfterMs: number | undefined): void {
      for (const id of requestIds) calls.reject(id, unavailable(name, error, retryAfterMs));
    }

    /**
     * Calls to a server that is backing off (DESIGN §18): each waits for the retry, held like a
     * call to a connecting server, when the retry is due within `withinMs` and before the call's
     * deadline and the breaker is not open; any other is refused at once with the time left.
     */
    function waitForRetry(command: SessionCommand & { type: 'call.wait' }): void {
      const now = ports.clock.now();
      const dueIn = retryAt === null ? undefined : Math.max(0, retryAt - now);
      const patient = dueIn !== undefined && dueIn <= command.withinMs && !ports.breaker.isOpen();
      for (const id of command.requestIds) {
        const call = calls.get(id);
        if (!call) continue;
        if (patient && now + dueIn <= call.deadline) admission.hold(id);
        else calls.reject(id, unavailable(name, command.error, dueIn));
      }
    }

    function rejectWaiting(error: () => SwitchboardError): void {
      for (const id of admission.takeWaiting()) calls.reject(id, error());
    }

    function rejectReplays(): void {
      for (const [id, error] of replaying) calls.reject(id, error);
      replaying.clear();
    }

    function activate(attemptId: number): void {
      const current = attempts.current;
      if (current?.id !== attemptId || !current.session) return;
      active = true;
      retryAt = null;
      const session = current.session;
      unregisterProbe = ports.registerProbe((signal) => session.probe(signal));
      ports.onClient?.(session);
      const replays = [...replaying.keys()];
      replaying.clear();
      admitAll([...replays, ...admission.takeHeld()]);
    }

    function close(error: SessionCommand & { type: 'session.close' }): void {
      active = false;
      unregisterProbe();
      ports.onClient?.(null);
      attempts.close();
      admission.clearRunning();
      retryAt = error.retryInMs === null ? null : ports.clock.now() + error.retryInMs;
      const retryAfterMs = error.retryInMs ?? undefined;
      rejectWaiting(() => unavailable(name, error.error, retryAfterMs));
      // Replays wait through a backoff (within their deadlines), not into `error` or a stop.
      if (error.retryInMs === null) rejectReplays();
    }

    receive((command) => {
      try {
        switch (command.type) {
          case 'session.open':
            active = false;
            unregisterProbe();
            ports.onClient?.(null);
            admission.clearRunning();
            attempts.open(command.attemptId);
            break;
          case 'session.activate':
            activate(command.attemptId);
            break;
          case 'session.close':
            close(command);
            break;
          case 'session.probe':
            attempts.ping(command.attemptId);
            break;
          case 'session.relist':
            attempts.relist(command.attemptId, command.kinds);
            break;
          case 'call.dispatch':
            admitAll(command.requestIds);
            break;
          case 'call.hold':
            for (const id of command.requestIds) admission.hold(id);
            break;
          case 'call.refuse':
            refuse(command.requestIds, command.error, retryAt === null ? undefined : Math.max(0, retryAt - ports.clock.now()));
            break;
          case 'call.wait':
            waitForRetry(command);
            break;
        }
      } catch (error) {
        // A bug here must not kill the connection actor; report it and carry on.
        ports.log('error', `session error: ${(error as Error)?.stack ?? error}`);
      }
    });

    return () => {
      stopped = true;
      active = false;
      unwatchStderr();
      unregisterProbe();
      ports.onClient?.(null);
      attempts.close();
      rejectReplays();
      rejectWaiting(() => new SwitchboardError('ServerUnavailable', `server "${name}" was stopped`));
    };
  });
}
