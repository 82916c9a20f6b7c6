/**
 * One poll group: the tags of a read node, planned into block reads once at deploy, then scanned.
 * A failed block marks only its own tags bad, with the reason; the others keep reporting.
 * No Node-RED here: the read node adapts results to messages and status.
 */
import type { Tag } from '../tags/tag';
import type { Decoder, EngValue } from './codec';
import type { ReadBlock, ReadPlan } from './plan';
import { compileDecoders, decodeBlock, planReads } from './plan';
import type { ModbusReply, ModbusRequest } from './transport';

export type Quality = 'good' | 'uncertain' | 'bad';

export interface TagReading {
  readonly tag: Tag;
  /** Engineering value of the last good read (null if never read). */
  readonly value: EngValue | null;
  readonly quality: Quality;
  /** When the value was read (ms): Modbus carries no source time, so the answer's arrival time. */
  readonly timestamp: number;
  /** Why the quality is not good. */
  readonly error?: string;
}

export interface ScanResult {
  readonly readings: readonly TagReading[];
  readonly blocksOk: number;
  readonly blocksFailed: number;
  /** First error of the scan, for the node status. */
  readonly firstError?: string;
  readonly startedAt: number;
  readonly finishedAt: number;
}

export type Requester = (req: ModbusRequest) => Promise<ModbusReply>;

export interface ScannerOptions {
  readonly defaultUnitId: number;
  readonly maxGap?: number;
  readonly maxRegisters?: number;
}

export class Scanner {
  readonly plan: ReadPlan;
  private readonly decoders: readonly Decoder<EngValue>[];
  private readonly values: (EngValue | null)[];
  private readonly times: number[];
  private readonly scratch: EngValue[];

  constructor(
    readonly tags: readonly Tag[],
    options: ScannerOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.plan = planReads(tags, {
      defaultUnitId: options.defaultUnitId,
      ...(options.maxGap !== undefined ? { maxGap: options.maxGap } : {}),
      ...(options.maxRegisters !== undefined ? { maxRegisters: options.maxRegisters } : {}),
    });
    this.decoders = compileDecoders(tags, 'engineering');
    this.values = tags.map(() => null);
    this.times = tags.map(() => 0);
    this.scratch = new Array<EngValue>(tags.length);
  }

  /** Reads every block once. Never rejects: failures are reported per tag. */
  async scan(request: Requester): Promise<ScanResult> {
    const startedAt = this.now();
    const errors: (string | undefined)[] = new Array<string | undefined>(this.tags.length);
    let ok = 0;
    let failed = 0;
    let firstError: string | undefined;
    // Sequential on purpose: the connection serializes anyway, and order keeps scans comparable.
    for (const block of this.plan.blocks) {
      try {
        const reply = await request(readRequest(block));
        if (!reply) throw new Error(`empty answer to FC${block.functionCode} at ${block.start}`);
        decodeBlock(block, this.decoders, reply, this.scratch);
        const at = this.now();
        for (const item of block.items) {
          this.values[item.tagIndex] = this.scratch[item.tagIndex];
          this.times[item.tagIndex] = at;
        }
        ok++;
      } catch (err) {
        failed++;
        const text = err instanceof Error ? err.message : String(err);
        firstError ??= text;
        for (const item of block.items) errors[item.tagIndex] = text;
      }
    }
    const readings = this.tags.map((tag, i): TagReading => {
      const error = errors[i];
      return error === undefined
        ? { tag, value: this.values[i], quality: 'good', timestamp: this.times[i] }
        : { tag, value: this.values[i], quality: 'bad', timestamp: this.times[i], error };
    });
    return { readings, blocksOk: ok, blocksFailed: failed, firstError, startedAt, finishedAt: this.now() };
  }
}

function readRequest(block: ReadBlock): ModbusRequest {
  return { fc: block.functionCode, unitId: block.unitId, address: block.start, count: block.count };
}

/**
 * Report by exception: passes a reading when its quality changed, or its value moved by more than
 * the tag's dead band (numbers) or changed at all (text, bool).
 */
export class ChangeFilter {
  private readonly last = new Map<string, { value: EngValue | null; quality: Quality }>();

  changed(r: TagReading): boolean {
    const prev = this.last.get(r.tag.name);
    let changed: boolean;
    if (!prev || prev.quality !== r.quality) changed = true;
    else if (typeof r.value === 'number' && typeof prev.value === 'number') {
      changed = r.tag.deadband > 0 ? Math.abs(r.value - prev.value) > r.tag.deadband : r.value !== prev.value;
    } else changed = r.value !== prev.value;
    if (changed) this.last.set(r.tag.name, { value: r.value, quality: r.quality });
    return changed;
  }
}
