/// <reference lib="dom" />
/**
 * The tag-map editor used by both the edit dialog and the technician's sidebar: tabs for the map's
 * own tags, its templates and their instances, CSV import/export, and one list of every error (click
 * one to go to its cell). Errors are recomputed shortly after each keystroke.
 */
import { csvLines } from '../csv';
import { BYTE_ORDERS, DATA_TYPES } from '../tag';
import type { TagColumn } from '../tag';
import { csvTools } from './csv-tools';
import { clear, el, plural } from './dom';
import type { InstanceColumn } from './instance-cells';
import type { Cells } from './table-model';
import { TagMapState } from './tag-map-state';
import type { CheckResult, EditorError, TableId, TagMapValue } from './tag-map-state';
import { TableView } from './table-view';
import type { Marks } from './table-view';

export interface TagMapEditor {
  readonly element: HTMLElement;
  readonly state: TagMapState;
  value(): TagMapValue;
  /** Validates now and updates marks and the error list. */
  check(): CheckResult;
  /** Shows errors that came from elsewhere (the server refusing a save) above the local ones. */
  showMessage(text: string, errors?: readonly string[]): void;
  setHeight(height: number): void;
  destroy(): void;
}

export interface TagMapEditorOptions {
  /** The map's name, for file names. */
  readonly name: () => string;
}

type Tab = 'rows' | 'templates' | 'instances';

const TAG_SUGGESTIONS: Partial<Record<TagColumn, readonly string[]>> = {
  dataType: DATA_TYPES,
  order: BYTE_ORDERS,
  access: ['read', 'read-write'],
};
const TAG_PLACEHOLDERS: Partial<Record<TagColumn, string>> = { name: 'site/area/line/machine/tag', address: 'hr:100' };
const ERROR_LIMIT = 200;
const CHECK_DELAY_MS = 150;

function duplicateTag(cells: Cells<TagColumn>): Cells<TagColumn> {
  return cells.name === undefined ? cells : { ...cells, name: `${cells.name}_copy` };
}

