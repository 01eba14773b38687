import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveConfig, type RuntimeServer } from '../../src/config/index.js';
import { ConfigError } from '../../src/core/errors.js';
import { displayTarget, redactText, secretsOf } from '../../src/secrets/redact.js';
import { createSwitchboard, type Switchboard } from '../../src/switchboard/switchboard.js';
import { FAST, STDIO_FIXTURE, until } from '../helpers/switchboard.js';

const TOKEN = 'tok-4f1c9e7a2b';

function resolved(server: Record<string, unknown>, env: NodeJS.ProcessEnv): RuntimeServer {
  return resolveConfig({ servers: { s: server } }, { env }).servers.s!;
}

describe('secretsOf', () => {
  it('holds every value a ${VAR} took from the environment, wherever it landed', () => {
    const server = resolved(
      { command: '${BIN}', args: ['--token=${ARG_TOKEN}', '${LEVEL:-info}'], cwd: '${WORKDIR}' },
      { BIN: '/opt/secret-bin/server', ARG_TOKEN: TOKEN, WORKDIR: '/home/someone/private' },
    );
    const secrets = secretsOf(server);
    expect(secrets).toEqual(expect.arrayContaining(['/opt/secret-bin/server', TOKEN, '/home/someone/private']));
    // A default written in the file is no secret: the file shows it anyway.
    expect(secrets).not.toContain('info');
  });

  it('holds URL query values, percent-encoded forms and bearer tokens', () => {
    const server = resolved(
      { url: 'https://api.example.test/mcp?key=${API_KEY}&plain=visible-value', headers: { Authorization: 'Bearer ${HEADER_TOKEN}' } },
      { API_KEY: 'k3y with space', HEADER_TOKEN: TOKEN },
    );
    const secrets = secretsOf(server);
    expect(secrets).toEqual(expect.arrayContaining(['k3y with space', 'k3y%20with%20space', 'visible-value', TOKEN, `Bearer ${TOKEN}`]));
    const text = `GET https://api.example.test/mcp?key=k3y%20with%20space failed; auth Bearer ${TOKEN}`;
    expect(redactText(text, secrets)).toBe('GET https://api.example.test/mcp?key=*** failed; auth ***');
  });
});

describe('secretsOf an auth block', () => {
  it('holds every credential written inline, and not the type, scopes, algorithm or URLs', () => {
    const pem = `-----BEGIN PRIVATE KEY-----\n${'A'.repeat(64)}\n${'B'.repeat(20)}\n-----END PRIVATE KEY-----\n`;
    const cc = resolved({ url: 'https://mcp.example.test/mcp', auth: { type: 'client_credentials', clientId: 'service-7', privateKey: pem, algorithm: 'ES256', scopes: ['jobs:read'] } }, {});
    expect(secretsOf(cc)).toEqual(expect.arrayContaining(['service-7', pem, 'A'.repeat(64) + 'B'.repeat(20), 'A'.repeat(64), 'B'.repeat(20)]));
    const xaa = resolved(
      {
        url: 'https://mcp.example.test/mcp',
        auth: { type: 'cross_app', clientId: 'mcp-client', clientSecret: 'inline-secret', idp: { tokenEndpoint: 'https://idp.example.test/token', idToken: 'eyJ.id.token', clientId: 'idp-client', clientSecret: 'idp-secret' } },
      },
      {},
    );
    const secrets = secretsOf(xaa);
    expect(secrets).toEqual(expect.arrayContaining(['mcp-client', 'inline-secret', 'eyJ.id.token', 'idp-client', 'idp-secret']));
    for (const shown of ['cross_app', 'https://idp.example.test/token', 'ES256', 'jobs:read']) {
      expect(secrets).not.toContain(shown);
      expect(secretsOf(cc)).not.toContain(shown);
    }
    expect(redactText('token exchange for idp-client with eyJ.id.token failed', secrets)).toBe('token exchange for *** with *** failed');
  });
});

describe('displayTarget', () => {
  it('masks args, command parts and URL parts that hold a secret', () => {
    const env = { ARG_TOKEN: TOKEN, TENANT: 'acme-corp', PORT: '81' };
    expect(displayTarget(resolved({ command: 'node', args: ['server.js', '--token=${ARG_TOKEN}', '--port', '${PORT}'] }, env))).toBe(
      'node server.js --token=*** --port ***',
    );
    expect(displayTarget(resolved({ url: 'https://${TENANT}.example.test/t/${TENANT}/mcp?key=${ARG_TOKEN}#frag' }, env))).toBe(
      'https://***.example.test/t/***/mcp',
    );
  });

  it('never shows a query string, even one written literally', () => {
    expect(displayTarget(resolved({ url: 'http://127.0.0.1:9/mcp?api_key=literal-key' }, {}))).toBe('http://127.0.0.1:9/mcp');
  });
});

