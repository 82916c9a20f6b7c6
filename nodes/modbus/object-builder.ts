/**
 * Builds the payload of a scan message, `{ [names[i]]: values[i] }`, with one object literal compiled
 * once per read node. Why: adding hundreds of keys one by one turns the object into a slow dictionary
 * (V8), which costs twice as much to build and ten to fifty times as much for every consumer to walk
 * (for-in, JSON, Node-RED's message clone); a literal gets fast properties.
 * The names are embedded as JSON string literals (no code can be injected through a tag name); when a
 * name is "__proto__" (a literal would set the prototype) or the runtime forbids code generation, it
 * falls back to the loop.
 */
export type ObjectBuilder = (values: ArrayLike<unknown>) => Record<string, unknown>;

export function objectBuilder(names: readonly string[]): ObjectBuilder {
  const loop: ObjectBuilder = (values) => {
    const out: Record<string, unknown> = {};
    for (let i = 0; i < names.length; i++) {
      // `out.__proto__ = v` would set the prototype, not a property.
      if (names[i] === '__proto__') Object.defineProperty(out, '__proto__', { value: values[i], enumerable: true, writable: true, configurable: true });
      else out[names[i]] = values[i];
    }
    return out;
  };
  if (names.includes('__proto__')) return loop;
  try {
    const body = `return {${names.map((n, i) => `${JSON.stringify(n)}: v[${i}]`).join(',\n')}};`;
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    return new Function('v', body) as ObjectBuilder;
  } catch {
    return loop;
  }
}
