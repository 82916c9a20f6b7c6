/**
 * What every test ERP server shares: listening on 127.0.0.1 on a free port, being "down" (the port refuses
 * connections) and up again on the same port, closing every socket when stopped, and one-shot faults
 * injected into the booking endpoint: slow, 500, 503, 429 with Retry-After, validation error,
 * commit-then-drop (book, then destroy the socket before answering) and reset (destroy without booking).
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Express, NextFunction, Request, Response } from 'express';

export type Fault =
  | { readonly type: 'slow'; readonly ms: number }
  | { readonly type: '500' }
  | { readonly type: '503'; readonly retryAfterS?: number }
  | { readonly type: '429'; readonly retryAfterS: number }
  | { readonly type: 'validation'; readonly message?: string }
  | { readonly type: 'locked' }
  | { readonly type: 'commit-then-drop' }
  | { readonly type: 'reset' };

/** A booking the server stored, in arrival order. */
export interface Booking {
  /** The reconciliation key token found in the stored document. */
  readonly token: string;
  readonly order: string;
  readonly at: number;
  readonly doc: Record<string, unknown>;
}

export class FaultPlan {
  private readonly queue: Fault[] = [];
  /** Faults applied so far, by type (for assertions). */
  readonly applied: Record<string, number> = {};

  inject(fault: Fault, times = 1): void {
    for (let i = 0; i < times; i++) this.queue.push(fault);
  }

  take(): Fault | undefined {
    const f = this.queue.shift();
    if (f) this.applied[f.type] = (this.applied[f.type] ?? 0) + 1;
    return f;
  }

  clear(): void {
    this.queue.length = 0;
  }

  get pending(): number {
    return this.queue.length;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * The part of a fault that happens before booking. Returns true when the fault answered (or dropped) the
 * request; 'after' faults (commit-then-drop) are returned for the caller to apply once it has booked.
 */
export async function applyFaultBefore(fault: Fault | undefined, req: Request, res: Response, answer: (status: number, body: unknown, headers?: Record<string, string>) => void): Promise<'answered' | 'continue' | 'drop-after'> {
  if (!fault) return 'continue';
  switch (fault.type) {
    case 'slow':
      await sleep(fault.ms);
      return 'continue';
    case '500':
      res.status(500).type('text/html').send('<html><body><h1>500 Internal Server Error</h1></body></html>');
      return 'answered';
    case '503':
      answer(503, { error: 'Service Unavailable' }, fault.retryAfterS !== undefined ? { 'Retry-After': String(fault.retryAfterS) } : {});
      return 'answered';
    case '429':
      answer(429, { error: 'Too Many Requests' }, { 'Retry-After': String(fault.retryAfterS) });
      return 'answered';
    case 'reset':
      req.socket.destroy();
      return 'answered';
    case 'commit-then-drop':
      return 'drop-after';
    default:
      return 'continue';
  }
}

export class TestServer {
  readonly faults = new FaultPlan();
  readonly bookings: Booking[] = [];
  /** Booking requests received (including refused ones). */
  postCount = 0;
  lookupCount = 0;
  private server: http.Server;
  private readonly sockets = new Set<Socket>();
  port = 0;
  private down = false;

  constructor(readonly app: Express) {
    this.server = this.createServer();
  }

  private createServer(): http.Server {
    const server = http.createServer(this.app);
    server.keepAliveTimeout = 5000;
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    return server;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(port = 0): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** Down: the port refuses connections and open ones are cut; up: listening again on the same port. */
  async setDown(down: boolean): Promise<void> {
    if (down === this.down) return;
    this.down = down;
    if (down) {
      await this.stopListening();
    } else {
      this.server = this.createServer();
      await this.start(this.port);
    }
  }

  private stopListening(): Promise<void> {
    const server = this.server;
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => server.close(() => resolve()));
  }

  async stop(): Promise<void> {
    if (!this.down) await this.stopListening();
    this.down = true;
  }

  /** Bookings whose token is `token`. */
  booked(token: string): Booking[] {
    return this.bookings.filter((b) => b.token === token);
  }
}

/** express error handler that answers malformed JSON like the ERP's own front end would. */
export function jsonErrors(status: number, body: (message: string) => unknown) {
  return (err: Error, _req: Request, res: Response, next: NextFunction): void => {
    if (res.headersSent) return next(err);
    res.status(status).json(body(err.message));
  };
}

/** Text of a JSON value as the ERP would print it (objects as JSON, never "[object Object]"). */
export function str(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v);
}

/**
 * SQL LIKE as the ERP's database runs it: `%` any run of characters, `_` exactly one, and `\` (the
 * default escape of MariaDB and PostgreSQL) makes the next character literal. MariaDB's usual collation
 * compares case-insensitively; PostgreSQL's LIKE does not.
 */
export function sqlLike(value: string, pattern: string, options: { caseInsensitive: boolean }): boolean {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\' && i + 1 < pattern.length) re += escapeRegExp(pattern[++i]);
    else if (c === '%') re += '[\\s\\S]*';
    else if (c === '_') re += '[\\s\\S]';
    else re += escapeRegExp(c);
  }
  return new RegExp(`^${re}$`, options.caseInsensitive ? 'iu' : 'u').test(value);
}

function escapeRegExp(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
