/// <reference lib="dom" />
/**
 * The standard rows of our edit dialogs, written once. A dialog's template (in its node's .html) places a
 * row with `<div data-fh-row="property"></div>` (a `class` on it is kept, e.g. for rows shown per
 * option); at registration its node module's row specs turn each into Node-RED's usual
 * `<div class="form-row"><label …><input id="node-input-property"></div>`, labelled from the node's
 * message catalog (`<type>.label.<property>`). Rows that combine several inputs stay in the template.
 */

export interface Option {
  readonly value: string;
  /** Message key under the node's namespace; the value itself is the text when neither is given. */
  readonly key?: string;
  readonly text?: string;
}

export interface RowSpec {
  /** Font Awesome 4 icon name, without `fa-`. */
  readonly icon?: string;
  /** `button`: a button labelled like a row, for an action of the dialog (its id is the row's input id). */
  readonly input?: 'text' | 'password' | 'checkbox' | 'textarea' | 'select' | 'button';
  readonly options?: readonly Option[];
  readonly width?: string;
  readonly placeholder?: string;
  /** Message key of the placeholder, under the node's namespace. */
  readonly placeholderKey?: string;
  /** A unit after the input (`ms`, `s`). */
  readonly unit?: string;
  /** Message key of a hint after the input, under the node's namespace. */
  readonly hintKey?: string;
  readonly rows?: number;
  /** A wider label, for long ones. */
  readonly labelWidth?: string;
  readonly monospace?: boolean;
  /** For secrets and user names: the browser must not fill them in. */
  readonly noAutofill?: boolean;
}

export type RowSpecs = Readonly<Record<string, RowSpec>>;

/** Rows every family shares. */
export const NAME_ROW: RowSpec = { icon: 'tag', placeholderKey: 'label.name' };
export const TAG_MAP_ROW: RowSpec = { icon: 'table' };
export const DEVICE_ROW: RowSpec = { icon: 'server' };
export const PREFIX_ROW: RowSpec = { icon: 'sitemap', placeholder: 'site/area/line/machine' };
export const BROWSE_ROW: RowSpec = { icon: 'search', input: 'button' };

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Options whose text is `<namespace>.<property>.<value>`, the catalogs' convention. */
export function keyedOptions(group: string, values: readonly string[]): Option[] {
  return values.map((value) => ({ value, key: `${group}.${value}` }));
}

/** The HTML of one row: pure, so that it is unit-tested without an editor. */
export function rowHtml(type: string, config: boolean, property: string, spec: RowSpec, classes = ''): string {
  const id = `node-${config ? 'config-' : ''}input-${property}`;
  const label = `<span data-i18n="${type}.label.${property}"></span>`;
  const style = [spec.width !== undefined ? `width: ${spec.width}` : '', spec.monospace === true ? 'font-family: monospace' : ''].filter(Boolean).join('; ');
  const attrs = [
    `id="${id}"`,
    style !== '' ? `style="${style}"` : '',
    spec.placeholder !== undefined ? `placeholder="${escape(spec.placeholder)}"` : '',
    spec.placeholderKey !== undefined ? `data-i18n="[placeholder]${type}.${spec.placeholderKey}"` : '',
    spec.noAutofill === true ? `autocomplete="${spec.input === 'password' ? 'new-password' : 'off'}"` : '',
  ]
    .filter(Boolean)
    .join(' ');
  const after = (spec.unit !== undefined ? ` ${escape(spec.unit)}` : '') + (spec.hintKey !== undefined ? ` <span data-i18n="${type}.${spec.hintKey}"></span>` : '');
  const rowClass = `form-row${classes !== '' ? ` ${classes}` : ''}`;
  if (spec.input === 'checkbox') {
    return `<div class="${rowClass}"><label for="${id}" style="width: auto"><input type="checkbox" ${attrs} style="width: auto; margin: 0 6px 0 0" /> ${label}</label>${after}</div>`;
  }
  const icon = spec.icon !== undefined ? `<i class="fa fa-${spec.icon}"></i> ` : '';
  if (spec.input === 'button') return `<div class="${rowClass}"><label></label><button type="button" id="${id}" class="red-ui-button">${icon}${label}</button></div>`;
  let input: string;
  if (spec.input === 'select') {
    const options = (spec.options ?? [])
      .map((o) => `<option value="${escape(o.value)}"${o.key !== undefined ? ` data-i18n="${type}.${o.key}">` : `>${escape(o.text ?? o.value)}`}</option>`)
      .join('');
    input = `<select ${attrs}>${options}</select>`;
  } else if (spec.input === 'textarea') {
    input = `<textarea ${attrs} rows="${spec.rows ?? 3}"></textarea>`;
  } else {
    input = `<input type="${spec.input ?? 'text'}" ${attrs} />`;
  }
  const labelStyle = spec.labelWidth !== undefined ? ` style="width: ${spec.labelWidth}"` : '';
  return `<div class="${rowClass}"><label for="${id}"${labelStyle}>${icon}${label}</label>${input}${after}</div>`;
}

const PLACEHOLDER = /<div data-fh-row="([A-Za-z0-9_]+)"(?: class="([^"]*)")?><\/div>/g;

/** The template with every row placeholder filled in; a placeholder without a spec is an error. */
export function expandTemplate(template: string, type: string, config: boolean, specs: RowSpecs): string {
  return template.replace(PLACEHOLDER, (_match, property: string, classes: string | undefined) => {
    const spec = specs[property];
    if (spec === undefined) throw new Error(`${type}: the template places row "${property}", which has no spec`);
    return rowHtml(type, config, property, spec, classes ?? '');
  });
}

/** Fills the rows of a node type's template in the page, once, before its first dialog opens. */
export function expandTemplateInPage(type: string, config: boolean, specs: RowSpecs): void {
  if (typeof document === 'undefined') return;
  const script = document.querySelector<HTMLScriptElement>(`script[data-template-name="${type}"]`);
  if (script === null) return;
  script.textContent = expandTemplate(script.textContent ?? '', type, config, specs);
}
