/**
 * Authentication against the test REST service: basic, bearer, API key header, and OAuth2 client
 * credentials (fetched once and cached, refreshed at expiry, refetched once on a 401, invalid_client is a
 * credentials alarm, not a busy loop).
 */
import assert from 'node:assert/strict';
import type { AuthConfig } from '../../nodes/erp/auth';
import { OAuth2Auth, createAuthenticator } from '../../nodes/erp/auth';
import { ErpClient } from '../../nodes/erp/client';
import { RestDialect } from '../../nodes/erp/dialects/rest';
import { HttpClient } from '../../nodes/erp/http';
import type { ErpFailure } from '../../nodes/erp/outcome';
import type { RestAuth } from './servers/rest';
import { RestTestServer } from './servers/rest';
import { confirmation } from './support/records';

const dialect = new RestDialect({ method: 'POST', url: '/bookings', body: '{"key": "{{key}}", "order": "{{order}}"}', lookupUrl: '/bookings?key={{key}}', kinds: ['confirmation'] });

describe('ERP authentication', function () {
  this.timeout(10000);
  let server: RestTestServer;
  let http: HttpClient;
  const open = async (mode: RestAuth, auth: AuthConfig): Promise<{ client: ErpClient }> => {
    server = await new RestTestServer(mode).start();
    http = new HttpClient({ connectTimeoutMs: 1000, timeoutMs: 2000 });
    return { client: new ErpClient(server.url, http, createAuthenticator(auth, http)) };
  };
  afterEach(async () => {
    http.close();
    await server.stop();
  });

  for (const [mode, good, bad] of [
    ['basic', { type: 'basic', username: 'mes', password: 'pw-1' }, { type: 'basic', username: 'mes', password: 'wrong' }],
    ['bearer', { type: 'bearer', token: 'static-token' }, { type: 'bearer', token: 'old' }],
    ['api-key', { type: 'api-key', header: 'X-API-Key', value: 'key-123' }, { type: 'api-key', header: 'X-API-Key', value: 'nope' }],
  ] as [RestAuth, AuthConfig, AuthConfig][]) {
    it(`${mode}: accepted with the right credentials, a credentials failure (not a dead letter) with wrong ones`, async () => {
      const { client } = await open(mode, good);
      assert.equal((await dialect.post(confirmation('a-1'), client.send)).ref, 'B-1');
      const wrong = new ErpClient(server.url, http, createAuthenticator(bad, http));
      await assert.rejects(dialect.post(confirmation('a-2'), wrong.send), (err: ErpFailure) => err.failure.kind === 'auth');
    });
  }

  it('OAuth2: one token for many calls, refreshed when it nears expiry, refetched once on a 401', async () => {
    await open('oauth2', { type: 'none' });
    const oauth = new OAuth2Auth({ type: 'oauth2', tokenUrl: `${server.url}/oauth2/token`, clientId: 'hub', clientSecret: 'hub-secret', clientAuth: 'basic' }, http);
    const c = new ErpClient(server.url, http, oauth);
    // Concurrent first calls share one token request (single flight).
    await Promise.all([1, 2, 3].map((i) => dialect.post(confirmation(`o-${i}`), c.send)));
    assert.equal(server.tokenRequests, 1);
    // The resource server drops its tokens: the 401 makes the client fetch a new one and repeat, once.
    server.expireTokens();
    await dialect.post(confirmation('o-4'), c.send);
    assert.equal(server.tokenRequests, 2);
    assert.equal(server.bookings.length, 4);
  });

  it('OAuth2: a short-lived token is refreshed before it expires, with the client in the form body', async () => {
    await open('oauth2', { type: 'none' });
    server.tokenLifetimeS = 2;
    const oauth = new OAuth2Auth({ type: 'oauth2', tokenUrl: `${server.url}/oauth2/token`, clientId: 'hub', clientSecret: 'hub-secret', clientAuth: 'body' }, http);
    const c = new ErpClient(server.url, http, oauth);
    await dialect.post(confirmation('s-1'), c.send);
    await new Promise((r) => setTimeout(r, 1100));
    // Past lifetime minus the margin (half of a 2 s token): a new token before the call, no 401 round trip.
    const posts = server.postCount;
    await dialect.post(confirmation('s-2'), c.send);
    assert.equal(server.tokenRequests, 2);
    assert.equal(server.postCount, posts + 1);
  });

  it('OAuth2: invalid_client is a credentials failure (alarm), not retried in a loop', async () => {
    await open('oauth2', { type: 'none' });
    const oauth = new OAuth2Auth({ type: 'oauth2', tokenUrl: `${server.url}/oauth2/token`, clientId: 'hub', clientSecret: 'wrong', clientAuth: 'basic' }, http);
    const c = new ErpClient(server.url, http, oauth);
    await assert.rejects(dialect.post(confirmation('x-1'), c.send), (err: ErpFailure) => err.failure.kind === 'auth' && /invalid_client: client authentication failed/.test(err.message));
    assert.equal(server.tokenRequests, 1);
  });
});
