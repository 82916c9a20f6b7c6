/// <reference lib="dom" />
/**
 * The OEE node's dialog: signals, products, reasons and times on four tabs (headers marked when a field
 * on them is invalid); the full check is the runtime's own, POST factoryhub/oee/node/validate, while
 * the dialog is open.
 */
import { adminFetch } from '../../tags/editor/red';
import { hubRed } from '../browser/red';
import { dialogValue, namedStyle, readBackOnDone, text } from './definition';
import type { EditorNode, NodeDefinition, NodeEditor } from './definition';
import { NAME_ROW, keyedOptions } from './form-rows';
import type { RowSpec } from './form-rows';
import { $, textOf } from './jquery';
import type { Jq } from './jquery';
import { checkSoon, showIssues } from './issues';
import { tabbedDialog } from './tabs';
import { anyOf, numberIn, oneOf, pattern, when, withNode } from './validators';

const STATES = ['running', 'idle', 'down', 'changeover', 'planned'];
const PATH = /^([A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*)?$/;
/** Topics the node takes as commands: no tag may be named like one. */
const CONTROL = ['assign-reason', 'tick', 'report'];
const SCALARS = [
  'name', 'machine', 'stateSource', 'stateTag', 'runTag', 'countBasis', 'totalTag', 'goodTag', 'rejectTag', 'counterMode', 'maxStep',
  'reasonTag', 'clearCodes', 'productTag', 'defaultProduct', 'smallStop', 'staleAfter', 'startup', 'reorderTolerance',
  'reportInterval', 'tickInterval', 'saveInterval',
];

const seconds = (min: number, max: number) => anyOf((v) => v === null, numberIn(min, max, { blank: 'valid' }));
const str = (v: unknown): string => (typeof v === 'string' ? v.trim() : '');
const tag = (v: unknown): boolean => str(v) !== '' && !CONTROL.includes(str(v));
const optionalTag = (v: unknown): boolean => v === undefined || v === '' || (typeof v === 'string' && !CONTROL.includes(v.trim()));
const basisHas = (node: EditorNode, counter: string): boolean => (text(dialogValue(node, 'countBasis', false)) || 'total+good').split('+').includes(counter);
const source = (node: EditorNode): unknown => dialogValue(node, 'stateSource', false);

/** Rows with a unique, non-empty key and the rest of each row valid. */
function uniqueRows(key: (row: Record<string, unknown>) => string, rowOk: (row: Record<string, unknown>) => boolean) {
  return (rows: unknown): boolean => {
    if (!Array.isArray(rows)) return false;
    const seen = new Set<string>();
    return rows.every((r: unknown) => {
      const row = (r ?? {}) as Record<string, unknown>;
      const k = key(row);
      if (k === '' || seen.has(k) || !rowOk(row)) return false;
      seen.add(k);
      return true;
    });
  };
}
const stateRowsOk = uniqueRows((r) => str(r.value), (r) => STATES.includes(String(r.state)));
const productRowsOk = uniqueRows((r) => str(r.name), (r) => numberIn(0, 86400)(r.ict) && Number(r.ict) > 0);
const reasonRowsOk = uniqueRows((r) => (typeof r.id === 'string' ? r.id.trim() : ''), (r) => ['id', 'category', 'name'].every((k) => str(r[k]) !== ''));

/** The product names as the user sees them: the open dialog's rows, else the saved ones. */
function productNames(node: EditorNode): string[] {
  const list = $('#fh-oee-products');
  if (!list.hasClass('red-ui-editableList-list')) return ((node.products ?? []) as { name?: string }[]).map((r) => r?.name ?? '');
  const names: string[] = [];
  list.editableList('items').each(function () {
    names.push(textOf($(this), '.fh-oee-p-name'));
  });
  return names;
}

function listRows<T>(list: string, map: (row: Jq) => T): T[] {
  const out: T[] = [];
  $(list).editableList('items').each(function () {
    out.push(map($(this)));
  });
  return out;
}

function collect(): { stateMap: object[]; products: object[]; reasons: object[] } {
  return {
    stateMap: listRows('#fh-oee-statemap', (r) => ({ value: textOf(r, '.fh-oee-sm-value'), state: r.find('.fh-oee-sm-state').val() })),
    products: listRows('#fh-oee-products', (r) => ({ name: textOf(r, '.fh-oee-p-name'), ict: textOf(r, '.fh-oee-p-ict') })),
    reasons: listRows('#fh-oee-reasons', (r) => ({ category: textOf(r, '.fh-oee-r-category'), name: textOf(r, '.fh-oee-r-name'), id: textOf(r, '.fh-oee-r-id'), codes: textOf(r, '.fh-oee-r-codes') })),
  };
}

interface ListColumn {
  readonly label: string;
  readonly width?: number;
}
function header(i18n: (k: string) => string, columns: readonly ListColumn[]): Jq {
  return $('<div>').append(...columns.map((c) => $(`<div style="display: inline-block${c.width ? `; width: ${c.width}px` : ''}">`).text(i18n(c.label))));
}

const lists = readBackOnDone<ReturnType<typeof collect>>();

function prepare(node: EditorNode): void {
  const i18n = (k: string): string => node._?.(`fh-oee.${k}`) ?? k;
  tabbedDialog('fh-oee-tabs', 'fh-oee-tabs-content', ['signals', 'products', 'reasons', 'timing'].map((id) => ({ id: `fh-oee-tab-${id}`, label: i18n(`tab.${id}`) })));
  const check = checkSoon(() => void validate());

  const showSource = (): void => {
    const run = $('#node-input-stateSource').val() === 'run';
    $('.fh-oee-state').toggle(!run);
    $('.fh-oee-run').toggle(run);
  };
  const showBasis = (): void => {
    const basis = ($('#node-input-countBasis').val() ?? '').split('+');
    for (const c of ['total', 'good', 'reject']) $(`.fh-oee-${c}`).toggle(basis.includes(c));
  };
  $('#node-input-stateSource').on('change', showSource);
  $('#node-input-countBasis').on('change', showBasis);
  showSource();
  showBasis();

  const list = (id: string, add: string, columns: readonly ListColumn[], addItem: (row: Jq, data: Record<string, string>) => void, removeItem: () => void, rows: unknown): void => {
    $(id).editableList<Record<string, string>>({
      addButton: i18n(add),
      height: 'auto',
      removable: true,
      sortable: true,
      header: header(i18n, columns),
      addItem: (row, _index, data) => {
        addItem(row, data ?? {});
        check();
      },
      removeItem,
    });
    for (const r of (rows ?? []) as unknown[]) $(id).editableList('addItem', r);
  };

  list('#fh-oee-statemap', 'label.addState', [{ label: 'label.plcValue', width: 110 }, { label: 'label.machineState' }], (row, r) => {
    $('<input type="text" class="fh-oee-sm-value" style="width: 100px">').val(r.value ?? '').appendTo(row);
    const sel = $('<select class="fh-oee-sm-state" style="width: 160px; margin-left: 10px">').appendTo(row);
    for (const s of STATES) $('<option>').val(s).text(i18n(`state.${s}`)).appendTo(sel);
    sel.val(r.state ?? 'running');
  }, check, node.stateMap);

  const refreshDefaultProduct = (): void => {
    const sel = $('#node-input-defaultProduct');
    const current = sel.val() || text(node.defaultProduct);
    sel.empty();
    $('<option value="">').text(i18n('label.noDefaultProduct')).appendTo(sel);
    for (const n of productNames(node)) if (n) $('<option>').val(n).text(n).appendTo(sel);
    sel.val(current);
    if (sel.val() !== current) sel.val('');
  };
  list('#fh-oee-products', 'label.addProduct', [{ label: 'label.product', width: 210 }, { label: 'label.idealCycleTime' }], (row, p) => {
    $('<input type="text" class="fh-oee-p-name" style="width: 200px">').val(p.name ?? '').appendTo(row).on('change', refreshDefaultProduct);
    $('<input type="text" class="fh-oee-p-ict" style="width: 90px; margin-left: 10px" placeholder="1.5">').val(p.ict ?? '').appendTo(row);
    $('<span> s</span>').appendTo(row);
  }, () => {
    refreshDefaultProduct();
    check();
  }, node.products);
  refreshDefaultProduct();

  const reasonColumns = [{ label: 'label.category', width: 130 }, { label: 'label.reason', width: 150 }, { label: 'label.reasonId', width: 110 }, { label: 'label.plcCodes' }];
  list('#fh-oee-reasons', 'label.addReason', reasonColumns, (row, r) => {
    const cat = $('<input type="text" class="fh-oee-r-category" style="width: 120px">').val(r.category ?? '').appendTo(row);
    const name = $('<input type="text" class="fh-oee-r-name" style="width: 140px; margin-left: 10px">').val(r.name ?? '').appendTo(row);
    const id = $('<input type="text" class="fh-oee-r-id" style="width: 100px; margin-left: 10px">').val(r.id ?? '').appendTo(row);
    $('<input type="text" class="fh-oee-r-codes" style="width: 110px; margin-left: 10px" placeholder="101, 102">').val(r.codes ?? '').appendTo(row);
    // A new reason gets an id from its name until the id is edited.
    let auto = !r.id;
    id.on('input', () => {
      auto = false;
    });
    const slug = (): void => {
      if (auto) id.val((name.val() || cat.val() || '').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, ''));
    };
    cat.on('input', slug);
    name.on('input', slug);
  }, check, node.reasons);

  lists.set(node, collect);

  const validate = async (): Promise<void> => {
    const props: Record<string, unknown> = { ...collect() };
    for (const k of SCALARS) props[k] = $(`#node-input-${k}`).val();
    const calendar = hubRed().nodes.node($('#node-input-calendar').val() ?? '');
    const body: Record<string, unknown> = { props };
    if (calendar) body.calendar = { timeZone: calendar.timeZone, shifts: calendar.shifts, holidays: calendar.holidays, plannedStops: calendar.plannedStops };
    showIssues($('#fh-oee-issues'), await adminFetch('factoryhub/oee/node/validate', { method: 'POST', body }), i18n('label.checkFailed'));
  };
  $('#fh-oee-form').on('input change', 'input, select', check);
  void validate();
}


