/**
 * The one tag model shared by the Modbus and OPC UA nodes, the OEE node and the dashboard.
 *
 * Two shapes of the same thing:
 * - `TagRow`: what a technician edits (editor table, CSV, flow file). Every cell is a string, empty = default.
 *   Rows are what is stored in the flow, so a one-tag edit is a small diff.
 * - `Tag`: the validated, typed form the protocol nodes use at run time (see validate.ts).
 */

/** Modbus data areas, named as technicians know them; function codes follow from the area. */
export type ModbusArea = 'coil' | 'discrete' | 'input' | 'holding';

export type DataType =
  | 'bool'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'float32'
  | 'float64'
  | 'string';

/** Every DataType, in the order editors and error messages list them. */
export const DATA_TYPES: readonly DataType[] = [
  'bool',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'uint64',
  'float32',
  'float64',
  'string',
];

/**
 * Byte order of a multi-register value, as letters of the big-endian value ABCD(EFGH):
 * ABCD = big endian (Modbus default), CDAB = word swap, BADC = byte swap, DCBA = little endian.
 * For 64-bit values the same rule applies to the four words (ABCD -> words 1234, CDAB -> 2143 ...).
 */
export type ByteOrder = 'ABCD' | 'CDAB' | 'BADC' | 'DCBA';

export const BYTE_ORDERS: readonly ByteOrder[] = ['ABCD', 'CDAB', 'BADC', 'DCBA'];

export type Access = 'read' | 'read-write';

export interface ModbusAddress {
  readonly protocol: 'modbus';
  readonly area: ModbusAddressArea;
  /** Zero-based protocol address (0..65535). */
  readonly address: number;
  /** Bit inside a 16-bit register (0..15, 0 = least significant); only for bool tags in input/holding. */
  readonly bit?: number;
  /** Unit (slave) id; undefined means the client's default unit id. */
  readonly unitId?: number;
}
type ModbusAddressArea = ModbusArea;

export interface OpcUaAddress {
  readonly protocol: 'opcua';
  /** NodeId in its string form, e.g. `ns=2;s=Line1.Filler.Count`. */
  readonly nodeId: string;
}

export type TagAddress = ModbusAddress | OpcUaAddress;

/** engineering = raw * gain + offset (a range-to-range scaling is reduced to this form). */
export interface Scaling {
  readonly gain: number;
  readonly offset: number;
  /**
   * The range the technician typed, when the scaling was given as one. Informational only (gain/offset
   * are authoritative); kept so an export shows `0..27648 -> 0..100` instead of `gain 0.0036168981481481`.
   */
  readonly range?: ScalingRange;
}

export interface ScalingRange {
  readonly rawLow: number;
  readonly rawHigh: number;
  readonly engLow: number;
  readonly engHigh: number;
}

export interface Tag {
  /** ISA-95 path `site/area/line/machine/tag` (at least two segments). */
  readonly name: string;
  /**
   * The device the tag lives on when one map spans several (a line: one PLC per machine). Addresses only
   * conflict within one device; empty = the map's single device.
   */
  readonly device?: string;
  readonly address: TagAddress;
  readonly dataType: DataType;
  readonly order: ByteOrder;
  /** Characters of a string tag (two per register for Modbus). */
  readonly length?: number;
  /** Undefined = no scaling. */
  readonly scaling?: Scaling;
  readonly unit: string;
  /** Decimals the engineering value is rounded to; undefined = derived (see precision.ts). */
  readonly decimals?: number;
  readonly access: Access;
  /** Absolute dead band in engineering units; 0 = report every change. */
  readonly deadband: number;
  readonly description: string;
}

/** The columns of a tag map, in CSV and editor order. Optional ones may be left empty. */
export const TAG_COLUMNS = [
  'name',
  'address',
  'dataType',
  'order',
  'length',
  'gain',
  'offset',
  'rawLow',
  'rawHigh',
  'engLow',
  'engHigh',
  'unit',
  'decimals',
  'access',
  'deadband',
  'description',
  'device',
] as const;

export type TagColumn = (typeof TAG_COLUMNS)[number];

/** One editable row; missing or empty cells take their defaults. */
export type TagRow = Partial<Record<TagColumn, string>>;
