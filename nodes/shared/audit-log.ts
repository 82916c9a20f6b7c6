/**
 * The audit log: one JSON line per write to a machine (Modbus or OPC UA) in `writes-YYYY-MM-DD.jsonl`,
 * one per tag-map change through the admin route in `tagmaps-YYYY-MM-DD.jsonl`, and one per login,
 * logout, API-token use or refused attempt in `auth-YYYY-MM-DD.jsonl` (settings/auth-audit.js), daily files (UTC
 * dates) in `<userDir>/audit`, so IT can read who wrote or changed what, where and with which result.
 *
 * Bounded, because what is logged comes from messages and requests: every field is rendered to at
 * most MAX_FIELD characters (a longer one becomes its first characters and a marker with its full
 * size, `…[truncated, 5242880 bytes]`), and a whole line to MAX_LINE bytes. Appends are serialised
 * per directory within the process (every AuditLog on the same directory shares one queue), so lines
 * of concurrent writers never interleave. Reads go page by page from a byte offset, skipping (and
 * counting) lines that are not JSON, never loading a whole day.
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
  /** The value as written when its JSON is at most MAX_FIELD characters, else its cut rendering (boundedValue). */
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
 * The hub's dashboard logins by socket id, process-wide: settings/dashboard-login.js adds a socket when
 * it connects and removes it when it ends, so a dashboard widget's message (which carries
 * `msg.socketid`) names the operator behind it.
 */
export const DASHBOARD_USERS = Symbol.for('factoryhub.dashboardUsers');

function dashboardUser(socketId: unknown): unknown {
  if (typeof socketId !== 'string') return undefined;
  const users = (globalThis as Record<symbol, unknown>)[DASHBOARD_USERS];
  return users instanceof Map ? (users as Map<string, unknown>).get(socketId) : undefined;
}

/**
 * The user and message id behind a message: node-red-dashboard puts the logged-in user in
 * `msg._client.user`, an http-in node behind a login in `msg.req.user`, and a dashboard widget's
 * message carries `msg.socketid`, which the hub's dashboard login maps to its user. Reads defensively:
 * a message is whatever a flow made it, getters that throw included.
 */
export function originOf(msg: unknown): WriteOrigin {
  try {
    const m = msg as { _msgid?: unknown; _client?: { user?: unknown }; req?: { user?: unknown }; user?: unknown; socketid?: unknown } | null;
    if (!m || typeof m !== 'object') return {};
    const name = (u: unknown): string | undefined => {
      if (typeof u === 'string') return u;
      const o = u as { username?: unknown; name?: unknown } | null;
      if (o && typeof o === 'object') return typeof o.username === 'string' ? o.username : typeof o.name === 'string' ? o.name : undefined;
      return undefined;
    };
    const user = name(m._client?.user) ?? name(m.req?.user) ?? name(dashboardUser(m.socketid)) ?? name(m.user);
    const msgId = typeof m._msgid === 'string' ? m._msgid : undefined;
    return { ...(user ? { user: user.slice(0, 100) } : {}), ...(msgId ? { msgId } : {}) };
  } catch {
    return {};
  }
}

/** A tag map changed through `PUT /factoryhub/tag-maps/:id`. */
export interface TagMapChangeEntry {
  readonly time: string;
  readonly kind: 'tagmap';
  /** The tag map node. */
  readonly node: string;
  readonly nodeName?: string;
  /** The account that changed it, where Node-RED knows it. */
  readonly user?: string;
  /** Flows revision before and after the deploy. */
  readonly revBefore: string;
  readonly rev: string;
  /** `2 rows changed, 1 added`. */
  readonly summary: string;
  /**
   * The rows before and after (tags/change-record.ts: counts of every row, the first rows listed with
   * their cells), bounded by its builder to at most MAX_STRUCTURED bytes of JSON.
   */
  readonly diff?: object;
  /** Changes to where writes land (tags/write-gate.ts), made by an account with flows.write: at most 20 lines. */
  readonly writeTargets?: readonly string[];
}

