import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createSwitchboard, type Switchboard } from '../../src/index.js';
import { classifyConnectError, MessageTooLargeError, substituteError } from '../../src/protocol/v1/classify.js';
import { FramingLostError } from '../../src/protocol/v1/transports/stdioFraming.js';
import { startSseServer, startStreamableHttpServer } from '../helpers/httpServers.js';
import { FAST, stdioServer } from '../helpers/switchboard.js';

/** Over the demo server's initialize answer, under its tools/list answer (12 tools with schemas). */
const CAP = 1500;

/**
 * A catalog answer over `limits.maxMessageBytes` at connect is the server breaking the protocol:
 * `ProtocolError` (retried with backoff, naming the limit), on every transport, never `ConnectFailed`.
 */
describe('oversized answers while connecting', () => {
  let sb: Switchboard | undefined;
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    await sb?.stop();
    sb = undefined;
    for (const close of closers.splice(0)) await close();
  });

  const targets = {
    stdio: async () => stdioServer('big'),
    'streamable http': async () => {
      const http = await startStreamableHttpServer('big');
      closers.push(() => http.close());
      return { transport: 'http', url: http.url };
    },
    'legacy sse': async () => {
      const http = await startSseServer('big');
      closers.push(() => http.close());
      return { transport: 'sse', url: http.url };
    },
  };
  for (const [over, target] of Object.entries(targets)) {
    it(`reports an oversized tools/list at connect over ${over} as a retryable ProtocolError naming limits.maxMessageBytes`, async () => {
      sb = createSwitchboard({ servers: { big: (await target()) as never }, defaults: { ...FAST, limits: { maxMessageBytes: CAP } } as never });
      await sb.start();
      const server = sb.getServer('big')!;
      expect(server.state).not.toBe('connected');
      expect(server.lastError).toMatchObject({ code: 'ProtocolError', retryable: true, message: expect.stringContaining('limits.maxMessageBytes') });
    });
  }

  it('classifies every substituted or marked error at connect as a retryable ProtocolError', () => {
    const substitute = substituteError(0, 'invalid response envelope from the server: result is null').error;
    const breaches = [
      new McpError(substitute.code, substitute.message, substitute.data),
      new MessageTooLargeError(CAP),
      new FramingLostError(CAP, 'a line over the cap that is no response'),
    ];
    for (const error of breaches) expect(classifyConnectError(error)).toMatchObject({ code: 'ProtocolError', retryable: true });
    // The server's own -32603 is no breach of ours to name.
    expect(classifyConnectError(new McpError(-32603, 'internal')).code).toBe('ConnectFailed');
  });
});
