/// <reference lib="dom" />
/**
 * The "Audit" sidebar tab, for accounts with permission audit.read: the hub's write log, tag-map log
 * and (where the hub has it) login log, one day at a time (UTC days, as the log files are), newest first,
 * a page of PAGE_ENTRIES entries at a time.
 */
import { clear, el } from '../../tags/editor/dom';
import { adminFetch } from '../../tags/editor/red';
import { AUDIT_LOGS, DayPages, PAGE_ENTRIES, entryLine } from './audit-view';
import type { AuditLogSpec, AuditPageBody } from './audit-view';
import { hubRed } from './red';

export const AUDIT_SIDEBAR_ID = 'fh-audit';

export async function addAuditSidebar(): Promise<void> {
  const RED = hubRed();
  if (!RED.user.hasPermission('audit.read')) return;
  const logs: AuditLogSpec[] = [];
  for (const log of AUDIT_LOGS) {
    if (!log.optional || (await adminFetch(`${log.route}?limit=1`)).status === 200) logs.push(log);
  }
  const select = el('select', { class: 'fh-audit-log' }, ...logs.map((l) => el('option', { value: l.id }, l.label)));
  const date = el('input', { type: 'date', class: 'fh-audit-date', value: new Date().toISOString().slice(0, 10) });
  const status = el('div', { class: 'fh-audit-status' });
  const list = el('ol', { class: 'fh-audit-list' });
  const older = el('button', { type: 'button', class: 'red-ui-button red-ui-button-small fh-audit-older' }, 'older');
  const newer = el('button', { type: 'button', class: 'red-ui-button red-ui-button-small fh-audit-newer' }, 'newer');
  const position = el('span', { class: 'fh-audit-position' });
  let pages: DayPages | undefined;
  let spec: AuditLogSpec = logs[0];
  let busy = Promise.resolve();

  const render = (): void => {
    clear(list);
    if (pages === undefined) return;
    const shown = pages.shown;
    for (const entry of shown) {
      const line = entryLine(spec.id, entry);
      list.appendChild(
        el(
          'li',
          { class: `fh-audit-entry${line.result ? ` fh-audit-${line.result.replace(/[^a-z-]/gi, '')}` : ''}` },
          el('span', { class: 'fh-audit-time' }, line.time),
          ' ',
          el('span', { class: 'fh-audit-user' }, line.user),
          ' ',
          el('span', { class: 'fh-audit-text' }, line.text),
        ),
      );
    }
    const { page, pages: count } = pages.position;
    status.textContent = shown.length === 0 ? `Nothing in the ${spec.label.toLowerCase()} log on ${date.value} (UTC).` : `${spec.label} on ${date.value} (UTC), newest first${pages.truncated ? '; the day has more than the first pages read' : ''}.`;
    position.textContent = count > 1 ? `page ${page} of ${count}` : '';
    older.disabled = !pages.hasOlder;
    newer.disabled = !pages.hasNewer;
  };
  /** Runs one step at a time, so quick clicks do not interleave their pages. */
  const step = (work: () => Promise<void>): void => {
    busy = busy.then(work).then(render, (err: unknown) => {
      clear(list);
      status.textContent = err instanceof Error ? err.message : String(err);
    });
  };
  const load = (): void =>
    step(async () => {
      spec = logs.find((l) => l.id === select.value) ?? logs[0];
      status.textContent = 'loading...';
      const day = date.value;
      pages = new DayPages(async (offset) => {
        const res = await adminFetch(`${spec.route}?date=${encodeURIComponent(day)}&offset=${offset}&limit=${PAGE_ENTRIES}`);
        if (res.status !== 200) throw new Error(`The ${spec.label.toLowerCase()} log could not be read: ${refusal(res)}`);
        return res.body as AuditPageBody;
      });
      await pages.scan();
    });
  select.addEventListener('change', load);
  date.addEventListener('change', load);
  older.addEventListener('click', () => step(async () => pages?.older()));
  newer.addEventListener('click', () => step(async () => pages?.newer()));

  const content = el(
    'div',
    { class: 'fh-audit' },
    el(
      'div',
      { class: 'fh-audit-header' },
      select,
      date,
      el('button', { type: 'button', class: 'red-ui-button red-ui-button-small fh-audit-refresh', title: 'reload', onclick: load }, el('i', { class: 'fa fa-refresh' })),
    ),
    status,
    list,
    el('div', { class: 'fh-audit-pager' }, newer, position, older),
  );
  RED.sidebar.addTab({ id: AUDIT_SIDEBAR_ID, label: 'Audit', name: 'Audit', iconClass: 'fa fa-list-alt', content, enableOnEdit: true, action: 'fh-audit:show', onchange: load });
  RED.actions.add('fh-audit:show', () => RED.sidebar.show(AUDIT_SIDEBAR_ID));
}

/** What a refused or failed read answered, in words. */
function refusal(res: { status: number; body: unknown }): string {
  const body = res.body as { error?: unknown; message?: unknown } | string | undefined;
  const said = typeof body === 'string' ? body : typeof body?.message === 'string' ? body.message : typeof body?.error === 'string' ? body.error : '';
  return `HTTP ${res.status}${said ? `, ${said.slice(0, 200)}` : ''}`;
}
