import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminApp } from '../../src/server/app.js';
import { ROUTES, tokenRequired } from '../../src/server/routes.js';
import { createSwitchboard, type Switchboard } from '../../src/switchboard/switchboard.js';
import { inMemoryServer } from '../helpers/switchboard.js';

const TOKEN = 'route-table-token-0123456789';
const lifecycle = { accepting: () => true, ready: () => true, begin: () => undefined, end: () => undefined };

/** A concrete path for a row (`:name` → the test's server, `:file` → the live view's script). */
const concrete = (path: string) => path.replace(':name', 'mem').replace(':file', 'app.js');

describe('the admin route table', () => {
  let sb: Switchboard;
  let app: ReturnType<typeof createAdminApp>;
  beforeAll(async () => {
    sb = createSwitchboard({ servers: {} }, { transports: { mem: inMemoryServer('mem') } });
    await sb.start();
    app = createAdminApp(sb, { token: TOKEN, allowedHosts: ['localhost'], redact: (t) => t, lifecycle });
  });
  afterAll(async () => {
    app.close();
    await sb.stop();
  });

  const request = (method: string, path: string, token?: string) =>
    app.app.request(concrete(path), {
      method,
      headers: { host: 'localhost', ...(token ? { authorization: `Bearer ${token}` } : {}), ...(method === 'POST' ? { 'content-type': 'application/json' } : {}) },
      ...(method === 'POST' ? { body: '{}' } : {}),
    });

  it("serves every row but the gateway's, and its token flag decides whether a request without the token is refused", async () => {
    for (const route of ROUTES.filter((r) => r.path !== '/mcp' && r.path !== '/mcp/events')) {
      const anonymous = await request(route.method, route.path);
      if (route.token) expect({ route: `${route.method} ${route.path}`, status: anonymous.status }).toEqual({ route: `${route.method} ${route.path}`, status: 401 });
      else expect({ route: `${route.method} ${route.path}`, status: anonymous.status }).not.toEqual({ route: `${route.method} ${route.path}`, status: 401 });
      const authorized = await request(route.method, route.path, TOKEN);
      // Reached its handler: never the table's 404 "no route" nor a 401.
      const body = await authorized.text();
      expect({ route: `${route.method} ${route.path}`, status: authorized.status, noRoute: body.includes('no route for') }).toMatchObject({ noRoute: false });
      expect(authorized.status).not.toBe(401);
    }
  });

  it('asks for the token before saying that an /mcp/ path or method does not exist', async () => {
    expect((await request('GET', '/mcp/no-such-route')).status).toBe(401);
    expect((await request('GET', '/mcp/no-such-route', TOKEN)).status).toBe(404);
    expect((await request('DELETE', '/mcp/servers')).status).toBe(401);
    const wrongMethod = await request('DELETE', '/mcp/servers', TOKEN);
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('GET, HEAD');
    expect((await request('GET', '/no-such-page')).status).toBe(404);
  });

  it('takes the token rule from the table only', () => {
    for (const route of ROUTES) expect(tokenRequired(route.method, concrete(route.path))).toBe(route.token);
    expect(tokenRequired('HEAD', '/healthz')).toBe(false);
    expect(tokenRequired('HEAD', '/mcp/servers')).toBe(true);
  });
});
