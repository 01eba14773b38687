import { describe, expect, it } from 'vitest';
import { Outbox } from '../../src/gateway/outbox.js';
import { isNotificationEvent } from '../../src/gateway/sseBody.js';
import type { Logger } from '../../src/logger.js';

/** The queue of one downstream stream (issue 18): notifications go first, oldest first; responses stay. */

const bytes = (text: string) => new TextEncoder().encode(text);
const sse = (message: unknown) => bytes(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
const text = (chunk: Uint8Array | undefined) => (chunk ? new TextDecoder().decode(chunk) : '');

function outbox(lines: string[] = []): Outbox {
  const logger: Logger = { log: (level, message) => void lines.push(`${level} ${message}`) };
  return new Outbox({ maxBufferedBytes: 30, stallBytes: 20, droppable: (chunk) => text(chunk).startsWith('n'), label: 'client', logger });
}

describe('Outbox', () => {
  it('drops the oldest notifications past the budget, keeps every response, and warns once per episode', () => {
    const lines: string[] = [];
    const box = outbox(lines);
    for (const chunk of ['n1........', 'r1........', 'n2........', 'n3........', 'r2........']) box.push(bytes(chunk));
    expect(box.bytes).toBe(40);
    let drained = '';
    for (let chunk = box.take(10); chunk; chunk = box.take(10)) drained += text(chunk);
    // n1, the oldest notification, made room for n3; r2 was queued past the budget.
    expect(drained).toBe('r1........n2........n3........r2........');
    expect(lines).toEqual([
      'warn gateway: client is not reading; dropping notifications past 30 queued bytes (gateway.maxBufferedBytes)',
      'warn gateway: client caught up; 1 notification(s) were dropped while it did not read',
    ]);
  });

  it('says stalled once responses alone pass the budget and the stall allowance', () => {
    const box = outbox();
    const results = Array.from({ length: 7 }, () => box.push(bytes('r.........')));
    expect(results).toEqual(['queued', 'queued', 'queued', 'queued', 'queued', 'queued', 'stalled']);
    expect(box.push(bytes('n.........'))).toBe('dropped');
  });

  it('tells notifications and keep-alive comments from responses and requests in SDK events', () => {
    expect(isNotificationEvent(sse({ method: 'notifications/message', params: {}, jsonrpc: '2.0' }))).toBe(true);
    expect(isNotificationEvent(bytes(': keepalive\n\n'))).toBe(true);
    expect(isNotificationEvent(sse({ result: {}, jsonrpc: '2.0', id: 1 }))).toBe(false);
    expect(isNotificationEvent(sse({ method: 'roots/list', jsonrpc: '2.0', id: 2 }))).toBe(false);
    expect(isNotificationEvent(bytes('event: message\ndata: {broken\n\n'))).toBe(false);
  });
});
