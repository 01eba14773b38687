/**
 * A transport an embedder or a test gives a server in code (`createSwitchboard(config, {
 * transports })`): any object of the MCP transport shape, e.g. the SDK's `InMemoryTransport` or a
 * `StdioClientTransport` of its own. Era-neutral: an implementation (`v1/`) takes it as its SDK's
 * transport.
 */
export interface McpTransport {
  start(): Promise<void>;
  send(message: any, options?: any): Promise<void>;
  close(): Promise<void>;
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  onmessage?: ((message: any, extra?: any) => void) | undefined;
  sessionId?: string | undefined;
}

/** A ready transport or a factory of fresh ones, given by an embedder or a test by server name. */
export type TransportSource = McpTransport | (() => McpTransport | Promise<McpTransport>);