/** A login, logout, API-token use or refused attempt (settings/auth-audit.js). */
export interface AuthEntry {
  readonly time: string;
  readonly kind: 'auth';
  /** login, logout, token (a use of an API token), refused (an attempt that did not get in). */
  readonly event: 'login' | 'logout' | 'token' | 'refused';
  /** The way in: the editor's login, the dashboard's login page, HTTP Basic, an API token. */
  readonly how: 'editor' | 'dashboard' | 'basic' | 'token';
  /** The account, or the token's name, as given (an unknown name included). */
  readonly user?: string;
  readonly role?: string;
  /** The client's address as the hub's socket sees it. */
  readonly address?: string;
  /** ok, or why it was refused: wrong-password, rate-limited, busy, unknown-token, revoked, bad-origin. */
  readonly result: string;
  /** Refusals of the same kind from the same address left out since the last line, when they are throttled. */
  readonly repeated?: number;
}

/** The logs of a directory. */
export type AuditKind = 'writes' | 'tagmaps' | 'auth';

/** Longest rendering of one field, in characters; a longer one is cut with a marker. */
export const MAX_FIELD = 1024;
/** Longest line in the file, in bytes (with every field at MAX_FIELD a line stays well below). */
export const MAX_LINE = 16 * 1024;
/** Most entries and bytes of entries in one page read. */
export const MAX_PAGE_ENTRIES = 1000;
export const MAX_PAGE_BYTES = 2 * 1024 * 1024;
/** Most bytes of the file one page reads (skipping a huge line included). */
const MAX_PAGE_SCAN = 16 * 1024 * 1024;

/** JSON of anything, bigint as text, or undefined when it cannot be rendered (cycles, too deep). */
function jsonOf(value: unknown): string | undefined {
  try {
    return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  } catch {
    return undefined;
  }
}

function cut(text: string, bytes: number): string {
  return `${text.slice(0, MAX_FIELD)}…[truncated, ${bytes} bytes]`;
}

/** A string field at most MAX_FIELD characters (plus its marker). */
export function boundedText(text: string): string {
  return text.length <= MAX_FIELD ? text : cut(text, Buffer.byteLength(text));
}

/**
 * A logged value: as it is when its JSON is at most MAX_FIELD characters, else the start of its
 * JSON (or of the string) with the marker. Buffers and typed arrays are sized without rendering them.
 */
export function boundedValue(value: unknown): unknown {
  if (typeof value === 'string') return boundedText(value);
  if (ArrayBuffer.isView(value) && value.byteLength > MAX_FIELD) return `${value.constructor.name}…[truncated, ${value.byteLength} bytes]`;
  if (value === null || typeof value !== 'object') return typeof value === 'bigint' ? value.toString() : value;
  const json = jsonOf(value);
  if (json === undefined) return `[${Array.isArray(value) ? 'array' : 'object'} that cannot be rendered as JSON]`;
  return json.length <= MAX_FIELD ? (JSON.parse(json) as unknown) : cut(json, Buffer.byteLength(json));
}

/**
 * Fields that stay structured up to MAX_STRUCTURED bytes of JSON (their builders bound them: a tag-map
 * diff lists at most 20 rows), instead of being cut to MAX_FIELD characters like any other value.
 */
const STRUCTURED = new Set(['diff', 'writeTargets']);
export const MAX_STRUCTURED = 12 * 1024;

/** Every field of an entry bounded: strings by boundedText, `value` and `readBack` by boundedValue. */
function boundedEntry(entry: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(entry)) {
    if (value === undefined) continue;
    if (STRUCTURED.has(key) && typeof value === 'object' && value !== null) {
      const json = jsonOf(value);
      if (json !== undefined && json.length <= MAX_STRUCTURED) {
        out[key] = JSON.parse(json) as unknown;
        continue;
      }
    }
    out[key] = key === 'value' || key === 'readBack' ? boundedValue(value) : typeof value === 'string' ? boundedText(value) : boundedValue(value);
  }
  return out;
}

