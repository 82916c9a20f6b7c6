/// <reference lib="dom" />
/**
 * The pencil and plus buttons beside a config-node select: Node-RED 4.1 gives them tooltips with the raw
 * type ("Edit fh-modbus-client config node", red.js prepareConfigNodeSelect) although the tray they open
 * is titled with the paletteLabel. Their hover tooltip is replaced by one with the readable name.
 */
import { readableType } from '../../shared/display-names';
import { hubRed } from '../browser/red';
import type { NodeDefinition } from './definition';
import { $ } from './jquery';
import type { Jq } from './jquery';

interface RedPopover {
  _(key: string, options?: object): string;
  popover?: { tooltip?(target: Jq, content: string): unknown };
}

export function nameConfigButtons(definition: NodeDefinition): void {
  const red = hubRed() as unknown as RedPopover;
  const popover = red.popover;
  if (popover?.tooltip === undefined) return;
  const prefix = definition.category === 'config' ? 'node-config-input' : 'node-input';
  for (const [property, spec] of Object.entries(definition.defaults)) {
    if (spec.type === undefined) continue;
    const type = readableType(spec.type);
    for (const [kind, key] of [['edit', 'editor.editConfig'], ['add', 'editor.addNewConfig']] as const) {
      const button = $(`#${prefix}-btn-${property}-${kind}`);
      if (button.length === 0) continue;
      // Node-RED's tooltip is the only hover handler these buttons have.
      button.off('mouseenter mouseleave disabled');
      popover.tooltip(button, red._(key, { type }));
    }
  }
}
