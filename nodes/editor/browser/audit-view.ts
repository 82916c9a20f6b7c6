/**
 * What the "Audit" sidebar shows, without the DOM: the logs it reads, one line per entry, and the
 * paging that shows a day newest first over routes that page oldest first (nodes/shared/audit-route.ts:
 * `?date=&offset=&limit=` answered with `{entries, nextOffset, more}`).
 */

export interface AuditLogSpec {
  readonly id: 'writes' | 'tag-maps' | 'auth';
  readonly label: string;
  /** Admin API route, relative to the editor's API root. */
  readonly route: string;
  /** Listed only when the hub answers it (the login audit may be missing on an older hub). */
  readonly optional: boolean;
}

export const AUDIT_LOGS: readonly AuditLogSpec[] = [
  { id: 'writes', label: 'Writes to machines', route: 'factoryhub/audit/writes', optional: false },
  { id: 'tag-maps', label: 'Tag-map changes', route: 'factoryhub/audit/tag-maps', optional: false },
  { id: 'auth', label: 'Logins and tokens', route: 'factoryhub/audit/auth', optional: true },
];

/** Entries per request, and so per view page. */
export const PAGE_ENTRIES = 200;
/** Requests a day's scan makes at most (200 x 500 = 100,000 entries); the rest is left unread. */
export const MAX_SCAN_PAGES = 500;

export interface AuditPageBody {
  readonly entries: readonly unknown[];
  readonly nextOffset: number;
  readonly more: boolean;
  readonly skipped?: number;
}

/** One entry as a line of the list. */
export interface EntryLine {
  readonly time: string;
  readonly user: string;
  readonly text: string;
  /** ok, error, refused (writes), or a login outcome: the line's mark. */
  readonly result?: string;
}

const text = (v: unknown, max = 200): string => {
  if (v === undefined || v === null) return '';
  let s: string;
  try {
    s = typeof v === 'string' ? v : (JSON.stringify(v) ?? typeof v);
  } catch {
    s = `(${typeof v})`; // a BigInt, a cycle: not from JSON, but shown rather than thrown
  }
  return s.length > max ? `${s.slice(0, max)}…` : s;
};

/** "2026-12-01T12:46:40.123Z" -> "12:46:40" (UTC, as the log's days are). */
function clock(time: unknown): string {
  const s = text(time);
  const m = /T(\d{2}:\d{2}:\d{2})/.exec(s);
  return m ? m[1] : s;
}

/** One line for an entry of a log; unknown shapes show their fields, so nothing is hidden. */
export function entryLine(log: AuditLogSpec['id'], entry: unknown): EntryLine {
  const e = (entry !== null && typeof entry === 'object' ? entry : { value: entry }) as Record<string, unknown>;
  const user = text(e.user, 100) || '(unknown user)';
  const time = clock(e.time);
  if (log === 'writes') {
    const what = `${text(e.tag)} = ${text(e.value, 80)} → ${text(e.device)} ${text(e.address)}`;
    const result = text(e.result, 20);
    return { time, user, result, text: `${result}: ${what}${e.error !== undefined ? ` (${text(e.error)})` : ''}` };
  }
  if (log === 'tag-maps') {
    return { time, user, text: `${text(e.nodeName) || text(e.node)}: ${text(e.summary)}` };
  }
  const rest = Object.entries(e)
    .filter(([k]) => k !== 'time' && k !== 'user')
    .map(([k, v]) => `${k} ${text(v, 80)}`)
    .join(', ');
  const result = typeof e.result === 'string' ? e.result : typeof e.outcome === 'string' ? e.outcome : undefined;
  return { time, user, text: rest, ...(result !== undefined ? { result } : {}) };
}

export type FetchPage = (offset: number) => Promise<AuditPageBody>;

/**
 * A day of one log, newest first: `scan` reads the day forward once (page by page, keeping only where
 * each page starts and the last page's entries), then `older`/`newer` re-read one page by its offset.
 */
export class DayPages {
  private starts: number[] = [];
  private index = -1;
  private entries: readonly unknown[] = [];
  /** Whether the scan stopped at MAX_SCAN_PAGES before the end of the day. */
  truncated = false;

  constructor(private readonly fetchPage: FetchPage) {}

  async scan(): Promise<void> {
    this.starts = [];
    this.truncated = false;
    let offset = 0;
    for (;;) {
      const page = await this.fetchPage(offset);
      this.starts.push(offset);
      this.entries = page.entries;
      if (!page.more || page.nextOffset <= offset) break;
      if (this.starts.length >= MAX_SCAN_PAGES) {
        this.truncated = true;
        break;
      }
      offset = page.nextOffset;
    }
    this.index = this.starts.length - 1;
  }

  /** The shown page's entries, newest first. */
  get shown(): readonly unknown[] {
    return [...this.entries].reverse();
  }

  /** 1-based number of the shown page counted from the newest, and how many pages the day has. */
  get position(): { page: number; pages: number } {
    return { page: this.starts.length - this.index, pages: this.starts.length };
  }

  get hasOlder(): boolean {
    return this.index > 0;
  }

  get hasNewer(): boolean {
    return this.index >= 0 && this.index < this.starts.length - 1;
  }

  async older(): Promise<void> {
    if (this.hasOlder) await this.show(this.index - 1);
  }

  async newer(): Promise<void> {
    if (this.hasNewer) await this.show(this.index + 1);
  }

  private async show(index: number): Promise<void> {
    const page = await this.fetchPage(this.starts[index]);
    this.index = index;
    this.entries = page.entries;
  }
}
