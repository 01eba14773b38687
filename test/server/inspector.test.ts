import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startInspector, sanitizeContext } from '../../src/server/inspector.js';
import { createSwitchboard } from '../../src/switchboard.js';
import { stdioServer, until } from '../helpers/switchboard.js';

describe('inspector relay', () => {
  it('streams machine definitions and snapshots of a running switchboard to a WebSocket client', async () => {
    const relay = await startInspector();
    expect(relay.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    const sb = createSwitchboard({ servers: { files: stdioServer('files', undefined, { env: { API_KEY: 'inspect-SECRET-1' } }) } }, { inspect: relay.inspect });
    await sb.start();
    await sb.callTool('files__whoami');
    const messages: { type: string; definition?: string; snapshot?: string; sessionId?: string }[] = [];
    const viewer = new WebSocket(relay.url);
    let rawText = '';
    viewer.on('message', (data) => {
      rawText += data.toString();
      messages.push(JSON.parse(data.toString()));
    });
    await until(() => messages.some((m) => m.type === '@xstate.snapshot') && messages.filter((m) => m.type === '@xstate.actor').length >= 4, 10_000, 'inspection messages');
    const actors = messages.filter((m) => m.type === '@xstate.actor');
    const ids = actors.map((m) => JSON.parse(m.definition ?? '{}').id);
    expect(ids).toEqual(expect.arrayContaining(['manager', 'serverConnection', 'circuitBreaker']));
    expect(rawText).toContain('connected');
    expect(rawText).not.toContain('inspect-SECRET-1');
    viewer.close();
    await sb.stop();
    await relay.close();
  });

  it('masks secret-looking keys in context', () => {
    expect(sanitizeContext({ a: 1, headers: { x: 'y' }, nested: [{ token: 't', ok: true }] })).toEqual({ a: 1, headers: '***', nested: [{ token: '***', ok: true }] });
  });
});
