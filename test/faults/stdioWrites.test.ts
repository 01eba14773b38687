import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { coalesceWrites } from '../../src/protocol/v1/connect.js';
import { until } from '../helpers/switchboard.js';

/** A child that answers its first stdin chunk with the number of lines in it. */
const CHILD = `process.stdin.once('data', (d) => process.stdout.write(JSON.stringify({ jsonrpc: '2.0', method: 'chunk', params: { lines: String(d).split('\\n').length - 1 } }) + '\\n')); process.stdin.on('end', () => process.exit(0));`;

describe('stdio writes', () => {
  let transport: StdioClientTransport | undefined;
  afterEach(async () => {
    await transport?.close();
    transport = undefined;
  });

  it('sends the messages of one tick in one write, released on the next turn of the event loop', async () => {
    transport = new StdioClientTransport({ command: process.execPath, args: ['-e', CHILD], stderr: 'ignore' });
    coalesceWrites(transport);
    const got: JSONRPCMessage[] = [];
    transport.onmessage = (message) => got.push(message);
    await transport.start();
    const stdin = (transport as unknown as { _process: { stdin: { writableCorked: number } } })._process.stdin;
    const sent = [1, 2, 3].map((n) => transport!.send({ jsonrpc: '2.0', method: 'notifications/note', params: { n } }));
    expect(stdin.writableCorked).toBe(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(stdin.writableCorked).toBe(0);
    await Promise.all(sent);
    await until(() => got.length === 1, 5_000, 'the child to report its first chunk');
    expect(got[0]).toMatchObject({ method: 'chunk', params: { lines: 3 } });
  });
});
