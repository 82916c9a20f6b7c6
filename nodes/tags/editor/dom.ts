/// <reference lib="dom" />
/** A small element builder, so the editor needs neither jQuery typings nor a UI framework. */

type Child = Node | string | null | undefined | false;
type Props = Record<string, string | number | boolean | ((event: Event) => void) | undefined>;

/**
 * `el('button', { class: 'red-ui-button', onclick: go }, 'Save')`. Keys starting with `on` are event
 * listeners; `true` sets a boolean attribute, `false`/undefined leaves it out; text is never HTML.
 */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') element.addEventListener(key.slice(2), value);
    else if (value === true) element.setAttribute(key, '');
    else element.setAttribute(key, String(value));
  }
  append(element, ...children);
  return element;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
  }
}

export function clear(element: Node): void {
  while (element.firstChild !== null) element.removeChild(element.firstChild);
}

/** `3 rows`, `1 row`. */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
