/**
 * Everything one open tag-map editor holds: the map's own rows, its templates and its instances as
 * tables, the value to store, and every error placed on the table, row and column to mark. Judged by
 * compileTagMap, the same function the runtime and the admin endpoints use. Pure, no DOM.
 */
import { TAG_COLUMNS } from '../tag';
import type { TagColumn, TagRow } from '../tag';
import type { TagTemplate, TemplateInstance } from '../template';
import { compileTagMap } from '../tag-map-model';
import type { TagMapError } from '../tag-map-model';
import { INSTANCE_COLUMNS, cellsInstance, instanceCells } from './instance-cells';
import type { InstanceColumn } from './instance-cells';
import { TableModel } from './table-model';

/** The stored properties. Broken instances are kept as typed text, so nothing is lost on save. */
export interface TagMapValue {
  readonly rows: TagRow[];
  readonly templates: TagTemplate[];
  readonly instances: TemplateInstance[];
}

/** Which table a mark goes to: the map's rows, a template (by position), or the instances. */
export type TableId = 'rows' | 'instances' | `template:${number}`;

export interface EditorError {
  readonly text: string;
  /** Where to mark it; absent for errors of the map as a whole. `column` null marks the row. */
  readonly at?: { readonly table: TableId; readonly key: number; readonly column: string | null };
  /** From the map's own rows, or from the file (as opposed to templates/instances). */
  readonly own: boolean;
}

export interface CheckResult {
  readonly errors: EditorError[];
  /** Valid tags, 0 while there are errors. */
  readonly tags: number;
}

export interface EditorTemplate {
  name: string;
  readonly table: TableModel<TagColumn>;
}

export class TagMapState {
  readonly rows: TableModel<TagColumn>;
  readonly templates: EditorTemplate[];
  readonly instances: TableModel<InstanceColumn>;

  constructor(value: { readonly rows?: unknown; readonly templates?: unknown; readonly instances?: unknown }) {
    this.rows = new TableModel(TAG_COLUMNS, listOf(value.rows));
    this.templates = listOf(value.templates).map((raw) => {
      const t = (typeof raw === 'object' && raw !== null ? raw : {}) as { name?: unknown; rows?: unknown };
      return { name: typeof t.name === 'string' ? t.name : '', table: new TableModel(TAG_COLUMNS, listOf(t.rows)) };
    });
    this.instances = new TableModel(INSTANCE_COLUMNS, listOf(value.instances).map(instanceCells));
  }

  addTemplate(name: string): number {
    this.templates.push({ name, table: new TableModel(TAG_COLUMNS) });
    return this.templates.length - 1;
  }

  removeTemplate(index: number): void {
    this.templates.splice(index, 1);
  }

  /** Renames a template and the instances that use it (names match case-insensitively, as in expansion). */
  renameTemplate(index: number, name: string): void {
    const template = this.templates[index];
    if (template === undefined) return;
    const old = template.name.trim().toLowerCase();
    template.name = name;
    for (const key of this.instances.keys()) {
      if (old !== '' && this.instances.cell(key, 'template').trim().toLowerCase() === old) this.instances.setCell(key, 'template', name);
    }
  }

  value(): TagMapValue {
    const typed = this.instances.toRows();
    return {
      rows: this.rows.toRows(),
      templates: this.templates.map((t) => ({ name: t.name.trim(), rows: t.table.toRows() })),
      instances: this.instances.keys().map((key, i) => {
        const converted = cellsInstance(cellsOf(this.instances, key));
        // Keep what the technician typed; validation (here and in the runtime) names the problem.
        return converted.ok ? converted.instance : (typed[i] as unknown as TemplateInstance);
      }),
    };
  }

  check(): CheckResult {
    return this.checkWith();
  }

  /** As check(), with the rows of one table replaced (an import being previewed). */
  checkWith(replace?: { readonly table: 'rows' | `template:${number}`; readonly rows: readonly TagRow[] }): CheckResult {
    const errors: EditorError[] = [];
    const instances: TemplateInstance[] = [];
    const numbers: number[] = [];
    this.instances.keys().forEach((key, i) => {
      const converted = cellsInstance(cellsOf(this.instances, key));
      if (converted.ok) {
        instances.push(converted.instance);
        numbers.push(i + 1);
        return;
      }
      for (const e of converted.errors) {
        errors.push({ text: `instance ${i + 1}, column "${e.column ?? ''}": ${e.message}`, at: { table: 'instances', key, column: e.column }, own: false });
      }
    });
    const rows = replace?.table === 'rows' ? replace.rows : (this.rows.toRows() as TagRow[]);
    const templates = this.templates.map((t, i) => ({
      name: t.name,
      rows: replace?.table === `template:${i}` ? replace.rows : (t.table.toRows() as TagRow[]),
    }));
    const model = compileTagMap({ rows, templates, instances }, { instanceNumbers: numbers });
    for (const e of model.errors) errors.push(this.place(e, replace === undefined));
    errors.sort((a, b) => Number(b.own) - Number(a.own));
    return { errors, tags: errors.length > 0 ? 0 : model.tags.length };
  }

  private place(e: TagMapError, markable: boolean): EditorError {
    const own = e.instance === 0 && e.template === null;
    if (!markable) return { text: e.text, own };
    if (e.row > 0) {
      const key = this.rows.keyAt(e.row - 1);
      return key === undefined ? { text: e.text, own } : { text: e.text, own, at: { table: 'rows', key, column: e.column } };
    }
    if (e.instance > 0) {
      const key = this.instances.keyAt(e.instance - 1);
      return key === undefined ? { text: e.text, own } : { text: e.text, own, at: { table: 'instances', key, column: null } };
    }
    if (e.template !== null) {
      const index = this.templates.findIndex((t) => t.name.trim().toLowerCase() === e.template?.trim().toLowerCase());
      const template = this.templates[index];
      if (template !== undefined && e.tag !== null) {
        const tag = e.tag.trim().replace(/^\/+/, '').toLowerCase();
        const key = template.table.keys().find((k) => template.table.cell(k, 'name').trim().replace(/^\/+/, '').toLowerCase() === tag);
        if (key !== undefined) return { text: e.text, own, at: { table: `template:${index}`, key, column: e.column } };
      }
    }
    return { text: e.text, own };
  }
}

function listOf(value: unknown): unknown[] {
  return Array.isArray(value) ? (value as unknown[]) : [];
}

function cellsOf<C extends string>(table: TableModel<C>, key: number): Partial<Record<C, string>> {
  const cells: Partial<Record<C, string>> = {};
  for (const column of table.columns) {
    const value = table.cell(key, column);
    if (value !== '') cells[column] = value;
  }
  return cells;
}

/** `true`, or why the stored map is invalid: for the node's `validate` in the editor. */
export function validateTagMap(value: { readonly rows?: unknown; readonly templates?: unknown; readonly instances?: unknown }): true | string {
  const { errors } = compileTagMap(value);
  if (errors.length === 0) return true;
  const first = errors[0]?.text ?? '';
  return errors.length === 1 ? first : `${first} (and ${errors.length - 1} more)`;
}
