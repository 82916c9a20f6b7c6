/**
 * The built-in demo ERP: a small REST service that the generic REST dialect of fh-erp-connection posts
 * to with its default templates (base URL http://127.0.0.1:5080/api, POST /bookings, look-up
 * /bookings?key={{key}}, authentication none), and a read-only page at / listing what arrived, for
 * whoever watches the demo.
 *
 *   POST /api/bookings          stores a JSON object that has a string `key`; 201 with the stored
 *                               document (its `id` is what the hub records as the ERP's reference).
 *                               Honours Idempotency-Key (a replay gets the stored answer), see idempotency.ts.
 *   GET  /api/bookings?key=K    the look-up after an ambiguous outcome: a list, empty = not booked.
 *   GET  /api/bookings[?kind=]  every booking, newest first (optionally one record kind).
 *   GET  /api/bookings/:id      one booking, or 404.
 *
 * Bookings live in memory (the newest MAX_BOOKINGS); a restart forgets them, as a demo may.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import { IdempotencyKeys, admitRequest } from './idempotency';

export const DEFAULT_ERP_PORT = 5080;
/** Older bookings (and their idempotency keys) are dropped beyond this many. */
export const MAX_BOOKINGS = 10_000;

export interface Booking {
  readonly id: string;
  /** Arrival time, ms since the epoch. */
  readonly receivedAt: number;
  readonly key: string;
  /** The record kind (`confirmation`, `downtime`, `shift-oee`) when the body names one, else ''. */
  readonly kind: string;
  /** The stored document: the posted body plus `id` and `receivedAt` (ISO text). */
  readonly doc: Readonly<Record<string, unknown>>;
}

export interface DemoErpOptions {
  /** Default 5080; 0 = a free port. */
  readonly port?: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
}

export interface DemoErp {
  /** `http://127.0.0.1:5080`: the page a demo viewer opens. */
  readonly url: string;
  /** `http://127.0.0.1:5080/api`: the base URL of the ERP connection. */
  readonly apiUrl: string;
  readonly port: number;
  /** Every booking stored, oldest first. */
  bookings(): readonly Booking[];
  /** Stops listening and closes every connection; safe to call twice. */
  stop(): Promise<void>;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function text(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

const SHOWN = ['id', 'receivedAt', 'kind', 'key', 'order'];

/** The demo page: every booking, newest first, the fields the hub sends as columns, the rest as JSON. */
export function bookingsPage(bookings: readonly Booking[]): string {
  const rows = [...bookings].reverse().map((b) => {
    const rest = Object.fromEntries(Object.entries(b.doc).filter(([k]) => !SHOWN.includes(k)));
    const cells = [b.id, new Date(b.receivedAt).toISOString(), b.kind, b.key, text(b.doc.order), JSON.stringify(rest)];
    return `<tr>${cells.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`;
  });
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="5">
<title>Factory Hub demo ERP</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em; }
table { border-collapse: collapse; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: left; vertical-align: top; }
td:last-child { font-family: monospace; font-size: 90%; }
</style>
</head>
<body>
<h1>Factory Hub demo ERP</h1>
<p>${bookings.length} booking${bookings.length === 1 ? '' : 's'}, newest first. The hub posts to <code>/api/bookings</code>; this page refreshes every 5 s.</p>
<table>
<thead><tr><th>id</th><th>received</th><th>kind</th><th>key</th><th>order</th><th>other fields</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>
</body>
</html>
`;
}

export async function startDemoErp(options: DemoErpOptions = {}): Promise<DemoErp> {
  const host = options.host ?? '127.0.0.1';
  const bookings: Booking[] = [];
  const idempotency = new IdempotencyKeys(MAX_BOOKINGS);
  let next = 1;

  const app = express();
  app.disable('x-powered-by');
  app.use((_req, res, next) => {
    res.set({ 'X-Content-Type-Options': 'nosniff', 'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'" });
    next();
  });
  app.use('/api', express.json({ limit: '1mb' }));

  app.post('/api/bookings', (req, res) => {
    const raw = JSON.stringify(req.body);
    const admitted = admitRequest(idempotency, req, res, raw);
    if (admitted === 'answered') return;
    const idem = admitted.key;
    const body: unknown = req.body;
    if (!isObject(body) || typeof body.key !== 'string' || body.key === '') {
      if (idem) idempotency.forget(idem);
      res.status(422).json({ message: 'the booking must be a JSON object with a string "key"' });
      return;
    }
    const receivedAt = Date.now();
    const id = `B-${next++}`;
    const doc = { ...body, id, receivedAt: new Date(receivedAt).toISOString() };
    bookings.push({ id, receivedAt, key: body.key, kind: text(body.kind), doc });
    if (bookings.length > MAX_BOOKINGS) bookings.shift();
    if (idem) idempotency.settle(idem, raw, 201, doc);
    res.status(201).location(`/api/bookings/${encodeURIComponent(id)}`).json(doc);
  });

  app.get('/api/bookings', (req, res) => {
    const { key, kind } = req.query;
    const found = bookings.filter((b) => (typeof key !== 'string' || b.key === key) && (typeof kind !== 'string' || b.kind === kind));
    res.json(found.reverse().map((b) => b.doc));
  });

  app.get('/api/bookings/:id', (req, res) => {
    const booking = bookings.find((b) => b.id === req.params.id);
    if (booking) res.json(booking.doc);
    else res.status(404).json({ message: `no booking ${req.params.id}` });
  });

  app.get('/', (_req, res) => {
    res.type('html').send(bookingsPage(bookings));
  });

  app.use('/api', (_req, res) => {
    res.status(404).json({ message: 'not found' });
  });
  // Malformed JSON and the like: answered as JSON, the way the dialect reads an error message.
  app.use((err: Error & { status?: number }, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    res.status(err.status ?? 500).json({ message: err.message });
  });

  const server = http.createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEFAULT_ERP_PORT, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host}:${port}`;
  let stopped: Promise<void> | undefined;
  return {
    url,
    apiUrl: `${url}/api`,
    port,
    bookings: () => [...bookings],
    stop: () => {
      stopped ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return stopped;
    },
  };
}
