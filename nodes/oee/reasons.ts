/**
 * The downtime reason tree (category > reason) and the PLC code mapping onto it.
 *
 * A reason has a stable id (what stops, operators and the ERP refer to), a category and a name
 * (what people read), and the PLC codes that mean it. Codes are compared as text, so 101 and "101"
 * are one code. Clear codes (default 0) mean "no fault" and never name a reason.
 */

export interface ReasonConfig {
  readonly id: string;
  readonly category: string;
  readonly name: string;
  readonly codes?: readonly (number | string)[];
}

export interface ReasonTree {
  readonly byId: ReadonlyMap<string, ReasonConfig>;
  /** The view of each configured reason, shared by all outputs. */
  readonly views: ReadonlyMap<string, ReasonView>;
  /** PLC code (as text) -> reason id. */
  readonly byCode: ReadonlyMap<string, string>;
  readonly clearCodes: ReadonlySet<string>;
}

/** Reason of a stop as reported: null fields for a reason id no longer in the tree. */
export interface ReasonView {
  readonly id: string;
  readonly category: string | null;
  readonly name: string | null;
}

export function compileReasons(reasons: readonly ReasonConfig[], clearCodes: readonly (number | string)[]): ReasonTree {
  const byId = new Map<string, ReasonConfig>();
  const byCode = new Map<string, string>();
  for (const r of reasons) {
    byId.set(r.id, r);
    for (const c of r.codes ?? []) byCode.set(String(c), r.id);
  }
  const views = new Map([...byId.values()].map((r) => [r.id, Object.freeze({ id: r.id, category: r.category, name: r.name })]));
  return { byId, views, byCode, clearCodes: new Set(clearCodes.map(String)) };
}

export function reasonView(tree: ReasonTree, id: string): ReasonView {
  return tree.views.get(id) ?? { id, category: null, name: null };
}

const isCode = (c: unknown): c is number | string =>
  (typeof c === 'number' && Number.isFinite(c)) || (typeof c === 'string' && c.trim() !== '');

export function validateReasons(reasons: unknown, clearCodes: unknown): string[] {
  const issues: string[] = [];
  const clear = new Set<string>();
  if (clearCodes !== undefined) {
    if (!Array.isArray(clearCodes) || !(clearCodes as unknown[]).every(isCode)) issues.push('reasonClearCodes must be an array of numbers or strings');
    else for (const c of clearCodes as (number | string)[]) clear.add(String(c));
  } else clear.add('0');
  if (reasons === undefined) return issues;
  if (!Array.isArray(reasons)) return [...issues, 'reasons must be an array of {id, category, name, codes}'];
  const ids = new Map<string, number>();
  const codes = new Map<string, number>();
  (reasons as unknown[]).forEach((r, i) => {
    const at = `reasons[${i}]`;
    if (typeof r !== 'object' || r === null) {
      issues.push(`${at} must be an object {id, category, name, codes}`);
      return;
    }
    const { id, category, name, codes: list } = r as Record<string, unknown>;
    for (const [key, v] of [['id', id], ['category', category], ['name', name]] as const) {
      if (typeof v !== 'string' || v.trim() === '') issues.push(`${at}.${key} must be a non-empty string`);
    }
    if (typeof id === 'string') {
      const other = ids.get(id);
      if (other !== undefined) issues.push(`${at}.id ${JSON.stringify(id)} is also the id of reasons[${other}]`);
      ids.set(id, i);
    }
    if (list === undefined) return;
    if (!Array.isArray(list)) {
      issues.push(`${at}.codes must be an array`);
      return;
    }
    for (const c of list as unknown[]) {
      if (!isCode(c)) issues.push(`${at}.codes: ${JSON.stringify(c)} is not a code (number or text)`);
      else if (clear.has(String(c))) issues.push(`${at}.codes: ${JSON.stringify(c)} is a clear code ("no fault")`);
      else {
        const other = codes.get(String(c));
        if (other !== undefined && other !== i) issues.push(`${at}.codes: ${JSON.stringify(c)} is also mapped by reasons[${other}]`);
        codes.set(String(c), i);
      }
    }
  });
  return issues;
}
