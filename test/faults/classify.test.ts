import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { SseError } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { brokenResponse, classifyCallError, classifyConnectError, idFromEdges, MessageTooLargeError } from '../../src/protocol/v1/classify.js';

describe('classifyCallError', () => {
  const refusals: [string, unknown][] = [
    ['a streamable HTTP 401', new StreamableHTTPError(401, 'Error POSTing to endpoint: not authorized')],
    ['a streamable HTTP 403', new StreamableHTTPError(403, 'Error POSTing to endpoint: forbidden')],
    ['a legacy SSE POST 401', new Error('Error POSTing to endpoint (HTTP 401): not authorized')],
    ['an SSE stream 403', new SseError(403, 'forbidden', new Event('error') as never)],
    ['an UnauthorizedError', new UnauthorizedError('token expired')],
  ];
  for (const [what, error] of refusals) {
    it(`reports ${what} as AuthRequired, not recorded by the breaker and never replayed`, () => {
      const failure = classifyCallError(error, null, 'web', 'echo');
      expect(failure.error.code).toBe('AuthRequired');
      expect(failure).toMatchObject({ outcome: 'ignored', authFailed: true, undispatched: false, sessionExpired: false, suspectConnection: false });
    });
  }

  it('keeps authFailed false for every other failure', () => {
    for (const error of [new StreamableHTTPError(500, 'x'), new StreamableHTTPError(404, 'x'), new McpError(ErrorCode.ConnectionClosed, 'closed'), new Error('boom')]) {
      expect(classifyCallError(error, null, 'web', 'echo').authFailed).toBe(false);
    }
  });

  it('lets our own timeout and cancel win over a 401 that raced them', () => {
    expect(classifyCallError(new StreamableHTTPError(401, 'x'), 'timeout', 'web', 'echo').error.code).toBe('ToolCallTimeout');
    expect(classifyCallError(new StreamableHTTPError(401, 'x'), 'cancelled', 'web', 'echo').error.code).toBe('Cancelled');
  });

  it('reports an oversized response as a ProtocolError the breaker counts', () => {
    const failure = classifyCallError(new MessageTooLargeError(1024), null, 'web', 'echo');
    expect(failure).toMatchObject({ outcome: 'failure', authFailed: false });
    expect(failure.error.code).toBe('ProtocolError');
    expect(failure.error.message).toContain('limits.maxMessageBytes');
  });
});

describe('classifyConnectError', () => {
  it('gives AuthRequired, not retryable, for 401, 403 and UnauthorizedError', () => {
    for (const error of [new StreamableHTTPError(401, 'x'), new StreamableHTTPError(403, 'x'), new SseError(401, 'x', new Event('error') as never), new UnauthorizedError()]) {
      expect(classifyConnectError(error, 5_000)).toEqual({ code: 'AuthRequired', message: expect.any(String), retryable: false });
    }
  });

  it('keeps other HTTP failures retryable', () => {
    expect(classifyConnectError(new StreamableHTTPError(503, 'x'), 5_000)).toMatchObject({ code: 'HTTP503', retryable: true, retryAfterMs: 5_000 });
  });
});

describe('brokenResponse', () => {
  it('names what is wrong with a response envelope', () => {
    expect(brokenResponse({ jsonrpc: '2.0', id: 3, result: 42 })).toEqual({ id: 3, problem: 'result is a number' });
    expect(brokenResponse({ jsonrpc: '2.0', id: 'a', result: [] })).toEqual({ id: 'a', problem: 'result is an array' });
    expect(brokenResponse({ jsonrpc: '2.0', id: 3, result: {}, error: { code: 1, message: 'x' } })).toEqual({ id: 3, problem: 'both result and error' });
    expect(brokenResponse({ jsonrpc: '2.0', id: 3 })).toEqual({ id: 3, problem: 'neither result nor error' });
    expect(brokenResponse({ jsonrpc: '2.0', id: 3, error: { code: 'x', message: 'y' } })).toEqual({ id: 3, problem: 'error.code is not an integer' });
    expect(brokenResponse({ jsonrpc: '1.0', id: 3, result: {} })).toEqual({ id: 3, problem: 'jsonrpc is not "2.0"' });
  });

  it('passes valid responses, requests, notifications and messages without a usable id', () => {
    expect(brokenResponse({ jsonrpc: '2.0', id: 3, result: {} })).toBeNull();
    expect(brokenResponse({ jsonrpc: '2.0', id: 3, error: { code: -32603, message: 'x', data: [1] } })).toBeNull();
    expect(brokenResponse({ jsonrpc: '2.0', id: 3, method: 'ping', result: 1 })).toBeNull();
    expect(brokenResponse({ jsonrpc: '2.0', method: 'notifications/progress' })).toBeNull();
    expect(brokenResponse({ jsonrpc: '2.0', id: 1.5, result: 42 })).toBeNull();
    expect(brokenResponse({ jsonrpc: '2.0', id: null, result: 42 })).toBeNull();
    expect(brokenResponse(42)).toBeNull();
  });

  it('reports a response the SDK rejected even when its shape looks right', () => {
    expect(brokenResponse({ jsonrpc: '2.0', id: 3, result: { _meta: 5 } }, true)).toMatchObject({ id: 3 });
  });
});

describe('idFromEdges', () => {
  it('reads a top-level id from the head or the tail of a message', () => {
    expect(idFromEdges('{"jsonrpc":"2.0","id":17,"result":{"content":[{"text":"xxx', '')).toBe(17);
    expect(idFromEdges('data: {"id":"r-1","jsonrpc":"2.0","result":', '')).toBe('r-1');
    expect(idFromEdges('{"result":{"content":[{"type":"text","text":"xxx', 'xxxx"}]},"jsonrpc":"2.0","id":42}')).toBe(42);
  });

  it('never takes a nested id for the message id', () => {
    expect(idFromEdges('{"result":{"id":5,"content":"xxx', 'xxx","inner":{"id":7}}}')).toBeUndefined();
    expect(idFromEdges('{"result":{"text":"xxx', 'xxx \\"id\\":9}"}')).toBeUndefined();
  });
});
