/**
 * A test REST service for the generic dialect: POST /bookings stores a JSON booking (the key in its `key`
 * field), GET /bookings?key= finds it. Implements the Idempotency-Key draft (a replay returns the stored
 * answer, the same key in flight is 409, the key with another payload is 422) and the authentication
 * modes of the connection: basic, bearer, API key header, or OAuth2 client credentials with its own token
 * endpoint (POST /oauth2/token; tokens expire after `tokenLifetimeS`, or at once with expireTokens()).
 */
import { randomBytes } from 'node:crypto';
import express from 'express';
import type { Request, Response } from 'express';
import { IdempotencyKeys, admitRequest } from '../../../simulator/idempotency';
import type { Fault } from './common';
import { TestServer, applyFaultBefore, str } from './common';

export type RestAuth = 'none' | 'basic' | 'bearer' | 'api-key' | 'oauth2';

export class RestTestServer extends TestServer {
  private readonly tokens = new Map<string, number>();
  tokenRequests = 0;
  tokenLifetimeS = 3600;
  private readonly idempotency = new IdempotencyKeys();
  private next = 1;

  constructor(
    readonly auth: RestAuth = 'none',
    readonly secrets = { user: 'mes', password: 'pw-1', token: 'static-token', apiKey: 'key-123', clientId: 'hub', clientSecret: 'hub-secret' },
  ) {
    const app = express();
    super(app);
    app.post('/oauth2/token', express.urlencoded({ extended: false }), (req, res) => this.token(req, res));
    app.use(express.json({ limit: '1mb' }));
    app.use('/bookings', (req, res, next) => {
      if (this.authorized(req)) return next();
      res.status(401).set('WWW-Authenticate', 'Bearer error="invalid_token"').json({ error: 'unauthorized', message: 'missing or invalid credentials' });
    });
    app.post('/bookings', (req, res) => void this.book(req, res));
    app.get('/bookings', (req, res) => {
      this.lookupCount++;
      const key = str(req.query.key ?? '');
      res.json(this.bookings.filter((b) => b.doc.key === key).map((b) => b.doc));
    });
  }

  expireTokens(): void {
    this.tokens.clear();
  }

  private authorized(req: Request): boolean {
    const h = req.headers.authorization ?? '';
    const s = this.secrets;
    switch (this.auth) {
      case 'none':
        return true;
      case 'basic':
        return h === `Basic ${Buffer.from(`${s.user}:${s.password}`).toString('base64')}`;
      case 'bearer':
        return h === `Bearer ${s.token}`;
      case 'api-key':
        return req.headers['x-api-key'] === s.apiKey;
      case 'oauth2': {
        const exp = this.tokens.get(h.replace(/^Bearer /, ''));
        return exp !== undefined && exp > Date.now();
      }
    }
  }

  private token(req: Request, res: Response): void {
    this.tokenRequests++;
    const body = req.body as Record<string, string>;
    let id = body.client_id;
    let secret = body.client_secret;
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '');
    if (basic) [id, secret] = Buffer.from(basic[1], 'base64').toString().split(':').map(decodeURIComponent);
    if (body.grant_type !== 'client_credentials') {
      res.status(400).json({ error: 'unsupported_grant_type' });
      return;
    }
    if (id !== this.secrets.clientId || secret !== this.secrets.clientSecret) {
      res.status(401).set('WWW-Authenticate', 'Basic').json({ error: 'invalid_client', error_description: 'client authentication failed' });
      return;
    }
    const token = randomBytes(12).toString('hex');
    this.tokens.set(token, Date.now() + this.tokenLifetimeS * 1000);
    res.set('Cache-Control', 'no-store').json({ access_token: token, token_type: 'Bearer', expires_in: this.tokenLifetimeS });
  }

  private async book(req: Request, res: Response): Promise<void> {
    this.postCount++;
    const raw = JSON.stringify(req.body);
    const admitted = admitRequest(this.idempotency, req, res, raw);
    if (admitted === 'answered') return;
    const idem = admitted.key;
    const forget = (): void => {
      if (idem) this.idempotency.forget(idem);
    };
    const fault: Fault | undefined = this.faults.take();
    const step = await applyFaultBefore(fault, req, res, (status, body, headers = {}) => res.status(status).set(headers).json(body));
    if (step === 'answered') return forget();
    const doc = req.body as Record<string, unknown>;
    if (fault?.type === 'validation' || typeof doc.key !== 'string') {
      forget();
      res.status(422).json({ message: fault?.type === 'validation' ? (fault.message ?? 'order is closed') : 'key is required' });
      return;
    }
    const stored = { ...doc, id: `B-${this.next++}` };
    this.bookings.push({ token: str(doc.key), order: str(doc.order ?? ''), at: Date.now(), doc: stored });
    if (idem) this.idempotency.settle(idem, raw, 201, stored);
    if (step === 'drop-after') {
      req.socket.destroy();
      return;
    }
    res.status(201).json(stored);
  }
}
