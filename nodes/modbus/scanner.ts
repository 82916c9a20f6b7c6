/**
 * One poll group: the tags of a read node, planned into block reads once at deploy, then scanned.
 * A scan sends its block reads together (the connection sends as many at once as the device takes);
 * scans may overlap, and are delivered in the order they started, each with its own answers only.
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
 * The arrays are the scanner's own and are overwritten by the next scan's commit.
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
  /** Tags with an error now (from this scan, or the last one that read their class). */
  readonly failingTags: number;
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

/** What one block read of a scan got: the answer and when it came, or why there was none. */
interface Outcome {
  readonly reply?: NonNullable<ModbusReply>;
  readonly at?: number;
  readonly error?: string;
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
  private failing = 0;
  /** Settles when the last scan started has been committed: the next one commits after it. */
  private tail: Promise<void> = Promise.resolve();

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

  /**
   * Reads every block that is due, all sent at once, then calls `use` with the outcome and resolves
   * with what it returned. Never rejects for a failed read: failures are reported per tag.
   *
   * Scans may overlap (the next one's requests go out while this one's answers are still coming back),
   * but their outcomes are committed, and `use` called, strictly in the order the scans started: a
   * scan's values are only ever its own answers, and the "last good value" of a tag whose read failed
   * is the one of the scan delivered before. The arrays of the result are valid only during `use`.
   */
  async scan<T>(request: Requester, use: (result: ScanResult) => T): Promise<T> {
    const startedAt = this.now();
    const n = this.scans++;
    const before = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((r) => (release = r));
    try {
      const due: ClassBlock[] = [];
      for (const b of this.blocks) if (n % b.cls.every === 0) due.push(b);
      const outcomes = await Promise.all(due.map((b) => this.read(request, b)));
      await before;
      return use(this.commit(due, outcomes, startedAt));
    } finally {
      release();
    }
  }

  private read(request: Requester, b: ClassBlock): Promise<Outcome> {
    return request(b.request, b.options).then(
      (reply): Outcome => (reply ? { reply, at: this.now() } : { error: `empty answer to FC${b.block.functionCode} at ${b.block.start}` }),
      (err: unknown): Outcome => ({ error: err instanceof Error ? err.message : String(err) }),
    );
  }

  /** Decodes one scan's answers into the tags' state, in scan order (see scan()). */
  private commit(due: readonly ClassBlock[], outcomes: readonly Outcome[], startedAt: number): ScanResult {
    let ok = 0;
    let failed = 0;
    let firstError: string | undefined;
    this.readNow.fill(false);
    for (let k = 0; k < due.length; k++) {
      const block = due[k].block;
      const o = outcomes[k];
      for (const item of block.items) this.readNow[item.tagIndex] = true;
      let error = o.error;
      if (o.reply) {
        try {
          decodeBlock(block, this.decoders, o.reply, this.scratch);
        } catch (err) {
          error = err instanceof Error ? err.message : String(err);
        }
      }
      if (error === undefined) {
        const at = o.at ?? this.now();
        for (const item of block.items) {
          this.values[item.tagIndex] = this.scratch[item.tagIndex];
          this.times[item.tagIndex] = at;
          if (this.errors[item.tagIndex] !== undefined) this.failing--;
          this.errors[item.tagIndex] = undefined;
        }
        ok++;
      } else {
        failed++;
        firstError ??= error;
        for (const item of block.items) {
          if (this.errors[item.tagIndex] === undefined) this.failing++;
          this.errors[item.tagIndex] = error;
        }
      }
    }
    return {
      values: this.values,
      times: this.times,
      errors: this.errors,
      readNow: this.readNow,
      blocksOk: ok,
      blocksFailed: failed,
      failingTags: this.failing,
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
