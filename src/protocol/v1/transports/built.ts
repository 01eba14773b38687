import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';

/** A transport as one builder made it, with how to end it (SDK 1.32.x types). */
export interface Built {
  transport: Transport;
  /** Ends it completely, closing `client` (the session's SDK Client, of either era) first. */
  close(client: Pick<Client, 'close'>): Promise<void>;
  retryAfterMs(): number | undefined;
  /** Why the session ended itself (its stdout lost its framing), if it did. */
  fault?(): Error | undefined;
  /** The Client taking this transport validates every message itself (stdio: screening only, see stdioFraming.ts). */
  trustClient?(): void;
}
