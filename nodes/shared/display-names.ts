/**
 * One place for how our node types are named and look: the readable name (the editor shows paletteLabel in
 * the palette and in "Edit … node", "Add new … config node" and "Add new …" of a config select; the
 * runtime in its messages about config nodes), the colour of the family (Modbus green, OPC UA blue) and
 * its icon (nodes/icons/, white on that colour). Pure: the editor bundle and the runtime both use it.
 */

export interface Look {
  readonly paletteLabel: string;
  readonly icon: string;
  readonly color?: string;
}

const MODBUS = '#C7E9C0';
const OPCUA = '#A9CCE3';
const OEE = '#FFCC66';
const ERP = '#FDD0A2';
const KPI = '#9FD8D0';
const UNS = '#D7BDE2';

export const LOOKS = {
  'fh-modbus-client': { paletteLabel: 'Modbus device', icon: 'fh-modbus.svg' },
  'fh-modbus-read': { paletteLabel: 'modbus read', icon: 'fh-modbus.svg', color: MODBUS },
  'fh-modbus-write': { paletteLabel: 'modbus write', icon: 'fh-modbus.svg', color: MODBUS },
  'fh-opcua-endpoint': { paletteLabel: 'OPC UA server', icon: 'fh-opcua.svg' },
  'fh-opcua-read': { paletteLabel: 'opcua read', icon: 'fh-opcua.svg', color: OPCUA },
  // Short enough for one palette line.
  'fh-opcua-subscribe': { paletteLabel: 'opcua sub', icon: 'fh-opcua.svg', color: OPCUA },
  'fh-opcua-write': { paletteLabel: 'opcua write', icon: 'fh-opcua.svg', color: OPCUA },
  'fh-opcua-method': { paletteLabel: 'opcua method', icon: 'fh-opcua.svg', color: OPCUA },
  'fh-tag-map': { paletteLabel: 'Tag map', icon: 'fh-tag-map.svg' },
  'fh-shift-calendar': { paletteLabel: 'Shift calendar', icon: 'fh-calendar.svg' },
  'fh-oee': { paletteLabel: 'oee', icon: 'fh-oee.svg', color: OEE },
  'fh-erp-connection': { paletteLabel: 'ERP connection', icon: 'fh-erp.svg' },
  'fh-erp-post': { paletteLabel: 'erp post', icon: 'fh-erp.svg', color: ERP },
  'fh-kpi-store': { paletteLabel: 'KPI store', icon: 'fh-kpi.svg' },
  'fh-kpi-write': { paletteLabel: 'kpi write', icon: 'fh-kpi.svg', color: KPI },
  'fh-kpi-query': { paletteLabel: 'kpi query', icon: 'fh-kpi.svg', color: KPI },
  'fh-mqtt-broker': { paletteLabel: 'MQTT broker', icon: 'fh-uns.svg' },
  'fh-uns-publish': { paletteLabel: 'uns publish', icon: 'fh-uns.svg', color: UNS },
  'fh-uns-subscribe': { paletteLabel: 'uns subscribe', icon: 'fh-uns.svg', color: UNS },
} as const satisfies Record<string, Look>;

export type NodeType = keyof typeof LOOKS;

export function isNodeType(type: string): type is NodeType {
  return Object.prototype.hasOwnProperty.call(LOOKS, type);
}

/** A node type as people read it: its readable name, or the type itself for one not of this package. */
export function readableType(type: string): string {
  return isNodeType(type) ? LOOKS[type].paletteLabel : type;
}

/** A node's label when it has no name: short, so that it never runs over its neighbours. */
export function shortLabel(verb: string, prefix: unknown, fallback: string): string {
  if (typeof prefix !== 'string' || prefix.trim() === '') return fallback;
  const last = prefix.replace(/\/+$/, '').split('/').pop() ?? '';
  return last === '' ? fallback : `${verb} ${last}`;
}