describe('URL credentials', () => {
  it('are a ConfigError at the url key that points to headers and does not echo the password', () => {
    let error: unknown;
    try {
      createSwitchboard({ servers: { remote: { transport: 'http', url: 'https://user:${PASS}@api.example.test/mcp' } } }, { env: { PASS: 'hunter2-pass' } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues).toEqual([{ path: 'servers.remote.url', message: expect.stringMatching(/credentials.*headers/) }]);
    expect((error as Error).message).not.toContain('hunter2-pass');
  });
});

describe('secrets through a running switchboard', () => {
  let sb: Switchboard | undefined;
  let http: Server | undefined;
  afterEach(async () => {
    await sb?.stop();
    sb = undefined;
    if (http) {
      http.closeAllConnections();
      await new Promise((resolve) => http!.close(resolve));
      http = undefined;
    }
  });

  it('masks an env secret that a stdio server prints to stderr in getServer().stderrTail', async () => {
    // A real MCP server that first prints its environment's token, as a chatty server might.
    const script = `process.stderr.write('booting with token=' + process.env.API_TOKEN + '\\n'); import(${JSON.stringify(STDIO_FIXTURE)});`;
    sb = createSwitchboard(
      { servers: { chatty: { transport: 'stdio', command: process.execPath, args: ['-e', script], env: { API_TOKEN: '${API_TOKEN}' }, ...FAST } } },
      { env: { API_TOKEN: TOKEN } },
    );
    await sb.start();
    await until(() => sb!.getServer('chatty')!.stderrTail.includes('pid'), 10_000, 'the fixture to announce itself');
    const status = sb.getServer('chatty')!;
    expect(status.state).toBe('connected');
    expect(status.stderrTail).toContain('booting with token=***');
    expect(JSON.stringify(sb.listServers())).not.toContain(TOKEN);
  });

  it('masks a command taken from ${VAR} in target, lastError and events', async () => {
    const bin = '/nonexistent/private-dir-8d3f/mcp-server';
    sb = createSwitchboard({ servers: { missing: { transport: 'stdio', command: '${MCP_BIN}', ...FAST } } }, { env: { MCP_BIN: bin } });
    const seen: string[] = [];
    sb.on('server.stateChanged', (e) => seen.push(JSON.stringify(e)));
    sb.on('server.log', (e) => seen.push(JSON.stringify(e)));
    await sb.start();
    await until(() => sb!.getServer('missing')!.lastError !== null, 10_000, 'the spawn failure');
    const status = sb.getServer('missing')!;
    expect(status.lastError!.message).not.toContain('private-dir-8d3f');
    expect(status.target).toBe('***');
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.join('\n')).not.toContain('private-dir-8d3f');
  });

  it('masks a ${VAR} in the URL query when the server quotes the URL back in an error', async () => {
    // A real (SDK-free) streamable HTTP MCP endpoint whose tool errors quote the request URL.
    http = createServer((req, res) => {
      if (req.method !== 'POST') {
        res.writeHead(405).end();
        return;
      }
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        const { id, method, params } = JSON.parse(body) as { id?: number; method: string; params: { protocolVersion?: string } };
        if (id === undefined) {
          res.writeHead(202).end();
          return;
        }
        const answers: Record<string, unknown> = {
          initialize: { result: { protocolVersion: params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'echo-url', version: '1' } } },
          'tools/list': { result: { tools: [{ name: 'fetch', inputSchema: { type: 'object' } }] } },
          'tools/call': { error: { code: -32603, message: `cannot serve ${req.url}` } },
        };
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ jsonrpc: '2.0', id, ...((answers[method] as object) ?? { result: {} }) }));
      });
    });
    await new Promise<void>((resolve) => http!.listen(0, '127.0.0.1', resolve));
    const port = (http.address() as AddressInfo).port;
    sb = createSwitchboard({ servers: { remote: { transport: 'http', url: `http://127.0.0.1:${port}/mcp?key=\${API_KEY}`, ...FAST } } }, { env: { API_KEY: 'qk-77e1a90c' } });
    const seen: string[] = [];
    sb.on('call.completed', (e) => seen.push(JSON.stringify(e)));
    await sb.start();
    expect(sb.getServer('remote')!.state).toBe('connected');
    expect(sb.getServer('remote')!.target).toBe(`http://127.0.0.1:${port}/mcp`);
    const error = await sb.callTool('fetch', {}).then(
      () => null,
      (e: Error) => e,
    );
    expect(error?.message).toContain('cannot serve /mcp?key=***');
    expect(error?.message).not.toContain('qk-77e1a90c');
    expect(seen.join('\n')).not.toContain('qk-77e1a90c');
    expect(sb.redact('retrying http://127.0.0.1/mcp?key=qk-77e1a90c')).toBe('retrying http://127.0.0.1/mcp?key=***');
  });
});
