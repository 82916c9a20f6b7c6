/// <reference lib="dom" />
/**
 * The parts of the Node-RED editor's global `RED` this plugin uses beyond those the tag-map editor
 * types (nodes/tags/editor/red.ts), which it reuses with its adminFetch.
 */
import type { EditorRED } from '../../tags/editor/red';

export interface HubRED extends EditorRED {
  readonly actions: {
    add(name: string, handler: () => void): void;
    remove(name: string): void;
    get(name: string): (() => void) | undefined;
  };
  readonly settings: EditorRED['settings'] & { readonly user?: { readonly username?: string; readonly permissions?: string | string[] } };
}

export function hubRed(): HubRED {
  const found = (globalThis as { RED?: HubRED }).RED;
  if (found === undefined) throw new Error('the Node-RED editor (RED) is not loaded');
  return found;
}
