/**
 * The write audit log: one JSON line per write to a machine (Modbus or OPC UA), appended to a daily file
 * in the Node-RED user directory, so IT can read who wrote what, where and with which result.
 * No Node-RED import: the adapters pass the directory and the node's identity.
 */
import fs from 'node:fs';
import path from 'node:path';
import { messageOf } from './errors';

export interface AuditEntry {
  /** ISO time of the result. */
  readonly time: string;
  readonly flow: string;
  readonly node: string;
  readonly nodeName?: string;
  /** Device or endpoint, e.g. `127.0.0.1:502` or `opc.tcp://plc:4840`. */
  readonly device: string;
  readonly tag: string;
  /** Address written: `hr:100`, `ns=2;s=Speed`. */
  readonly address: string;
  readonly value: unknown;
  /** ok: written; error: sent and failed; refused: never sent (not writable, bad value, link down). */
  readonly result: 'ok' | 'error' | 'refused';
  readonly error?: string;
  /** The account behind the message (a dashboard or HTTP login), where Node-RED knows it. */
  readonly user?: string;
  /** The message that asked for the write (`msg._msgid`), to trace it through the flow. */
  readonly msgId?: string;
  /** Value read back after the write, when the node confirms writes. */
  readonly readBack?: unknown;
}

/** The node that writes, as Node-RED gives it (its flow `z`, id and name). */
export interface AuditWriter {
  readonly id: string;
  readonly z: string;
  readonly name?: string;
  warn(message: string): void;
}

/** What one write did: everything of an entry but the time and the writer. */
export type WriteOutcome = Pick<AuditEntry, 'tag' | 'address' | 'value' | 'result' | 'error' | 'readBack'>;

/** Who asked for a write, as far as the message tells: see originOf. */
export interface WriteOrigin {
  readonly user?: string;
  readonly msgId?: string;
}

/**
 * The user and message id behind a message: node-red-dashboard puts the logged-in user in
 * `msg._client.user`, an http-in node behind a login in `msg.req.user`. Reads defensively: a message is
 * whatever a flow made it, getters that throw included.
 */
export function originOf(msg: unknown): WriteOrigin {
  try {
    const m = msg as { _msgid?: unknown; _client?: { user?: unknown }; req?: { user?: unknown }; user?: unknown } | null;
    if (!m || typeof m !== 'object') return {};
    const name = (u: unknown): string | undefined => {
      if (typeof u === 'string') return u;
      const o = u as { username?: unknown; name?: unknown } | null;
      if (o && typeof o === 'object') return typeof o.username === 'string' ? o.username : typeof o.name === 'string' ? o.name : undefined;
      return undefined;
    };
    const user = name(m._client?.user) ?? name(m.req?.user) ?? name(m.user);
    const msgId = typeof m._msgid === 'string' ? m._msgid : undefined;
    return { ...(user ? { user: user.slice(0, 100) } : {}), ...(msgId ? { msgId } : {}) };
  } catch {
    return {};
  }
}

export class AuditLog {
  constructor(readonly dir: string) {}

  fileFor(date: Date): string {
    return path.join(this.dir, `writes-${date.toISOString().slice(0, 10)}.jsonl`);
  }

  /** Appends one entry; resolves once the line is in the file. */
  async append(entry: AuditEntry): Promise<void> {
    await fs.promises.mkdir(this.dir, { recursive: true });
    const line = JSON.stringify(entry, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) + '\n';
    await fs.promises.appendFile(this.fileFor(new Date(entry.time)), line, { mode: 0o640 });
  }

  /**
   * Records a write of `writer` to `device` now. A log that cannot be written is a warning on the
   * node, never a failed write: the machine has already been written.
   */
  recordWrite(writer: AuditWriter, device: string, outcome: WriteOutcome, origin: WriteOrigin = {}): Promise<void> {
    const entry: AuditEntry = {
      time: new Date().toISOString(),
      flow: writer.z,
      node: writer.id,
      ...(writer.name ? { nodeName: writer.name } : {}),
      device,
      ...outcome,
      ...(origin.user ? { user: origin.user } : {}),
      ...(origin.msgId ? { msgId: origin.msgId } : {}),
    };
    return this.append(entry).catch((err: unknown) => writer.warn(`audit log: ${messageOf(err)}`));
  }

  /** Entries of one day, oldest first (for the admin endpoint and tests). */
  async read(date: Date): Promise<AuditEntry[]> {
    let text: string;
    try {
      text = await fs.promises.readFile(this.fileFor(date), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    return text
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as AuditEntry);
  }
}

/** Where the hub keeps its audit files: `<userDir>/audit`. */
export function auditDir(userDir: string | undefined): string {
  return path.join(userDir ?? process.cwd(), 'audit');
}

/** Minimal shape of Node-RED's admin app and auth that the audit endpoint needs. */
interface AdminApi {
  httpAdmin: {
    get(path: string, ...handlers: ((req: AuditRequest, res: AuditResponse, next: () => void) => void)[]): unknown;
  };
  auth: { needsPermission(permission: string): (req: AuditRequest, res: AuditResponse, next: () => void) => void };
}
interface AuditRequest {
  query: Record<string, unknown>;
}
interface AuditResponse {
  status(code: number): AuditResponse;
  json(body: unknown): void;
}

const registered = new WeakSet<object>();

/**
 * GET /factoryhub/audit/writes?date=YYYY-MM-DD: the day's write audit entries, for IT and the dashboard.
 * Needs permission `audit.read` (any account with "read"). Registered once per runtime.
 */
export function registerAuditEndpoint(RED: AdminApi, log: AuditLog): void {
  if (registered.has(RED.httpAdmin)) return;
  registered.add(RED.httpAdmin);
  RED.httpAdmin.get('/factoryhub/audit/writes', RED.auth.needsPermission('audit.read'), (req, res) => {
    const date = typeof req.query.date === 'string' ? req.query.date : new Date().toISOString().slice(0, 10);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) {
      res.status(400).json({ error: `date must be YYYY-MM-DD, not "${date}"` });
      return;
    }
    log.read(new Date(`${date}T00:00:00Z`)).then(
      (entries) => res.json({ date, entries }),
      (err: unknown) => res.status(500).json({ error: err instanceof Error ? err.message : String(err) }),
    );
  });
}
