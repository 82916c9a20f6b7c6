/** A status text from the node's message catalog, or the English text when the catalog is not loaded. */
import type { NodeAPI } from 'node-red';

export function statusTexts<K extends string>(RED: NodeAPI, type: string, english: Record<K, string>): (id: K, vars?: Record<string, string | number>) => string {
  return (id, vars = {}) => {
    const text = RED._(`${type}.status.${id}`, vars);
    const out = text.endsWith(`status.${id}`) ? english[id].replace(/__(\w+)__/g, (_m, v: string) => String(vars[v] ?? '')) : text;
    return out.slice(0, 120);
  };
}
