/// <reference lib="dom" />
/**
 * The tag-map config node. Its table editor, CSV tools and the "Tag maps" sidebar are the tag-map bundle
 * (resources/tag-editor.js, global FactoryHubTags, loaded by tag-map.html), reached here at call time.
 */
import { plural } from '../../tags/editor/dom';
import type { EditorNode, NodeDefinition, NodeEditor } from './definition';
import { NAME_ROW } from './form-rows';

interface TagEditorBundle {
  validateTagMap(value: { rows: unknown; templates: unknown; instances: unknown }): true | string;
  addTagMapSidebar(): void;
  prepareDialog(node: EditorNode, host: HTMLElement | null, nameInput: HTMLElement | null): void;
  saveDialog(node: EditorNode): void;
  cancelDialog(node: EditorNode): void;
  resizeDialog(node: EditorNode, size: { width: number; height: number }): void;
}

const bundle = (): TagEditorBundle | undefined => (globalThis as { FactoryHubTags?: TagEditorBundle }).FactoryHubTags;

const tagMap: NodeEditor = {
  rows: { name: NAME_ROW },
  definition: (): NodeDefinition => ({
    category: 'config',
    defaults: {
      name: { value: '', required: true },
      rows: {
        value: [],
        // The runtime's own validation (from the bundle), so the editor flags a broken map before deploy.
        validate(this: EditorNode, v) {
          const tags = bundle();
          return tags === undefined ? Array.isArray(v) : tags.validateTagMap({ rows: v, templates: this.templates, instances: this.instances });
        },
      },
      templates: { value: [] },
      instances: { value: [] },
    },
    label(this: EditorNode): string {
      const rows = Array.isArray(this.rows) ? this.rows.length : 0;
      const machines = Array.isArray(this.instances) ? this.instances.length : 0;
      return `${this.name || 'tag map'} (${plural(rows, 'row')}${machines ? `, ${plural(machines, 'machine')}` : ''})`;
    },
    onpaletteadd(): void {
      bundle()?.addTagMapSidebar();
    },
    oneditprepare(this: EditorNode): void {
      const host = document.getElementById('node-config-input-fh-tag-map-editor');
      const tags = bundle();
      if (tags === undefined) {
        // Without the bundle the rows are left exactly as they are (oneditsave does nothing).
        if (host !== null) host.textContent = 'The tag-map editor (resources/@factoryhub/node-red-factoryhub/tag-editor.js) did not load; reload the editor.';
        return;
      }
      tags.prepareDialog(this, host, document.getElementById('node-config-input-name'));
    },
    oneditsave(this: EditorNode): void {
      bundle()?.saveDialog(this);
    },
    oneditcancel(this: EditorNode): void {
      bundle()?.cancelDialog(this);
    },
    oneditresize(this: EditorNode, size): void {
      bundle()?.resizeDialog(this, size);
    },
  }),
};

export const TAGS = { 'fh-tag-map': tagMap };