export function createTagMapEditor(value: { rows?: unknown; templates?: unknown; instances?: unknown }, options: TagMapEditorOptions): TagMapEditor {
  const state = new TagMapState(value);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let lastErrors: EditorError[] = [];
  let selectedTemplate = state.templates.length > 0 ? 0 : -1;
  const changed = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      check();
    }, CHECK_DELAY_MS);
  };

  const root = el('div', { class: 'fh-tm' });
  const status = el('span', { class: 'fh-tm-status' });
  const message = el('div', { class: 'fh-tm-message', hidden: true });
  const errorList = el('div', { class: 'fh-tm-errors' });

  // ---- own rows
  const rowsView: TableView<TagColumn> = new TableView({
    model: state.rows,
    label: 'tags',
    suggestions: TAG_SUGGESTIONS,
    placeholders: TAG_PLACEHOLDERS,
    duplicate: duplicateTag,
    onChange: changed,
    tools: csvTools({
      fileName: options.name,
      rows: () => state.rows.toRows(),
      // Every row number left in these errors is one of the file's rows (template-made rows are named by tag).
      check: (rows) => blocking(state.checkWith({ table: 'rows', rows }).errors, lastErrors).map(csvLines),
      accept: (rows) => {
        state.rows.replaceAll(rows);
        rowsView.render();
        check();
      },
      host: () => root,
    }),
  });

  // ---- templates
  const templateSelect = el('select', { class: 'fh-tm-template-select', 'aria-label': 'template', onchange: () => selectTemplate(Number(templateSelect.value)) });
  const templateName = el('input', {
    type: 'text',
    class: 'fh-tm-template-name',
    placeholder: 'template name, e.g. filler',
    'aria-label': 'template name',
    oninput: () => {
      state.renameTemplate(selectedTemplate, templateName.value);
      fillTemplateSelect();
      instancesView.render();
      changed();
    },
  });
  const templateHost = el('div', { class: 'fh-tm-template-table' });
  let templateView: TableView<TagColumn> | undefined;
  const templateBar = el(
    'div',
    { class: 'fh-tm-template-bar' },
    templateSelect,
    templateName,
    el('button', { type: 'button', class: 'red-ui-button fh-tm-template-add', onclick: () => selectTemplate(state.addTemplate(`template${state.templates.length + 1}`)) }, el('i', { class: 'fa fa-plus' }), ' template'),
    el(
      'button',
      {
        type: 'button',
        class: 'red-ui-button fh-tm-template-remove',
        onclick: () => {
          if (selectedTemplate < 0) return;
          state.removeTemplate(selectedTemplate);
          selectTemplate(Math.min(selectedTemplate, state.templates.length - 1));
          changed();
        },
      },
      el('i', { class: 'fa fa-trash' }),
      ' remove template',
    ),
  );
  const fillTemplateSelect = (): void => {
    clear(templateSelect);
    state.templates.forEach((t, i) => templateSelect.appendChild(el('option', { value: i }, t.name || `(template ${i + 1})`)));
    templateSelect.value = String(selectedTemplate);
  };
  const selectTemplate = (index: number): void => {
    selectedTemplate = index;
    fillTemplateSelect();
    clear(templateHost);
    const template = state.templates[index];
    templateName.disabled = template === undefined;
    templateName.value = template?.name ?? '';
    if (template === undefined) {
      templateView = undefined;
      templateHost.appendChild(
        el('p', { class: 'fh-tm-hint' }, 'No template yet. A template describes a machine type once (tag names relative to the machine, Modbus addresses relative to 0); instances place it for each machine.'),
      );
      return;
    }
    const table = `template:${index}` as const;
    const view: TableView<TagColumn> = new TableView({
      model: template.table,
      label: `template ${template.name}`,
      suggestions: TAG_SUGGESTIONS,
      placeholders: { name: 'count (relative)', address: 'hr:0 (relative)' },
      duplicate: duplicateTag,
      onChange: changed,
      tools: csvTools({
        fileName: () => `${options.name()}-${template.name}`,
        rows: () => template.table.toRows(),
        check: (rows) => blocking(state.checkWith({ table, rows }).errors, lastErrors),
        accept: (rows) => {
          template.table.replaceAll(rows);
          view.render();
          check();
        },
        host: () => root,
      }),
    });
    templateView = view;
    templateHost.appendChild(view.element);
    view.setMarks(marksFor(lastErrors, table));
  };

  // ---- instances
  const instancesView: TableView<InstanceColumn> = new TableView({
    model: state.instances,
    label: 'instances',
    placeholders: { template: 'filler', namePrefix: 'plant/area/line1/filler1', baseAddress: '0', unitId: '1', nodeIdPrefix: 'Line1.Filler1', overrides: '{"count": {"address": "hr:5"}}' },
    onChange: changed,
  });

  // ---- tabs
  const panes: Record<Tab, HTMLElement> = {
    rows: el('div', { class: 'fh-tm-pane', 'data-pane': 'rows' }, rowsView.element),
    templates: el('div', { class: 'fh-tm-pane', 'data-pane': 'templates' }, templateBar, templateHost),
    instances: el(
      'div',
      { class: 'fh-tm-pane', 'data-pane': 'instances' },
      el('p', { class: 'fh-tm-hint' }, 'One row per machine: its template, its name prefix (ISA-95 path), and base address, unit id or NodeId prefix. Overrides replace cells of single tags, as JSON by relative tag name.'),
      instancesView.element,
    ),
  };
  const tabButtons: Record<Tab, HTMLButtonElement> = {
    rows: el('button', { type: 'button', class: 'fh-tm-tab', 'data-tab': 'rows', onclick: () => show('rows') }),
    templates: el('button', { type: 'button', class: 'fh-tm-tab', 'data-tab': 'templates', onclick: () => show('templates') }),
    instances: el('button', { type: 'button', class: 'fh-tm-tab', 'data-tab': 'instances', onclick: () => show('instances') }),
  };
  const show = (tab: Tab): void => {
    for (const name of Object.keys(panes) as Tab[]) {
      panes[name].hidden = name !== tab;
      tabButtons[name].classList.toggle('fh-tm-tab-active', name === tab);
    }
    shown = tab;
    fit();
  };
  const updateTabLabels = (): void => {
    tabButtons.rows.textContent = `Tags (${state.rows.size})`;
    tabButtons.templates.textContent = `Templates (${state.templates.length})`;
    tabButtons.instances.textContent = `Instances (${state.instances.size})`;
  };

  root.append(
    el('div', { class: 'fh-tm-tabs' }, tabButtons.rows, tabButtons.templates, tabButtons.instances, status),
    message,
    panes.rows,
    panes.templates,
    panes.instances,
    errorList,
  );

  // The shown table takes the height the dialog or tray gives, less what the rest of the editor needs now
  // (tabs, toolbar, pager, the error list), so the tray is filled and nothing is pushed out of it.
  let available: number | undefined;
  let shown: Tab = 'rows';
  const fit = (): void => {
    if (available === undefined) return;
    const view = shown === 'rows' ? rowsView : shown === 'instances' ? instancesView : templateView;
    const table = view?.tableHeight ?? 0;
    const rest = root.getBoundingClientRect().height - table;
    // Before the first layout nothing has a height: leave room for the tabs, toolbar and a few errors.
    const height = table > 0 && rest > 0 ? available - rest - 8 : available - 190;
    for (const v of [rowsView, instancesView, templateView]) v?.setHeight(height);
  };

  const reveal = (at: NonNullable<EditorError['at']>): void => {
    if (at.table === 'rows') {
      show('rows');
      rowsView.reveal(at.key, at.column);
    } else if (at.table === 'instances') {
      show('instances');
      instancesView.reveal(at.key, at.column);
    } else {
      show('templates');
      const index = Number(at.table.slice('template:'.length));
      if (index !== selectedTemplate) selectTemplate(index);
      templateView?.reveal(at.key, at.column);
    }
  };

  const check = (): CheckResult => {
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    const result = state.check();
    lastErrors = result.errors;
    rowsView.setMarks(marksFor(result.errors, 'rows'));
    instancesView.setMarks(marksFor(result.errors, 'instances'));
    templateView?.setMarks(marksFor(result.errors, `template:${selectedTemplate}`));
    updateTabLabels();
    status.textContent = result.errors.length > 0 ? plural(result.errors.length, 'error') : `${plural(result.tags, 'tag')}, no errors`;
    status.classList.toggle('fh-tm-status-invalid', result.errors.length > 0);
    clear(errorList);
    if (result.errors.length > 0) {
      const items = result.errors.slice(0, ERROR_LIMIT).map((e) => {
        const item = el('li', {}, e.text);
        const at = e.at;
        if (at !== undefined) {
          item.classList.add('fh-tm-error-link');
          item.addEventListener('click', () => reveal(at));
        }
        return item;
      });
      if (result.errors.length > ERROR_LIMIT) items.push(el('li', {}, `... and ${result.errors.length - ERROR_LIMIT} more`));
      errorList.append(el('ul', {}, ...items));
    }
    fit();
    return result;
  };

  selectTemplate(selectedTemplate);
  show('rows');
  check();

  return {
    element: root,
    state,
    value: () => state.value(),
    check,
    showMessage(text, errors = []) {
      clear(message);
      message.hidden = false;
      message.append(el('p', {}, text));
      if (errors.length > 0) message.append(el('ul', {}, ...errors.slice(0, ERROR_LIMIT).map((e) => el('li', {}, e))));
    },
    setHeight(height) {
      available = height;
      fit();
    },
    destroy() {
      if (timer !== undefined) clearTimeout(timer);
      root.remove();
    },
  };
}

/** Error texts placed on one table, by row key and column ('' = the row). */
function marksFor(errors: readonly EditorError[], table: TableId): Marks {
  const marks = new Map<number, Map<string, string[]>>();
  for (const e of errors) {
    if (e.at?.table !== table) continue;
    const row = marks.get(e.at.key) ?? new Map<string, string[]>();
    marks.set(e.at.key, row);
    const column = e.at.column ?? '';
    row.set(column, [...(row.get(column) ?? []), e.text]);
  }
  return marks;
}

/**
 * The errors that block an import: all of the imported table's own errors, plus any error elsewhere
 * (templates, instances) that the import would cause; errors that were there before do not block it.
 */
function blocking(after: readonly EditorError[], before: readonly EditorError[]): string[] {
  const had = new Set(before.filter((e) => !e.own).map((e) => e.text));
  return after.filter((e) => e.own || !had.has(e.text)).map((e) => e.text);
}
