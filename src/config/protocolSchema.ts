import { z } from 'zod';

/**
 * The `protocol` key (DESIGN §15), per server and in `defaults`: which MCP era a server is spoken
 * to in. `auto` (the default) asks `server/discover` first and falls back to the legacy handshake;
 * `2025-11-25` is the legacy `initialize` handshake (it still negotiates down to older versions);
 * `2026-07-28` is the modern era only.
 */

/** Every accepted value, in the order messages list them. */
export const PROTOCOL_CHOICES = ['auto', '2025-11-25', '2026-07-28'] as const;

/** `protocol:` of a server or of `defaults`. Defaults to `auto` (`DEFAULT_POLICY.protocol`). */
export const ProtocolSchema = z.enum(PROTOCOL_CHOICES, { error: `must be one of ${PROTOCOL_CHOICES.join(', ')}` });

/** The protocol config of a server (the protocol seam, src/protocol/session.ts, takes it from here). */
export type ProtocolChoice = z.output<typeof ProtocolSchema>;