/** A tag's row: its name in the machine's part of the hierarchy. */
const tagRow = (example: string, icon?: string): RowSpec => ({ width: '70%', placeholder: `plant/line1/filler/${example}`, ...(icon ? { icon } : {}) });
const TIME: RowSpec = { width: '80px', unit: 's', labelWidth: '200px' };

const oee: NodeEditor = {
  rows: {
    name: NAME_ROW,
    machine: { icon: 'sitemap', placeholder: 'plant/line1/filler' },
    calendar: { icon: 'calendar' },
    stateSource: { icon: 'heartbeat', input: 'select', width: '70%', options: keyedOptions('stateSource', ['state', 'run']) },
    stateTag: tagRow('state'),
    runTag: tagRow('running'),
    countBasis: { icon: 'calculator', input: 'select', width: '70%', options: keyedOptions('countBasis', ['total+good', 'total+reject', 'good+reject']) },
    totalTag: tagRow('count'),
    goodTag: tagRow('good'),
    rejectTag: tagRow('reject'),
    counterMode: { input: 'select', width: '70%', options: keyedOptions('counterMode', ['abs32', 'abs16', 'abs', 'inc']) },
    maxStep: { width: '100px', placeholder: '1000' },
    reasonTag: tagRow('fault', 'exclamation-triangle'),
    productTag: tagRow('product', 'cube'),
    defaultProduct: { input: 'select', width: '70%' },
    clearCodes: { width: '150px', placeholder: '0' },
    smallStop: TIME,
    staleAfter: TIME,
    startup: TIME,
    reorderTolerance: TIME,
    reportInterval: TIME,
    tickInterval: TIME,
    saveInterval: TIME,
  },
  definition: (): NodeDefinition => ({
    category: 'factory hub',
    defaults: {
      name: { value: '' },
      machine: { value: '', validate: pattern(PATH) },
      calendar: { value: '', type: 'fh-shift-calendar', required: true },
      stateSource: { value: 'state', validate: oneOf('state', 'run') },
      stateTag: { value: '', validate: when((n) => source(n) === 'state', tag) },
      stateMap: {
        value: [
          { value: '0', state: 'idle' },
          { value: '1', state: 'running' },
          { value: '2', state: 'down' },
          { value: '3', state: 'planned' },
          { value: '4', state: 'changeover' },
        ],
        validate: stateRowsOk,
      },
      runTag: { value: '', validate: when((n) => source(n) === 'run', tag) },
      countBasis: { value: 'total+good', validate: oneOf('total+good', 'total+reject', 'good+reject') },
      totalTag: { value: '', validate: when((n) => basisHas(n, 'total'), tag) },
      goodTag: { value: '', validate: when((n) => basisHas(n, 'good'), tag) },
      rejectTag: { value: '', validate: when((n) => basisHas(n, 'reject'), tag) },
      counterMode: { value: 'abs32', validate: oneOf('abs16', 'abs32', 'abs', 'inc') },
      maxStep: { value: '', validate: (v) => v === '' || v === undefined || (Number.isInteger(Number(v)) && Number(v) >= 1) },
      reasonTag: { value: '', validate: optionalTag },
      reasons: { value: [], validate: reasonRowsOk },
      clearCodes: { value: '0' },
      productTag: { value: '', validate: optionalTag },
      products: { value: [], validate: productRowsOk },
      defaultProduct: { value: '', validate: withNode((v, node) => !v || productNames(node).includes(text(v))) },
      smallStop: { value: 300, validate: seconds(0, 86400) },
      staleAfter: { value: 60, validate: seconds(1, 86400) },
      startup: { value: 600, validate: seconds(0, 86400) },
      reorderTolerance: { value: 2, validate: seconds(0, 3600) },
      reportInterval: { value: 10, validate: seconds(0, 86400) },
      tickInterval: { value: 1, validate: (v) => seconds(0, 3600)(v) && (v === '' || v === undefined || v === null || Number(v) === 0 || Number(v) >= 0.1) },
      saveInterval: { value: 10, validate: seconds(0, 3600) },
    },
    inputs: 1,
    outputs: 3,
    label(this: EditorNode): string {
      return this.name || (this.machine ? `OEE ${text(this.machine)}` : 'oee');
    },
    labelStyle: namedStyle,
    outputLabels(this: EditorNode, i: number): string {
      return this._?.(`fh-oee.outputs.${['figures', 'events', 'shiftEnd'][i] ?? ''}`) ?? '';
    },
    oneditprepare(this: EditorNode): void {
      prepare(this);
    },
    ...lists.hooks,
  }),
};

export const OEE = { 'fh-oee': oee };
