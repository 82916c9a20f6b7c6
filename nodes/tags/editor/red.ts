/// <reference lib="dom" />
/**
 * The few parts of the Node-RED editor (the browser's global `RED`) the tag-map editor uses, typed
 * here instead of pulling in the jQuery-based editor typings. All exist in Node-RED 3, 4 and 5.
 */

/** What RED.tray hands to `open`: a jQuery object; we only need its DOM elements. */
export interface JQueryLike {
  find(selector: string): ArrayLike<HTMLElement>;
}

export interface TrayButton {
  readonly id?: string;
  readonly text: string;
  readonly class?: string;
  click(): void;
}

export interface TrayOptions {
  readonly title: string;
  readonly width?: number | 'inherit';
  readonly buttons: readonly TrayButton[];
  /** Declared with one parameter: the tray then finishes opening by itself. */
  open(tray: JQueryLike): void;
  /** `height` is missing on some calls (the tray only reports its width then). */
  resize?(dimensions: { width: number; height?: number }): void;
  close?(): void;
}

export interface SidebarTab {
  readonly id: string;
  readonly label: string;
  readonly name: string;
  readonly iconClass: string;
  readonly content: HTMLElement;
  readonly enableOnEdit?: boolean;
  readonly action?: string;
  onchange?(): void;
}

/** An editor-side node (config node) as RED.nodes.node(id) returns it. */
export interface EditorNode {
  readonly id: string;
  readonly type: string;
  name?: string;
  rows?: unknown;
  templates?: unknown;
  instances?: unknown;
  [property: string]: unknown;
}

export interface EditorRED {
  readonly user: { hasPermission(permission: string): boolean };
  readonly nodes: {
    node(id: string): EditorNode | null | undefined;
    dirty(): boolean;
    version(rev?: string): string | null;
  };
  readonly sidebar: { addTab(tab: SidebarTab): void; show(id: string): void };
  readonly tray: { show(options: TrayOptions): void; close(done?: () => void): void };
  readonly editor?: { validateNode?(node: EditorNode): boolean };
  readonly view?: { redraw?(full?: boolean): void };
  readonly actions?: { add(name: string, handler: () => void): void };
  notify(message: string, options?: { type?: 'error' | 'warning' | 'success' | 'compact'; timeout?: number } | string): unknown;
  readonly settings: { readonly apiRootUrl?: string; get(key: string): unknown };
}

/** The editor's RED, which exists only in the browser after the editor has loaded. */
export function red(): EditorRED {
  const found = (globalThis as { RED?: EditorRED }).RED;
  if (found === undefined) throw new Error('the Node-RED editor (RED) is not loaded');
  return found;
}

/**
 * Calls the admin API the way the editor's own requests do: relative to `apiRootUrl`, with the access
 * token the editor keeps (RED.settings `auth-tokens`), so the server sees the logged-in user.
 */
export async function adminFetch(path: string, init: { method?: string; body?: unknown } = {}): Promise<{ status: number; body: unknown }> {
  const RED = red();
  const headers: Record<string, string> = { accept: 'application/json', 'Node-RED-API-Version': 'v2' };
  const tokens = RED.settings.get('auth-tokens') as { access_token?: unknown } | null | undefined;
  if (typeof tokens?.access_token === 'string') headers.authorization = `Bearer ${tokens.access_token}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch((RED.settings.apiRootUrl ?? '') + path, {
    method: init.method ?? 'GET',
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    cache: 'no-store',
  });
  const text = await res.text();
  try {
    return { status: res.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
  } catch {
    return { status: res.status, body: text }; // not JSON (e.g. "Unauthorized")
  }
}
