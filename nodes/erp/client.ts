/**
 * One connection's way to the ERP: base URL, HTTP client and authentication. Every call gets the auth
 * headers; a 401 renews them once (OAuth2 fetches a new token) and repeats the call, which is safe because
 * a 401 means the ERP did nothing. Transport failures become ErpFailures (retry or ambiguous).
 */
import type { Authenticator, Send } from './auth';
import type { HttpClient, HttpResponse } from './http';
import { TransportError } from './http';
import { ErpFailure, transportFailure } from './outcome';

export class ErpClient {
  private readonly abort = new AbortController();

  constructor(
    readonly baseUrl: string,
    private readonly http: HttpClient,
    private readonly auth: Authenticator,
  ) {}

  /** Absolute URL of a path (paths start with "/"; an absolute URL is kept as it is). */
  url(path: string): string {
    return /^https?:\/\//i.test(path) ? path : `${this.baseUrl.replace(/\/+$/, '')}${path}`;
  }

  readonly send: Send = async (req) => {
    for (let attempt = 0; ; attempt++) {
      const res = await this.once(req);
      if (res.status !== 401 || attempt >= 1 || !this.auth.invalidate()) return res;
    }
  };

  private async once(req: Parameters<Send>[0]): Promise<HttpResponse> {
    const auth = await this.auth.headers();
    try {
      return await this.http.request({ method: req.method, url: this.url(req.path), headers: { ...auth, ...req.headers }, ...(req.body !== undefined ? { body: req.body } : {}) }, this.abort.signal);
    } catch (err) {
      if (err instanceof TransportError) throw new ErpFailure(transportFailure(err));
      throw err;
    }
  }

  /** Aborts calls in flight (their outcome becomes ambiguous, settled by a look-up on the next start). */
  close(): void {
    this.abort.abort();
    this.http.close();
  }
}
