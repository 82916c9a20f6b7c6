/**
 * One poll group: the tags of a read node, planned into block reads once at deploy, then scanned.
 * A scan sends its block reads together (the connection sends as many at once as the device takes).
 * A failed block marks only its own tags bad, with the reason; the others keep reporting.
 * Tags may be put in poll classes (e.g. a slow register read every 10th scan, with a longer timeout):
 * a class is planned into blocks of its own, so its slowness never fails another class's tags.
 * No Node-RED here: the read node adapts results to messages and status.
 */
import type { Tag } from '../tags/tag';
import type { Decoder, EngValue } from './codec';
import type { ReadBlock, ReadPlan } from './plan';
import { compileDecoders, decodeBlock, planReads } from './plan';
import type { ModbusReply, ModbusRequest } from './transport';
import type { RequestOptions } from './connection';

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
  /** Why a tag's read failed in its last scan; undefined = good. */
  readonly errors: readonly (string | undefined)[];
  /** Whether each tag was read in this scan (its poll class was due). */
  readonly readNow: readonly boolean[];
  readonly blocksOk: number;
  readonly blocksFailed: number;
  /** First error of the scan, for the node status. */
  readonly firstError?: string;
  readonly startedAt: number;
  readonly finishedAt: number;
}

export type Requester = (req: ModbusRequest, options?: RequestOptions) => Promise<ModbusReply>;

/** How often the tags of a class are read, and how long one of their requests may wait. */
export interface PollClass {
  readonly name: string;
  /** Read in every Nth scan (1 = every scan); the first scan reads every class. */
  readonly every: number;
  /** Answer timeout of this class's requests; the connection's when unset. */
  readonly timeoutMs?: number;
}

export const DEFAULT_CLASS: PollClass = { name: 'normal', every: 1 };

export interface ScannerOptions {
  readonly defaultUnitId: number;
  readonly maxGap?: number;
  readonly maxRegisters?: number;
  /** Poll classes; a tag is in classes[classOf(tag)]. One class reading every scan when unset. */
  readonly classes?: readonly PollClass[];
  readonly classOf?: (tag: Tag) => number;
}

/** A planned block and the class it belongs to. */
interface ClassBlock {
  readonly block: ReadBlock;
  readonly cls: PollClass;
  readonly request: ModbusRequest;
  readonly options: RequestOptions;
}

export class Scanner {
  readonly plan: ReadPlan;
  private readonly decoders: readonly Decoder<EngValue>[];
  private readonly values: (EngValue | null)[];
  private readonly times: number[];
  private readonly errors: (string | undefined)[];
  private readonly scratch: EngValue[];

  private readonly readNow: boolean[];
  private readonly blocks: readonly ClassBlock[];
  readonly classes: readonly PollClass[];
  private scans = 0;

  constructor(
    readonly tags: readonly Tag[],
    options: ScannerOptions,
    private readonly now: () => number = Date.now,
  ) {
    const planOptions = {
      defaultUnitId: options.defaultUnitId,
      ...(options.maxGap !== undefined ? { maxGap: options.maxGap } : {}),
      ...(options.maxRegisters !== undefined ? { maxRegisters: options.maxRegisters } : {}),
    };
    this.classes = options.classes?.length ? options.classes : [DEFAULT_CLASS];
    const classOf = options.classOf ?? (() => 0);
    const blocks: ClassBlock[] = [];
    this.classes.forEach((cls, c) => {
      const members = tags.flatMap((t, i) => (Math.min(this.classes.length - 1, Math.max(0, classOf(t))) === c ? [i] : []));
      if (members.length === 0) return;
      for (const b of planReads(members.map((i) => tags[i]), planOptions).blocks) {
        const block: ReadBlock = { ...b, items: b.items.map((it) => ({ ...it, tagIndex: members[it.tagIndex] })) };
        blocks.push({ block, cls, request: readRequest(block), options: cls.timeoutMs ? { timeoutMs: cls.timeoutMs } : {} });
      }
    });
    this.blocks = blocks;
    this.plan = { blocks: blocks.map((b) => b.block) };
    this.decoders = compileDecoders(tags, 'engineering');
    this.values = tags.map(() => null);
    this.times = tags.map(() => 0);
    this.errors = tags.map(() => undefined);
    this.readNow = tags.map(() => false);
    this.scratch = new Array<EngValue>(tags.length);
  }

  /** Reads every block that is due, all sent at once. Never rejects: failures are reported per tag. */
  async scan(request: Requester): Promise<ScanResult> {
    const startedAt = this.now();
    const n = this.scans++;
    let ok = 0;
    let failed = 0;
    let firstError: string | undefined;
    this.readNow.fill(false);
    const read = async (b: ClassBlock): Promise<void> => {
      const block = b.block;
      for (const item of block.items) this.readNow[item.tagIndex] = true;
      try {
        const reply = await request(b.request, b.options);
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
    };
    const reads: Promise<void>[] = [];
    for (const b of this.blocks) if (n % b.cls.every === 0) reads.push(read(b));
    await Promise.all(reads);
    return {
      values: this.values,
      times: this.times,
      errors: this.errors,
      readNow: this.readNow,
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
