import type { RuntimeServer } from '../config/schema.js';
import type { ProtocolConnector } from './session.js';
import { v1Connector } from './v1/session.js';

/**
 * The selector: which implementation opens a server's sessions. Today every server speaks the
 * legacy era on the v1 SDK; the 2026-07-28 era adds `v2/` and chooses here by the server's
 * `protocol` setting (and the era remembered for it), and nothing else changes (README, "A new
 * protocol era").
 */
export function connectorFor(_server: RuntimeServer): ProtocolConnector {
  return v1Connector;
}
