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

/**
 * The outcome of one scan as arrays indexed like `scanner.tags`: no object per tag on the hot path
 * (a 500-tag scan at hundreds of scans per second would spend its time allocating and collecting them).
 * The arrays are the scanner's own and are overwritten by the next scan.
 */
export interface ScanResult {
  /** Engineering value of each tag's last good read (null if never read). */
  readonly values: readonly (EngValue | null)[];
  /** When each value was read (ms): Modbus carries no source time, so the answer's arrival time. */
  readonly times: readonly number[];
  /** Why a tag's read failed in this scan; undefined = good. */
  readonly errors: readonly (string | undefined)[];
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
  private readonly errors: (string | undefined)[];
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
    this.errors = tags.map(() => undefined);
    this.scratch = new Array<EngValue>(tags.length);
  }

  /** Reads every block once. Never rejects: failures are reported per tag. */
  async scan(request: Requester): Promise<ScanResult> {
    const startedAt = this.now();
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
          this.errors[item.tagIndex] = undefined;
        }
        ok++;
      } catch (err) {
        failed++;
        const text = err instanceof Error ? err.message : String(err);
        firstError ??= text;
        for (const item of block.items) this.errors[item.tagIndex] = text;
      }
    }
    return {
      values: this.values,
      times: this.times,
      errors: this.errors,
      blocksOk: ok,
      blocksFailed: failed,
      firstError,
      startedAt,
      finishedAt: this.now(),
    };
  }

  /** One tag's reading as an object, for per-tag messages (only built for what is sent). */
  reading(result: ScanResult, i: number): TagReading {
    const error = result.errors[i];
    const tag = this.tags[i];
    return error === undefined
      ? { tag, value: result.values[i], quality: 'good', timestamp: result.times[i] }
      : { tag, value: result.values[i], quality: 'bad', timestamp: result.times[i], error };
  }
}

function readRequest(block: ReadBlock): ModbusRequest {
  return { fc: block.functionCode, unitId: block.unitId, address: block.start, count: block.count };
}

/**
 * Report by exception: passes a tag when its quality changed, or its value moved by more than the
 * tag's dead band (numbers) or changed at all (text, bool). Compares with the last value it passed.
 */
export class ChangeFilter {
  private readonly lastValue: (EngValue | null)[];
  private readonly lastGood: (boolean | undefined)[];

  constructor(private readonly tags: readonly Tag[]) {
    this.lastValue = tags.map(() => null);
    this.lastGood = tags.map(() => undefined);
  }

  changed(result: ScanResult, i: number): boolean {
    const value = result.values[i];
    const good = result.errors[i] === undefined;
    const prev = this.lastValue[i];
    let changed: boolean;
    if (this.lastGood[i] !== good) changed = true;
    else if (typeof value === 'number' && typeof prev === 'number') {
      const band = this.tags[i].deadband;
      changed = band > 0 ? Math.abs(value - prev) > band : value !== prev;
    } else changed = value !== prev;
    if (changed) {
      this.lastValue[i] = value;
      this.lastGood[i] = good;
    }
    return changed;
  }
}
