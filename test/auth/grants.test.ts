import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { harness, httpServer, textOf, type Harness } from './harness.js';
import { startAuthServer, startResourceServer, type AuthServerOptions, type TestAuthServer, type TestResourceServer } from './servers.js';

/** Machine-to-machine grants: client_credentials (secret or private_key_jwt) and SEP-990 cross-app access. */

let as: TestAuthServer;
let rs: TestResourceServer;
let h: Harness;
let idp: Server | undefined;

async function start(options: AuthServerOptions = {}, scopesFor?: (method: string) => string[]) {
  as = await startAuthServer(options);
  rs = await startResourceServer(as, { authServer: () => as.url, ...(scopesFor ? { scopesFor } : {}) });
  h = harness();
}

afterEach(async () => {
  await h?.close();
  await rs?.close();
  await as?.close();
  if (idp) await new Promise((r) => idp!.close(r));
  idp = undefined;
});

const cc = (extra: Record<string, unknown>) => ({ type: 'client_credentials', clientId: 'svc', ...extra });

describe('client_credentials', () => {
  it('authenticates with client_secret_basic when the server supports it', async () => {
    await start({ authMethods: ['client_secret_basic'] });
    const session = await h.connect(httpServer(rs.url, cc({ clientSecret: 'svc-secret-value' })));
    expect(textOf(await session.client.callTool({ name: 'whoami', arguments: {} }))).toBe('guarded');
    expect(as.tokenRequests).toHaveLength(1);
    expect(as.tokenRequests[0]).toMatchObject({ grant: 'client_credentials', authorization: `Basic ${btoa('svc:svc-secret-value')}` });
    expect(as.tokenRequests[0]!.body.client_secret).toBeUndefined();
    expect(as.registrations).toHaveLength(0);
    expect(as.authorizeRequests).toHaveLength(0);
  });

  it('authenticates with client_secret_post when that is all the server supports', async () => {
    await start({ authMethods: ['client_secret_post'] });
    await h.connect(httpServer(rs.url, cc({ clientSecret: 'svc-secret-value', scopes: ['jobs'] })));
    expect(as.tokenRequests[0]).toMatchObject({ grant: 'client_credentials', body: { client_id: 'svc', client_secret: 'svc-secret-value', scope: 'jobs' } });
    expect(as.tokenRequests[0]!.authorization).toBeUndefined();
  });

  it('signs a private_key_jwt assertion with a SEC1 EC key, inferring ES256', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await start({ authMethods: ['private_key_jwt'], assertionKey: publicKey });
    const pem = privateKey.export({ format: 'pem', type: 'sec1' }).toString();
    const session = await h.connect(httpServer(rs.url, cc({ privateKey: pem })));
    await session.client.listTools();
    const request = as.tokenRequests[0]!;
    expect(request.body.client_assertion_type).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    const header = JSON.parse(Buffer.from(request.body.client_assertion!.split('.')[0]!, 'base64url').toString());
    expect(header.alg).toBe('ES256');
    // The test server verified the signature and the audience (its issuer) before issuing.
    expect(as.tokens.size).toBe(1);
  });

  it('gets a new token on a 401 mid-session and one with the larger scope on 403 insufficient_scope', async () => {
    await start({ authMethods: ['client_secret_basic'] }, (method) => (method === 'tools/call' ? ['write'] : []));
    const session = await h.connect(httpServer(rs.url, cc({ clientSecret: 'svc-secret-value' })));
    as.revokeAccessTokens();
    await session.client.listTools();
    await session.client.callTool({ name: 'echo', arguments: { text: 'x' } });
    expect(as.tokenRequests.map((r) => r.body.scope ?? '')).toEqual(['', '', 'write']);
  });
});

describe('cross_app (SEP-990)', () => {
  it('exchanges the ID token for an ID-JAG at the IdP, then uses it as a JWT-bearer grant', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await start({ authMethods: ['client_secret_basic'], assertionKey: publicKey });
    const exchanges: Record<string, string>[] = [];
    idp = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const form = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString()));
      exchanges.push(form);
      const jag = await new SignJWT({ resource: form.resource, client_id: 'mcp-client' })
        .setProtectedHeader({ alg: 'ES256', typ: 'oauth-id-jag+jwt' })
        .setAudience(form.audience!)
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(privateKey);
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ access_token: jag, issued_token_type: 'urn:ietf:params:oauth:token-type:id-jag', token_type: 'N_A' }));
    });
    await new Promise<void>((r) => idp!.listen(0, '127.0.0.1', () => r()));
    const tokenEndpoint = `http://127.0.0.1:${(idp.address() as AddressInfo).port}/token`;
    const session = await h.connect(
      httpServer(rs.url, { type: 'cross_app', clientId: 'mcp-client', clientSecret: 'mcp-client-secret', idp: { tokenEndpoint, idToken: 'id-token-of-the-user', clientId: 'idp-client' } }),
    );
    expect(textOf(await session.client.callTool({ name: 'echo', arguments: { text: 'xaa' } }))).toBe('xaa');
    expect(exchanges).toEqual([
      {
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
        requested_token_type: 'urn:ietf:params:oauth:token-type:id-jag',
        audience: as.url,
        resource: rs.url,
        subject_token: 'id-token-of-the-user',
        subject_token_type: 'urn:ietf:params:oauth:token-type:id_token',
        client_id: 'idp-client',
      },
    ]);
    expect(as.tokenRequests).toHaveLength(1);
    expect(as.tokenRequests[0]).toMatchObject({ grant: 'urn:ietf:params:oauth:grant-type:jwt-bearer', authorization: `Basic ${btoa('mcp-client:mcp-client-secret')}` });
  });
});
