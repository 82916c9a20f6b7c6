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
import type { ModbusRequest, ReplyListener, ReplyView } from './transport';
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

/** Sends one block read; `listener` is told its outcome once (the connection's submit()). */
export type Requester = (req: ModbusRequest, options: RequestOptions, listener: ReplyListener) => void;

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

/** The listener of one block read of a run: tells the run which block answered. */
class BlockListener implements ReplyListener {
  constructor(
    private readonly run: ScanRun,
    private readonly k: number,
  ) {}

  reply(err: Error | null, view: ReplyView): void {
    this.run.arrived(this.k, err, view);
  }
}

/**
 * One scan in progress: its answers decoded as they arrive, into its own values (scans overlap, and a
 * scan's values are only ever its own answers). Runs are reused, scan after scan: a scan allocates
 * nothing per block or per tag.
 */
class ScanRun {
  /** Decoded values of this scan's answers, indexed like the tags. */
  readonly values: EngValue[];
  /** Per block of the plan (k): the error, or undefined with the answer's time in `at`. */
  readonly errors: (string | undefined)[];
  readonly at: number[];
  readonly listeners: BlockListener[];
  due: readonly ClassBlock[] = [];
  /** Indexes (k) of the due blocks in the plan. */
  dueIndex: readonly number[] = [];
  startedAt = 0;
  /** Answers still to come (one more while requests are being sent). */
  remaining = 0;
  resolve: (() => void) | undefined;

  constructor(
    private readonly scanner: Scanner,
    tags: number,
    blocks: number,
  ) {
    this.values = new Array<EngValue>(tags);
    this.errors = new Array<string | undefined>(blocks).fill(undefined);
    this.at = new Array<number>(blocks).fill(0);
    this.listeners = Array.from({ length: blocks }, (_, k) => new BlockListener(this, k));
  }

  arrived(k: number, err: Error | null, view: ReplyView): void {
    this.scanner.decodeInto(this, k, err, view);
    if (--this.remaining === 0) this.resolve?.();
  }
}

export class Scanner {
  readonly plan: ReadPlan;
  private readonly decoders: readonly Decoder<EngValue>[];
  private readonly values: (EngValue | null)[];
  private readonly times: number[];
  private readonly errors: (string | undefined)[];
  private readonly readNow: boolean[];
  private readonly blocks: readonly ClassBlock[];
  readonly classes: readonly PollClass[];
  /** The blocks due in a scan, per scan number modulo the classes' periods (computed once). */
  private readonly dueCache = new Map<number, { due: ClassBlock[]; index: number[] }>();
  private readonly period: number;
  private readonly spare: ScanRun[] = [];
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
    // Which blocks are due repeats with the least common multiple of the periods (bounded: beyond, no cache).
    this.period = this.classes.reduce((l, c) => (l * c.every) / gcd(l, c.every), 1);
  }

  /** The blocks due in scan n: the same few sets over and over, built once each. */
  private dueIn(n: number): { due: ClassBlock[]; index: number[] } {
    const key = this.period <= 10000 ? n % this.period : -1;
    let d = key >= 0 ? this.dueCache.get(key) : undefined;
    if (!d) {
      d = { due: [], index: [] };
      this.blocks.forEach((b, k) => {
        if (n % b.cls.every === 0) {
          d!.due.push(b);
          d!.index.push(k);
        }
      });
      if (key >= 0) this.dueCache.set(key, d);
    }
    return d;
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
    const run = this.spare.pop() ?? new ScanRun(this, this.tags.length, this.blocks.length);
    run.startedAt = this.now();
    const { due, index } = this.dueIn(this.scans++);
    run.due = due;
    run.dueIndex = index;
    const before = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((r) => (release = r));
    try {
      const answered = new Promise<void>((r) => (run.resolve = r));
      // One more than the blocks until all are sent: an answer told at once (a refusal) cannot end the run early.
      run.remaining = due.length + 1;
      for (let i = 0; i < due.length; i++) request(due[i].request, due[i].options, run.listeners[index[i]]);
      if (--run.remaining === 0) run.resolve?.();
      await answered;
      await before;
      return use(this.commit(run));
    } finally {
      run.resolve = undefined;
      this.spare.push(run);
      release();
    }
  }

  /** One block's answer into its run: decoded now, while the answer's view is valid. */
  decodeInto(run: ScanRun, k: number, err: Error | null, view: ReplyView): void {
    const block = this.blocks[k].block;
    if (err) {
      run.errors[k] = err.message;
      return;
    }
    if (!view) {
      run.errors[k] = `empty answer to FC${block.functionCode} at ${block.start}`;
      return;
    }
    try {
      decodeBlock(block, this.decoders, view, run.values);
      run.errors[k] = undefined;
      run.at[k] = this.now();
    } catch (e) {
      run.errors[k] = e instanceof Error ? e.message : String(e);
    }
  }

  /** One scan's decoded answers into the tags' state, in scan order (see scan()). */
  private commit(run: ScanRun): ScanResult {
    let ok = 0;
    let failed = 0;
    let firstError: string | undefined;
    const { due, dueIndex } = run;
    this.readNow.fill(false);
    for (let d = 0; d < due.length; d++) {
      const items = due[d].block.items;
      const k = dueIndex[d];
      const error = run.errors[k];
      if (error === undefined) {
        const at = run.at[k];
        for (let i = 0; i < items.length; i++) {
          const t = items[i].tagIndex;
          this.readNow[t] = true;
          this.values[t] = run.values[t];
          this.times[t] = at;
          if (this.errors[t] !== undefined) {
            this.failing--;
            this.errors[t] = undefined;
          }
        }
        ok++;
      } else {
        failed++;
        firstError ??= error;
        for (let i = 0; i < items.length; i++) {
          const t = items[i].tagIndex;
          this.readNow[t] = true;
          if (this.errors[t] === undefined) this.failing++;
          this.errors[t] = error;
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
      startedAt: run.startedAt,
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

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
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
