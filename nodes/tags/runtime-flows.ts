/**
 * The running Node-RED runtime's own flows API (`@node-red/runtime`'s `flows.getFlows/setFlows`, the
 * one behind the editor's GET/POST /flows), found in-process.
 *
 * Node-RED gives nodes no API to change the deployed flows. The runtime module is already loaded (it
 * loaded us), so we look it up in require.cache. To be sure it is the runtime serving this editor and
 * not another copy in the process, we accept only a module whose `httpAdmin` is the very admin app
 * our endpoints are registered on. This works wherever the package is installed, with any settings
 * file, and uses only the documented public runtime API: its mutex, its revision check (409 on a stale
 * rev), its audit log entry, its storage (flow file, projects, credentials) and its 'nodes' deploy.
 */

/** A node of a flow configuration (kept loose: the runtime hands back whatever was deployed). */
export interface RuntimeFlowNode {
  readonly id: string;
  readonly type: string;
  readonly [property: string]: unknown;
}

export interface RuntimeFlows {
  readonly rev: string;
  readonly flows: readonly RuntimeFlowNode[];
}

/** Who and what to name in the runtime's audit log. */
export interface RuntimeCaller {
  readonly user?: unknown;
  readonly req?: unknown;
}

export interface RuntimeFlowsApi {
  /** The active flows. The runtime returns its live object: never modify it. */
  getFlows(opts: RuntimeCaller): Promise<RuntimeFlows>;
  /** Rejects with `code: 'version_mismatch'` (status 409) when `flows.rev` is not the current revision. */
  setFlows(opts: RuntimeCaller & { flows: RuntimeFlows; deploymentType: 'nodes' }): Promise<{ rev: string }>;
}

const RUNTIME_INDEX = /[\\/]@node-red[\\/]runtime[\\/]lib[\\/]index\.js$/;

interface ModuleLike {
  readonly exports: unknown;
}

/** The flows API of the runtime whose admin app is `httpAdmin`, or undefined when there is none. */
export function findRuntimeFlowsApi(
  httpAdmin: unknown,
  cache: Readonly<Record<string, ModuleLike | undefined>> = require.cache,
): RuntimeFlowsApi | undefined {
  for (const [file, mod] of Object.entries(cache)) {
    if (!RUNTIME_INDEX.test(file) || mod === undefined) continue;
    const runtime = mod.exports as { readonly httpAdmin?: unknown; readonly flows?: unknown } | null;
    if (runtime === null || typeof runtime !== 'object' || runtime.httpAdmin !== httpAdmin) continue;
    if (isFlowsApi(runtime.flows)) return runtime.flows;
  }
  return undefined;
}

function isFlowsApi(value: unknown): value is RuntimeFlowsApi {
  const api = value as { getFlows?: unknown; setFlows?: unknown } | null | undefined;
  return typeof api?.getFlows === 'function' && typeof api.setFlows === 'function';
}

/** True for the runtime's stale-revision error. */
export function isVersionMismatch(err: unknown): boolean {
  const e = err as { code?: unknown; status?: unknown } | null;
  return e !== null && typeof e === 'object' && (e.code === 'version_mismatch' || e.status === 409);
}
