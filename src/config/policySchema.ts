import { z } from 'zod';
import { ProtocolSchema } from './protocolSchema.js';

/**
 * The policy blocks (DESIGN §3, §4): deadlines, reconnect, breaker, health, limits, replay, era
 * and admission, each written once with its defaults in `DEFAULT_POLICY`; `defaults` and each
 * server override any field (`PolicyOverridesSchema`). Server, gateway and admin shapes are in
 * schema.ts.
 */

export const ms = z.number().int().nonnegative();
export const positiveMs = z.number().int().positive();
const percent = z.number().gt(0).lte(100);

/** Call and connect deadlines. */
export const TimeoutsSchema = z.strictObject({
  /** Spawn or fetch plus `initialize` and the first `tools/list`. Defaults to 10 000 ms. */
  connectMs: positiveMs,
  /** Default deadline of one tool call, extended by progress up to `maxCallMs`. Defaults to 60 000 ms. */
  callMs: positiveMs,
  /** Hard cap of one call, whatever progress arrives. Defaults to 600 000 ms. */
  maxCallMs: positiveMs,
  /** How long a stdio server may take to exit before SIGKILL. Defaults to 5 000 ms. */
  shutdownMs: positiveMs,
});

/** Reconnect policy: full-jitter exponential backoff and crash-loop detection. */
export const ReconnectSchema = z.strictObject({
  baseMs: positiveMs,
  multiplier: z.number().gte(1),
  minMs: ms,
  maxMs: positiveMs,
  /** Consecutive failures before `error`; 0 = unlimited. Defaults to 0. */
  maxAttempts: z.number().int().nonnegative(),
  stableAfterMs: ms,
  restartIntensity: z.number().int().nonnegative(),
  restartPeriodMs: positiveMs,
});

/** Circuit-breaker policy (research/reliability.md §1.6). */
export const BreakerSchema = z.strictObject({
  failureRateThreshold: percent,
  slidingWindowSize: z.number().int().positive(),
  minimumNumberOfCalls: z.number().int().positive(),
  slowCallDurationThresholdMs: positiveMs,
  slowCallRateThreshold: percent,
  waitDurationInOpenMs: positiveMs,
  openBackoffMultiplier: z.number().gte(1),
  maxWaitDurationInOpenMs: positiveMs,
  permittedNumberOfCallsInHalfOpenState: z.number().int().positive(),
  /** How long half-open may wait for its probes; 0 = the call timeout plus 5 s. Defaults to 0. */
  maxWaitDurationInHalfOpenMs: ms,
});

/** Periodic ping of each connected server; `intervalMs: 0` turns it off. */
export const HealthSchema = z.strictObject({
  intervalMs: ms,
  timeoutMs: positiveMs,
  failureThreshold: z.number().int().positive(),
});

/** Backpressure per server. */
export const LimitsSchema = z.strictObject({
  maxConcurrentCalls: z.number().int().positive(),
  maxQueue: z.number().int().nonnegative(),
  /** Stop an idle stdio server after this long; 0 = never. Defaults to 0. */
  idleTimeoutMs: ms,
  /** Bytes of stderr kept per stdio server. Defaults to 65 536. */
  stderrBufferBytes: z.number().int().positive(),
  /**
   * Largest message a server may send (a stdio line, an HTTP response or SSE event); a larger one
   * fails its call with ProtocolError. Defaults to 10 MiB, the SDK's stdio buffer limit.
   */
  maxMessageBytes: z.number().int().positive(),
  /**
   * Server → client requests (sampling, elicitation, roots) of this server handled at once; the
   * embedder's handler may be a paid model call. Defaults to 4.
   */
  maxServerRequests: z.number().int().positive(),
  /**
   * Server → client requests of this server waiting for a free handler slot; one more is answered
   * with a JSON-RPC error at once. Defaults to 16.
   */
  maxServerRequestQueue: z.number().int().nonnegative(),
  /**
   * Text content of a result beyond this many characters is cut with a visible marker and
   * `_meta["mcp-switchboard/truncated"] = { originalChars }`; binary content beyond it becomes a
   * note (DESIGN §17). 0 = off. Defaults to 0 in the library (the gateway has its own, on).
   */
  maxResultChars: z.number().int().nonnegative(),
});

/** How a call waits for a server that is briefly away (DESIGN §18). */
export const AdmissionSchema = z.strictObject({
  /**
   * A call to a server that is backing off waits for the reconnect when it is due within this
   * long (and within the call's deadline), instead of failing at once; an open breaker and a
   * server in `error` still refuse at once. 0 = never wait. Defaults to 5 000 ms.
   */
  waitForReconnectMs: ms,
});

export const ReplaySchema = z.enum(['never', 'annotated']);

export const PolicySchema = z.strictObject({
  timeouts: TimeoutsSchema,
  reconnect: ReconnectSchema,
  breaker: BreakerSchema,
  health: HealthSchema,
  limits: LimitsSchema,
  replay: ReplaySchema,
  /** The MCP era (DESIGN §15): `auto`, `2025-11-25` or `2026-07-28`. Defaults to `auto`. */
  protocol: ProtocolSchema,
  admission: AdmissionSchema,
});

/**
 * The connect deadline of a stdio server when neither `defaults` nor the server sets one: a first
 * `npx -y` downloads the package before the server can answer (DESIGN §18).
 */
export const STDIO_CONNECT_MS = 60_000;

/** Every policy field with its default value. */
export const DEFAULT_POLICY: Policy = {
  timeouts: { connectMs: 10_000, callMs: 60_000, maxCallMs: 600_000, shutdownMs: 5_000 },
  reconnect: {
    baseMs: 1_000,
    multiplier: 2,
    minMs: 250,
    maxMs: 60_000,
    maxAttempts: 0,
    stableAfterMs: 30_000,
    restartIntensity: 5,
    restartPeriodMs: 60_000,
  },
  breaker: {
    failureRateThreshold: 50,
    slidingWindowSize: 20,
    minimumNumberOfCalls: 5,
    slowCallDurationThresholdMs: 60_000,
    slowCallRateThreshold: 100,
    waitDurationInOpenMs: 30_000,
    openBackoffMultiplier: 2,
    maxWaitDurationInOpenMs: 300_000,
    permittedNumberOfCallsInHalfOpenState: 1,
    maxWaitDurationInHalfOpenMs: 0,
  },
  health: { intervalMs: 30_000, timeoutMs: 5_000, failureThreshold: 2 },
  limits: { maxConcurrentCalls: 16, maxQueue: 64, idleTimeoutMs: 0, stderrBufferBytes: 65_536,
    maxMessageBytes: 10 * 1024 * 1024,
    maxServerRequests: 4,
    maxServerRequestQueue: 16,
    maxResultChars: 0,
  },
  replay: 'annotated',
  protocol: 'auto',
  admission: { waitForReconnectMs: 5_000 },
};

/** Policy overrides as written in `defaults` or on one server: any subset of any block. */
export const PolicyOverridesSchema = z.strictObject({
  timeouts: TimeoutsSchema.partial().optional(),
  reconnect: ReconnectSchema.partial().optional(),
  breaker: BreakerSchema.partial().optional(),
  health: HealthSchema.partial().optional(),
  limits: LimitsSchema.partial().optional(),
  replay: ReplaySchema.optional(),
  protocol: ProtocolSchema.optional(),
  admission: AdmissionSchema.partial().optional(),
});

export type Policy = z.output<typeof PolicySchema>;
export type PolicyOverrides = z.output<typeof PolicyOverridesSchema>;
export type AdmissionConfig = z.output<typeof AdmissionSchema>;
