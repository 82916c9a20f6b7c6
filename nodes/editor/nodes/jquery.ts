/// <reference lib="dom" />
/**
 * The editor's jQuery (the page's global `$`), typed for the calls our edit dialogs make. Typed here
 * rather than through @types/jquery, which this package does not depend on; every method exists in the
 * jQuery 3 that Node-RED 3, 4 and 5 ship.
 */

type Content = Jq | HTMLElement | string;
type Handler = (this: HTMLElement, event: Event) => void;

export interface EditableListOptions<T> {
  addButton?: string | boolean;
  height?: number | 'auto';
  removable?: boolean;
  sortable?: boolean;
  header?: Jq;
  addItem(row: Jq, index: number, data: T): void;
  removeItem?(data: T): void;
  sortItems?(): void;
}

export interface Jq {
  readonly length: number;
  val(): string | undefined;
  val(value: string | number): Jq;
  text(): string;
  text(value: string): Jq;
  html(value: string): Jq;
  attr(name: string): string | undefined;
  attr(name: string, value: string): Jq;
  prop(name: string): unknown;
  prop(name: string, value: boolean): Jq;
  css(name: string, value: string): Jq;
  on(events: string, handler: Handler): Jq;
  on(events: string, selector: string, handler: Handler): Jq;
  off(events: string): Jq;
  toggle(show?: boolean): Jq;
  show(): Jq;
  hide(): Jq;
  is(selector: string): boolean;
  hasClass(name: string): boolean;
  addClass(name: string): Jq;
  toggleClass(name: string, on: boolean): Jq;
  find(selector: string): Jq;
  children(): Jq;
  each(fn: (this: HTMLElement, index: number) => void): Jq;
  empty(): Jq;
  remove(): Jq;
  append(...content: Content[]): Jq;
  appendTo(target: Content): Jq;
  editableList<T>(options: EditableListOptions<T>): Jq;
  editableList(method: 'addItem', data: unknown): Jq;
  editableList(method: 'items'): Jq;
}

export type JQueryFn = (selector: string | HTMLElement | Jq) => Jq;

/** The page's jQuery; the editor always has one. */
export function $(selector: string | HTMLElement | Jq): Jq {
  const jquery = (globalThis as { $?: JQueryFn }).$;
  if (jquery === undefined) throw new Error('the Node-RED editor (jQuery) is not loaded');
  return jquery(selector);
}

/** A value read from an input: trimmed text, '' when there is none. */
export function textOf(row: Jq, selector: string): string {
  return (row.find(selector).val() ?? '').trim();
}