/** One line of the file, at most MAX_LINE bytes: a line still too long keeps its identity and loses its values. */
export function auditLine(entry: object): string {
  const bounded = boundedEntry(entry);
  let line = jsonOf(bounded) ?? '{}';
  if (Buffer.byteLength(line) > MAX_LINE) {
    const bytes = Buffer.byteLength(line);
    const small: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(bounded)) small[key] = typeof value === 'string' ? value.slice(0, 128) : typeof value === 'object' && value !== null ? '[dropped]' : value;
    small.truncated = `line of ${bytes} bytes cut to its fields' first 128 characters`;
    line = jsonOf(small) ?? '{}';
  }
  return `${line}\n`;
}

/** One append queue per directory in this process: concurrent writers never split each other's lines. */
const queues = new Map<string, Promise<void>>();

function enqueue(dir: string, work: () => Promise<void>): Promise<void> {
  const key = path.resolve(dir);
  const run = (queues.get(key) ?? Promise.resolve()).then(work);
  const tail = run.catch(() => undefined);
  queues.set(key, tail);
  // The last one out removes the queue, so a directory no longer written to holds nothing.
  void tail.then(() => {
    if (queues.get(key) === tail) queues.delete(key);
  });
  return run;
}

/** A page of entries read from a byte offset of a day file. */
export interface AuditPage<E> {
  readonly entries: E[];
  /** Lines that were not a JSON object (a torn or hand-edited line), skipped. */
  readonly skipped: number;
  /** Where this page started and where the next one starts, in bytes of the file. */
  readonly offset: number;
  readonly nextOffset: number;
  /** Whether the file has more after nextOffset (now; the file may still grow). */
  readonly more: boolean;
}

export interface PageOptions {
  /** Byte offset to start at (a nextOffset of a previous page; default 0, the start of the day). */
  readonly offset?: number;
  /** Most entries (default and at most MAX_PAGE_ENTRIES). */
  readonly limit?: number;
  /** Most bytes of lines (default and at most MAX_PAGE_BYTES). */
  readonly maxBytes?: number;
}

const CHUNK = 64 * 1024;

export class AuditLog {
  constructor(readonly dir: string) {}

  fileFor(date: Date, kind: AuditKind = 'writes'): string {
    return path.join(this.dir, `${kind}-${date.toISOString().slice(0, 10)}.jsonl`);
  }

  /** Appends one entry, bounded (see auditLine); resolves once the line is in the file. */
  append(entry: AuditEntry | TagMapChangeEntry | AuthEntry, kind: AuditKind = 'writes'): Promise<void> {
    const line = auditLine(entry);
    const file = this.fileFor(new Date(entry.time), kind);
    return enqueue(this.dir, async () => {
      await fs.promises.mkdir(this.dir, { recursive: true });
      await fs.promises.appendFile(file, line, { mode: 0o640 });
    });
  }

  /**
   * Records a write of `writer` to `device` now. A log that cannot be written is a warning on the
   * node, never a failed write: the machine has already been written.
   */
  recordWrite(writer: AuditWriter, device: string, outcome: WriteOutcome, origin: WriteOrigin = {}): Promise<void> {
    let entry: AuditEntry;
    try {
      entry = {
        time: new Date().toISOString(),
        flow: writer.z,
        node: writer.id,
        ...(writer.name ? { nodeName: writer.name } : {}),
        device,
        ...outcome,
        ...(origin.user ? { user: origin.user } : {}),
        ...(origin.msgId ? { msgId: origin.msgId } : {}),
      };
    } catch (err) {
      writer.warn(`audit log: ${messageOf(err)}`);
      return Promise.resolve();
    }
    return this.append(entry).catch((err: unknown) => writer.warn(`audit log: ${messageOf(err)}`));
  }

  /** Records a tag-map change through the admin route; rejects when the line cannot be written. */
  recordTagMapChange(change: Omit<TagMapChangeEntry, 'time' | 'kind'>): Promise<void> {
    return this.append({ time: new Date().toISOString(), kind: 'tagmap', ...change }, 'tagmaps');
  }

  /** Records a login, logout, token use or refusal; rejects when the line cannot be written. */
  recordAuth(entry: Omit<AuthEntry, 'time' | 'kind'>): Promise<void> {
    return this.append({ time: new Date().toISOString(), kind: 'auth', ...entry }, 'auth');
  }

