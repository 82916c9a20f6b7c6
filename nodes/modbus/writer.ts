/**
 * Turns "write value V to tag T" into Modbus requests, refusing what must not reach a machine: unknown
 * tags, read-only tags, values of the wrong type or out of range. Nothing is sent unless every check passes.
 */
import type { ModbusAddress, Tag } from '../tags/tag';
import { formatAddress } from '../tags/address';
import type { EngValue, RawValue } from './codec';
import { compileReader, encodeRegisters, fromEngineering, registerCount, withBit } from './codec';
import type { ModbusReply, ModbusRequest } from './transport';
import { payloadWrites } from '../shared/write-payload';

export class WriteRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WriteRefused';
  }
}

export interface WriteOutcome {
  readonly tag: Tag;
  readonly value: unknown;
  readonly raw: RawValue;
  /** The value read back after writing, when asked to confirm. */
  readonly readBack?: EngValue;
}

export type Requester = (req: ModbusRequest) => Promise<ModbusReply>;

/** Checks a write before anything is sent; returns the tag's raw value. */
export function checkWrite(tags: ReadonlyMap<string, Tag>, name: unknown, value: unknown): { tag: Tag; raw: RawValue } {
  if (typeof name !== 'string' || !name) throw new WriteRefused('no tag given: set msg.topic to a tag name');
  const tag = tags.get(name);
  if (!tag) throw new WriteRefused(`unknown tag "${name}": it is not in the tag map`);
  if (tag.address.protocol !== 'modbus') throw new WriteRefused(`tag ${name} is not a Modbus tag (${formatAddress(tag.address)})`);
  if (tag.access !== 'read-write') throw new WriteRefused(`tag ${name} is read-only in the tag map; only read-write tags are written`);
  return { tag, raw: fromEngineering(tag, value) };
}

/** The writes a message asks for: topic + payload, or (no topic) a payload object of tag name -> value. */
export function requestedWrites(msg: { readonly topic?: unknown; readonly payload?: unknown }): [string, unknown][] {
  if (typeof msg.topic === 'string' && msg.topic) return [[msg.topic, msg.payload]];
  const asked = payloadWrites(msg.payload);
  if ('problem' in asked) throw new WriteRefused(`nothing to write: ${asked.problem}; set msg.topic to a tag name and msg.payload to its value, or msg.payload to {"tag name": value}`);
  return asked.writes;
}

/** One requested write after its check: `tag` and `raw` when it may be sent, `error` when refused. */
export interface CheckedWrite {
  readonly name: string;
  readonly value: unknown;
  /** The tag, also for a refused write of a known tag (its address goes to the audit). */
  readonly tag?: Tag;
  readonly raw?: RawValue;
  readonly error?: string;
}

/** Checks every write of a message before any is sent, so a message is never half applied. */
export function checkWrites(tags: ReadonlyMap<string, Tag>, requested: readonly [string, unknown][]): CheckedWrite[] {
  return requested.map(([name, value]) => {
    try {
      return { name, value, ...checkWrite(tags, name, value) };
    } catch (err) {
      const tag = tags.get(name);
      return { name, value, error: err instanceof Error ? err.message : String(err), ...(tag ? { tag } : {}) };
    }
  });
}

function modbusAddress(tag: Tag): ModbusAddress {
  if (tag.address.protocol !== 'modbus') throw new WriteRefused(`tag ${tag.name} is not a Modbus tag`);
  return tag.address;
}

/** Sends the write (read-modify-write for a register bit) and, if asked, reads the value back. */
export async function performWrite(
  request: Requester,
  tag: Tag,
  raw: RawValue,
  defaultUnitId: number,
  confirm: boolean,
): Promise<EngValue | undefined> {
  const a = modbusAddress(tag);
  const unitId = a.unitId ?? defaultUnitId;
  if (a.area === 'coil') {
    await request({ fc: 5, unitId, address: a.address, value: raw === true });
  } else if (a.bit !== undefined) {
    // Read-modify-write: the other 15 bits belong to the PLC. A PLC writing the same register between
    // the two requests can lose its change; devices with FC22 avoid that (not all have it).
    const current = (await request({ fc: 3, unitId, address: a.address, count: 1 })) as readonly number[];
    await request({ fc: 6, unitId, address: a.address, value: withBit(current[0], a.bit, raw === true) });
  } else {
    const words = encodeRegisters(tag, raw);
    if (words.length === 1) await request({ fc: 6, unitId, address: a.address, value: words[0] });
    else await request({ fc: 16, unitId, address: a.address, values: words });
  }
  if (!confirm) return undefined;
  const count = a.area === 'coil' ? 1 : registerCount(tag);
  const reply = await request({ fc: a.area === 'coil' ? 1 : 3, unitId, address: a.address, count });
  if (!reply) throw new Error(`no data in the read-back of ${tag.name}`);
  return compileReader(tag)(reply as ArrayLike<number>, 0);
}

/** True when the read-back equals what was written (floats to their storage precision). */
export function confirmed(tag: Tag, written: unknown, readBack: EngValue): boolean {
  if (typeof written === 'number' && typeof readBack === 'number') {
    if (tag.dataType === 'float32') return Math.abs(written - readBack) <= Math.max(1e-6, Math.abs(written) * 1e-6);
    const step = tag.scaling ? Math.abs(tag.scaling.gain) / 2 : 0;
    return Math.abs(written - readBack) <= step + 1e-9;
  }
  if (typeof readBack === 'boolean') return readBack === (written === true || written === 1);
  if (typeof written === 'bigint') return BigInt(Math.round(Number(readBack))) === written;
  return written === readBack;
}
