import { describe, expect, it } from 'vitest';
import { Outbox } from '../../src/gateway/outbox.js';
import { isNotificationEvent } from '../../src/gateway/sseBody.js';
import type { Logger } from '../../src/core/logger.js';

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

  it('keeps memory flat while a client does not read: dropped notifications are forgotten, not only marked', () => {
    const box = new Outbox({ maxBufferedBytes: 1_000, stallBytes: 0, droppable: () => true, label: 'client' });
    box.push(bytes('r.........'), false);
    let most = 0;
    for (let i = 0; i < 200_000; i++) {
      box.push(bytes('n.........'));
      most = Math.max(most, box.size);
    }
    // 100 notifications of 10 bytes fit in the budget; the 199 900 dropped ones leave nothing behind.
    expect(box.bytes).toBe(1_000);
    expect(most).toBeLessThan(2_500);
    expect(text(box.take(100))).toBe('r.........'.padEnd(100, 'n.........'));
  });

  it('queues one notification larger than the whole budget when nothing is ahead of it, and warns of nothing', () => {
    const lines: string[] = [];
    const box = outbox(lines);
    expect(box.push(bytes(`n${'.'.repeat(99)}`))).toBe('queued');
    expect(text(box.take())).toHaveLength(100);
    // Behind unread data it is the client's backlog: dropped as before.
    box.push(bytes('r.........'));
    expect(box.push(bytes(`n${'.'.repeat(99)}`))).toBe('dropped');
    expect(lines).toHaveLength(1);
  });

  it('counts a client as stuck only when it has also taken nothing for stallMs', () => {
    let now = 0;
    const box = new Outbox({ maxBufferedBytes: 30, stallBytes: 20, stallMs: 1_000, droppable: () => false, label: 'client', now: () => now });
    const pushes = Array.from({ length: 10 }, () => box.push(bytes('r.........')));
    expect(pushes.every((p) => p === 'queued')).toBe(true);
    expect(box.stuckMs()).toBe(0);
    now = 999;
    expect(box.stalled()).toBe(false);
    box.take(10);
    now = 1_998;
    expect(box.push(bytes('r.........'))).toBe('queued');
    now = 1_999;
    expect(box.stalled()).toBe(true);
    expect(box.push(bytes('r.........'))).toBe('stalled');
  });

  it('tells notifications and keep-alive comments from responses and requests in SDK events', () => {
    expect(isNotificationEvent(sse({ method: 'notifications/message', params: {}, jsonrpc: '2.0' }))).toBe(true);
    expect(isNotificationEvent(bytes(': keepalive\n\n'))).toBe(true);
    expect(isNotificationEvent(sse({ result: {}, jsonrpc: '2.0', id: 1 }))).toBe(false);
    expect(isNotificationEvent(sse({ method: 'roots/list', jsonrpc: '2.0', id: 2 }))).toBe(false);
    expect(isNotificationEvent(bytes('event: message\ndata: {broken\n\n'))).toBe(false);
  });
});