  /**
   * One page of a day's entries, oldest first, from byte `offset` on: at most `limit` entries and
   * `maxBytes` bytes of lines, lines that are not JSON objects skipped and counted. Memory is bounded by
   * the page, whatever the size of the file or of a line in it.
   */
  async readPage<E = AuditEntry>(date: Date, options: PageOptions = {}, kind: AuditKind = 'writes'): Promise<AuditPage<E>> {
    const offset = options.offset ?? 0;
    const limit = Math.min(options.limit ?? MAX_PAGE_ENTRIES, MAX_PAGE_ENTRIES);
    const maxBytes = Math.min(options.maxBytes ?? MAX_PAGE_BYTES, MAX_PAGE_BYTES);
    let handle: fs.promises.FileHandle;
    try {
      handle = await fs.promises.open(this.fileFor(date, kind), 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], skipped: 0, offset, nextOffset: offset, more: false };
      throw err;
    }
    try {
      const size = (await handle.stat()).size;
      const entries: E[] = [];
      let skipped = 0;
      let used = 0;
      // `pos` is where `pending` starts in the file; a line is taken whole or not at all.
      let pos = offset;
      let pending: Buffer = Buffer.alloc(0);
      // An offset inside a line (not after a newline) starts at the next line.
      let aligning = offset > 0 && (await readAt(handle, offset - 1, 1))[0] !== 0x0a;
      let overlong = false;
      let next = offset;
      let read = offset;
      let stopped = false;
      while (read < size && !stopped) {
        const chunk = await readAt(handle, read, Math.min(CHUNK, size - read));
        if (chunk.length === 0) break;
        read += chunk.length;
        pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
        let nl: number;
        while (!stopped && (nl = pending.indexOf(0x0a)) >= 0) {
          if (entries.length >= limit) {
            stopped = true;
            break;
          }
          const line = pending.subarray(0, nl);
          pending = pending.subarray(nl + 1);
          const end = pos + nl + 1;
          if (aligning || overlong) {
            aligning = false;
            if (overlong) skipped += 1;
            overlong = false;
          } else if (line.length > 0) {
            if (used + line.length > maxBytes && entries.length > 0) {
              stopped = true; // this line starts the next page
              break;
            }
            used += line.length;
            const entry = parseLine(line);
            if (entry === undefined) skipped += 1;
            else entries.push(entry as E);
          }
          pos = end;
          next = end;
        }
        // A line longer than any line this log writes is skipped without being held in memory.
        if (!stopped && pending.length > MAX_LINE * 4) {
          pos += pending.length;
          pending = Buffer.alloc(0);
          overlong = !aligning;
        }
        // Skipping a huge line reads it all; a page reads at most MAX_PAGE_SCAN bytes and goes on from there.
        if (!stopped && read - offset > MAX_PAGE_SCAN && pending.length === 0 && (overlong || aligning)) {
          if (overlong) skipped += 1;
          next = pos;
          stopped = true;
        }
      }
      // A last line without its newline (being written, or torn by a crash) is not "more" yet.
      return { entries, skipped, offset, nextOffset: next, more: stopped };
    } finally {
      await handle.close();
    }
  }

  /** Every entry of one day, oldest first, bad lines skipped (tests and small tools; the route pages). */
  async read(date: Date, kind: AuditKind = 'writes'): Promise<AuditEntry[]> {
    const all: AuditEntry[] = [];
    let offset = 0;
    for (;;) {
      const page = await this.readPage<AuditEntry>(date, { offset }, kind);
      all.push(...page.entries);
      if (!page.more || page.nextOffset === offset) return all;
      offset = page.nextOffset;
    }
  }
}

async function readAt(handle: fs.promises.FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await handle.read(buffer, 0, length, position);
  return buffer.subarray(0, bytesRead);
}

function parseLine(line: Buffer): object | undefined {
  try {
    const value = JSON.parse(line.toString('utf8')) as unknown;
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Where the hub keeps its audit files: `<userDir>/audit`. */
export function auditDir(userDir: string | undefined): string {
  return path.join(userDir ?? process.cwd(), 'audit');
}
