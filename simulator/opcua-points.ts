/**
 * The OPC UA view of a simulated machine: the variables a machine exposes, their NodeIds and types.
 *
 * One variable per Modbus register point, generated from REGISTER_POINTS with the same relative name
 * and the same read and write functions, so the two protocols cannot drift; only the encoding differs
 * (an OPC UA variable carries the engineering value with its own type, no registers, no gain). Two
 * controls exist only here, so that a demo can be driven from any OPC UA client: `rejectRate` and
 * `forceStop`.
 *
 * NodeIds are strings in the simulator's namespace: `ns=1;s=<machine path>/<name>`, e.g.
 * `ns=1;s=demo/packaging/line1/labeller/totalCount` (or `nsu=urn:factoryhub:simulator;s=...`).
 */
import { DataType } from 'node-opcua-client';
import type { EngValue } from '../nodes/modbus/codec';
import type { Access, DataType as TagDataType } from '../nodes/tags/tag';
import type { Machine, MachineSnapshot } from './machine';
import { REGISTER_POINTS, numberOf } from './registers';
import type { PointSpec } from './registers';

/** Namespace URI of the simulator's variables (and its application URI): ns=1 on its server. */
export const SIMULATOR_NAMESPACE = 'urn:factoryhub:simulator';

export interface OpcuaPoint {
  /** Relative name: the browse name, and the last segment of the NodeId. */
  readonly name: string;
  readonly dataType: DataType;
  readonly access: Access;
  readonly unit?: string;
  readonly description: string;
  readonly read: (s: MachineSnapshot) => EngValue;
  /** Acts on the machine; throws RangeError for a value the machine refuses (BadOutOfRange). */
  readonly write?: (m: Machine, value: EngValue) => void;
}

/** The OPC UA type of a register point's engineering value. */
const SCALAR: Readonly<Record<TagDataType, DataType>> = {
  bool: DataType.Boolean,
  int16: DataType.Int16,
  uint16: DataType.UInt16,
  int32: DataType.Int32,
  uint32: DataType.UInt32,
  // An engineering value is a JS number already; Double holds it without node-opcua's [high, low] form.
  int64: DataType.Double,
  uint64: DataType.Double,
  // The model's value, not its float32 register rounding.
  float32: DataType.Double,
  float64: DataType.Double,
  string: DataType.String,
};

/** A scaled register (gain) carries a fractional engineering value whatever its raw type. */
export function opcuaTypeOf(spec: PointSpec): DataType {
  return spec.gain !== undefined ? DataType.Double : SCALAR[spec.dataType];
}

/** Where the register description speaks of registers, coils or Modbus exceptions. */
const DESCRIPTIONS: Readonly<Record<string, string>> = {
  goodCount: 'good parts, uint32 (wraps at 2^32)',
  speedSetpoint: 'speed setpoint, 10..150 % of nominal; other values answer BadOutOfRange',
  resetCounters: 'write true to zero totalCount, goodCount and rejectCount; reads false (a pulse)',
  plannedStop: 'planned stop (break, meeting, no order): true holds the machine in state 3',
};
for (const name of Object.keys(DESCRIPTIONS)) {
  if (!REGISTER_POINTS.some((p) => p.name === name)) throw new Error(`opcua-points: description for unknown point ${name}`);
}

function fromRegister(spec: PointSpec): OpcuaPoint {
  return {
    name: spec.name,
    dataType: opcuaTypeOf(spec),
    access: spec.access,
    ...(spec.unit !== undefined ? { unit: spec.unit } : {}),
    description: DESCRIPTIONS[spec.name] ?? spec.description,
    read: spec.read,
    ...(spec.write !== undefined ? { write: spec.write } : {}),
  };
}

/** Controls a demo needs that a PLC's register map does not offer. */
export const CONTROL_POINTS: readonly OpcuaPoint[] = [
  {
    name: 'rejectRate',
    dataType: DataType.Double,
    access: 'read-write',
    description: 'fraction of parts rejected from now on, 0..1; other values answer BadOutOfRange',
    read: (s) => s.rejectRate,
    write: (m, v) => m.setRejectRate(numberOf(v, 'rejectRate')),
  },
  {
    name: 'forceStop',
    dataType: DataType.UInt16,
    access: 'read-write',
    description: 'write a fault code 1..65535 to stop the machine with it (state 2) until 0 is written; reads the forced code, else 0',
    read: (s) => (s.forcedStop ? s.faultCode : 0),
    write: (m, v) => {
      const code = numberOf(v, 'forceStop');
      if (code !== 0) m.forceStop(code);
      // 0 without a forced stop does nothing: writing back the value just read must not end a breakdown.
      else if (m.snapshot().forcedStop) m.clearStop();
    },
  },
];

/** Every variable of a machine, register points first (in REGISTER_POINTS order), then the controls. */
export const OPCUA_POINTS: readonly OpcuaPoint[] = [...REGISTER_POINTS.map(fromRegister), ...CONTROL_POINTS];

/** `ns=1;s=<machine path>/`: put a point's name after it. */
export function nodeIdPrefix(machinePath: string): string {
  return `ns=1;s=${machinePath}/`;
}

/** `ns=1;s=demo/packaging/line1/labeller/totalCount`. */
export function pointNodeId(machinePath: string, name: string): string {
  return `${nodeIdPrefix(machinePath)}${name}`;
}
