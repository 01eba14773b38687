import { describe, expect, it } from 'vitest';
import { probe } from '../../src/protocol/negotiate.js';
import type { McpTransport } from '../../src/protocol/transport.js';

/**
 * The probe's corrective round (SEP-2575): a server that refuses the version we sent with −32022
 * but names it among what it supports is asked once more, with a new id; a second refusal is final.
 */

const DISCOVER = { supportedVersions: ['2026-07-28'], capabilities: {}, resultType: 'complete' };

/** A transport whose server answers the n-th request with `answers[n]`. */
function scripted(answers: ((id: unknown) => Record<string, unknown>)[]): McpTransport & { ids: unknown[] } {
  const ids: unknown[] = [];
  const transport: McpTransport & { ids: unknown[] } = {
    ids,
    start: async () => undefined,
    close: async () => undefined,
    send: async (message: { id: unknown }) => {
      const answer = answers[ids.length];
      ids.push(message.id);
      if (answer) queueMicrotask(() => transport.onmessage?.({ jsonrpc: '2.0', id: message.id, ...answer(message.id) }));
    },
  };
  return transport;
}

const refusal = () => ({ error: { code: -32022, message: 'Unsupported protocol version', data: { supported: ['2026-07-28'], requested: '' } } });
const options = { clientInfo: { name: 't', version: '1' }, capabilities: {}, timeoutMs: 5_000, signal: new AbortController().signal };

describe('the era probe', () => {
  it('asks once more when the server refuses the version it names as supported, and finds it modern', async () => {
    const transport = scripted([refusal, () => ({ result: DISCOVER })]);
    await expect(probe(transport, options)).resolves.toMatchObject({ kind: 'modern' });
    expect(transport.ids).toHaveLength(2);
    expect(transport.ids[0]).not.toEqual(transport.ids[1]);
  });

  it('gives up after the second refusal: unsupported, naming what the server listed', async () => {
    const transport = scripted([refusal, refusal, () => ({ result: DISCOVER })]);
    await expect(probe(transport, options)).resolves.toMatchObject({ kind: 'unsupported', supported: ['2026-07-28'] });
    expect(transport.ids).toHaveLength(2);
  });
});
