/// <reference lib="dom" />
/**
 * CSV import and export for a table of tag rows. Export downloads `<name>.csv` (`,` or `;`, CRLF,
 * UTF-8 with BOM, as Excel reads it). Import reads the file as bytes, so the core can tell UTF-8, a BOM
 * and binary files apart, shows what would change and every error, and changes nothing until Accept.
 */
import { toCsv } from '../csv';
import type { CsvSeparator } from '../csv';
import type { RowChange } from '../diff';
import type { TagRow } from '../tag';
import { previewImport } from './csv-import';
import type { ImportPreview } from './csv-import';
import { el, plural } from './dom';

export interface CsvToolsOptions {
  /** File name without `.csv`. */
  readonly fileName: () => string;
  readonly rows: () => TagRow[];
  /** Errors that block importing these rows (the table as it would be after the import). */
  readonly check: (rows: TagRow[]) => string[];
  readonly accept: (rows: TagRow[]) => void;
  /** Element the preview is shown in (it covers the editor until Accept or Cancel). */
  readonly host: () => HTMLElement;
}

const LIST_LIMIT = 200;

export function csvTools(options: CsvToolsOptions): HTMLElement[] {
  const separator = el(
    'select',
    { class: 'fh-tm-separator', title: 'separator of the exported file (";" for Excel in most European locales)' },
    el('option', { value: ',' }, ','),
    el('option', { value: ';' }, ';'),
  );
  const file = el('input', { type: 'file', accept: '.csv,text/csv,text/plain', class: 'fh-tm-file', style: 'display:none' });
  file.addEventListener('change', () => {
    const chosen = file.files?.[0];
    file.value = ''; // choosing the same file again must fire change again
    if (chosen !== undefined) readFile(chosen, options);
  });
  return [
    el('button', { type: 'button', class: 'red-ui-button fh-tm-import', title: 'import a CSV file (shows the changes first)', onclick: () => file.click() }, el('i', { class: 'fa fa-upload' }), ' import CSV'),
    el(
      'button',
      {
        type: 'button',
        class: 'red-ui-button fh-tm-export',
        title: 'download the rows as a CSV file',
        onclick: () => download(`${safeFileName(options.fileName())}.csv`, toCsv(options.rows(), { separator: separator.value as CsvSeparator })),
      },
      el('i', { class: 'fa fa-download' }),
      ' export CSV',
    ),
    separator,
    file,
  ];
}

function readFile(file: File, options: CsvToolsOptions): void {
  const reader = new FileReader();
  reader.onload = () => {
    const bytes = new Uint8Array(reader.result as ArrayBuffer);
    showPreview(file.name, previewImport(options.rows(), bytes, options.check), options);
  };
  reader.onerror = () => {
    showPreview(file.name, { rows: [], separator: ',', errors: [`the file could not be read: ${reader.error?.message ?? 'unknown error'}`] }, options);
  };
  reader.readAsArrayBuffer(file);
}

function showPreview(fileName: string, preview: ImportPreview, options: CsvToolsOptions): void {
  const host = options.host();
  const close = (): void => {
    panel.remove();
    host.classList.remove('fh-tm-previewing');
  };
  const accept = el(
    'button',
    {
      type: 'button',
      class: 'red-ui-button primary fh-tm-accept',
      disabled: preview.errors.length > 0 || preview.diff === undefined,
      onclick: () => {
        close();
        options.accept(preview.rows);
      },
    },
    'Accept',
  );
  const diff = preview.diff;
  const panel = el(
    'div',
    { class: 'fh-tm-preview', role: 'dialog', 'aria-label': `import ${fileName}` },
    el('h4', {}, `Import "${fileName}"`),
    el(
      'p',
      { class: 'fh-tm-preview-summary' },
      diff === undefined
        ? 'The file cannot be imported.'
        : `${diff.added.length} added, ${diff.changed.length} changed, ${diff.removed.length} removed, ${diff.unchanged} unchanged`,
    ),
    preview.errors.length > 0
      ? el(
          'div',
          { class: 'fh-tm-preview-errors' },
          el('p', {}, `${plural(preview.errors.length, 'error')}: nothing is imported until the file is fixed.`),
          list(preview.errors, (text) => text),
        )
      : null,
    diff === undefined ? null : section('added', diff.added, (r) => `${r.name ?? '(no name)'}  ${r.address ?? ''}`),
    diff === undefined ? null : section('changed', diff.changed, describeChange),
    diff === undefined ? null : section('removed', diff.removed, (r) => `${r.name ?? '(no name)'}  ${r.address ?? ''}`),
    el('div', { class: 'fh-tm-preview-buttons' }, accept, el('button', { type: 'button', class: 'red-ui-button fh-tm-cancel', onclick: close }, 'Cancel')),
  );
  host.querySelector(':scope > .fh-tm-preview')?.remove();
  host.classList.add('fh-tm-previewing');
  host.appendChild(panel);
}

function section<T>(kind: 'added' | 'changed' | 'removed', items: readonly T[], text: (item: T) => string): HTMLElement | null {
  if (items.length === 0) return null;
  return el('div', { class: `fh-tm-preview-${kind}` }, el('h5', {}, `${kind} (${items.length})`), list(items, text));
}

function list<T>(items: readonly T[], text: (item: T) => string): HTMLElement {
  const ul = el('ul', {}, ...items.slice(0, LIST_LIMIT).map((item) => el('li', {}, text(item))));
  if (items.length > LIST_LIMIT) ul.appendChild(el('li', { class: 'fh-tm-more' }, `... and ${items.length - LIST_LIMIT} more`));
  return ul;
}

/** `plant/line1/count: address hr:0 -> hr:10; unit "" -> "°C"` */
function describeChange(change: RowChange): string {
  const show = (v: string | undefined): string => (v === undefined || v === '' ? '""' : v);
  return `${change.name}: ${change.columns.map((c) => `${c} ${show(change.before[c])} → ${show(change.after[c])}`).join('; ')}`;
}

function safeFileName(name: string): string {
  const cleaned = name.trim().replace(/[\\/:*?"<>|\p{Cc}]+/gu, '_');
  return cleaned === '' ? 'tag-map' : cleaned;
}

function download(fileName: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }));
  const link = el('a', { href: url, download: fileName, style: 'display:none' });
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
