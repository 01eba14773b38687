import { describe, expect, it } from 'vitest';
import { createAdminApp } from '../../src/server/app.js';
import { createSwitchboard } from '../../src/switchboard/switchboard.js';
import { inMemoryServer, until } from '../helpers/switchboard.js';

const TOKEN = 'app-test-token-0123456789';
const lifecycle = { accepting: () => true, ready: () => true, begin: () => undefined, end: () => undefined };

describe('admin app', () => {
  it('streams error events on /mcp/events, e.g. a listener that throws', async () => {
    const sb = createSwitchboard({ servers: {} }, { transports: { mem: inMemoryServer('mem') } });
    await sb.start();
    const { app, close } = createAdminApp(sb, { token: TOKEN, allowedHosts: ['localhost'], redact: (t) => t, lifecycle });
    const response = await app.request('/mcp/events', { headers: { host: 'localhost', authorization: `Bearer ${TOKEN}` } });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    let seen = '';
    const reading = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        seen += Buffer.from(value).toString();
      }
    })();
    await until(() => seen.includes('event: ready'), 5_000, 'the stream to open');
    sb.on('call.completed', () => {
      throw new Error('listener boom');
    });
    await sb.callTool('mem__whoami');
    await until(() => /event: error\ndata: \{[^\n]*listener boom/.test(seen), 5_000, 'the error event');
    close();
    await reading;
    await sb.stop();
  });
});
