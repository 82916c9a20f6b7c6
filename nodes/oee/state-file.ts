/**
 * Durable state of one fh-oee node: `<userDir>/oee/<node id>.json`, replaced atomically (write a
 * temporary file, fsync it, rename it over the old one, fsync the directory), so the file on disk is
 * always one complete state, old or new, whatever happens: a kill, a crash or a power cut. No Node-RED.
 *
 * `StateSaver` decides when: after a change, at most once per interval, one write at a time, and a
 * synchronous final write on close (after any write in flight, so an older state never lands last).
 */
import fs from 'node:fs';
import path from 'node:path';

export const STATE_FORMAT = 'factoryhub-oee-node';
export const STATE_VERSION = 1;

/** The file's content: the engine's snapshot plus what the node needs to go on. */
export interface NodeState {
  readonly format: typeof STATE_FORMAT;
  readonly version: typeof STATE_VERSION;
  readonly node: string;
  readonly machine: string;
  /** Hub time of the save (ms). */
  readonly savedAt: number;
  /** The clock's lag (hub time minus source time), null before the first sample. */
  readonly lagMs: number | null;
  readonly engine: unknown;
}

export class StateFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StateFileError';
  }
}

let sequence = 0;

export class StateFile {
  readonly file: string;

  constructor(readonly dir: string, id: string) {
    // Node ids are hex in practice; anything else is made safe for a file name.
    this.file = path.join(dir, `${id.replace(/[^A-Za-z0-9_.-]/g, '_')}.json`);
  }

  /** The saved state, undefined when there is none; throws StateFileError for a damaged file. */
  load(): NodeState | undefined {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new StateFileError(`cannot read ${this.file}: ${(err as Error).message}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new StateFileError(`${this.file} is not JSON: ${(err as Error).message}`);
    }
    const s = json as Partial<NodeState> | null;
    if (typeof s !== 'object' || s === null || s.format !== STATE_FORMAT) throw new StateFileError(`${this.file} is not an OEE node state file`);
    if (s.version !== STATE_VERSION) throw new StateFileError(`${this.file} has version ${String(s.version)}, this node reads version ${STATE_VERSION}`);
    return s as NodeState;
  }

  private tmpName(): string {
    sequence = (sequence + 1) % 1_000_000;
    return `${this.file}.${process.pid}.${sequence}.tmp`;
  }

  async write(text: string): Promise<void> {
    await fs.promises.mkdir(this.dir, { recursive: true });
    const tmp = this.tmpName();
    try {
      const handle = await fs.promises.open(tmp, 'w', 0o640);
      try {
        await handle.writeFile(text, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fs.promises.rename(tmp, this.file);
    } catch (err) {
      await fs.promises.rm(tmp, { force: true });
      throw err;
    }
    await syncDir(this.dir);
  }

  writeSync(text: string): void {
    fs.mkdirSync(this.dir, { recursive: true });
    const tmp = this.tmpName();
    try {
      const fd = fs.openSync(tmp, 'w', 0o640);
      try {
        fs.writeFileSync(fd, text, 'utf8');
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(tmp, this.file);
    } catch (err) {
      fs.rmSync(tmp, { force: true });
      throw err;
    }
    try {
      const fd = fs.openSync(this.dir, 'r');
      try {
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    } catch {
      // Directories cannot be fsync'ed on every platform (Windows); the rename is still atomic.
    }
  }

  remove(): void {
    fs.rmSync(this.file, { force: true });
  }

  /** Moves a damaged file aside (kept for inspection) and returns where it went. */
  quarantine(): string {
    const to = `${this.file}.damaged-${Date.now()}`;
    fs.renameSync(this.file, to);
    return to;
  }
}

async function syncDir(dir: string): Promise<void> {
  try {
    const handle = await fs.promises.open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // See writeSync.
  }
}

/**
 * When to write: `changed()` after every change; the state is then written once the interval since
 * the last write has passed, one write at a time. `close()` finishes with a synchronous write.
 */
export class StateSaver {
  private dirty = false;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private lastWrite = -Infinity;
  private closed = false;

  constructor(
    private readonly file: StateFile,
    /** The file's text, or undefined when there is nothing to save yet. */
    private readonly serialize: () => string | undefined,
    private readonly intervalMs: number,
    private readonly onError: (err: unknown) => void,
    private readonly now: () => number = Date.now,
  ) {}

  changed(): void {
    if (this.closed) return;
    this.dirty = true;
    this.schedule();
  }

  private schedule(): void {
    if (this.closed || this.timer !== undefined || this.writing !== undefined || !this.dirty) return;
    const wait = Math.max(0, this.lastWrite + this.intervalMs - this.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, wait);
  }

  /** Starts a write of the current state; returns it (undefined when there was nothing to write). */
  private flush(): Promise<void> | undefined {
    if (this.closed || !this.dirty) return undefined;
    this.dirty = false;
    this.lastWrite = this.now();
    let text: string | undefined;
    try {
      text = this.serialize();
    } catch (err) {
      this.onError(err);
      return undefined;
    }
    if (text === undefined) return undefined;
    this.writing = this.file
      .write(text)
      .catch((err: unknown) => {
        this.dirty = true; // try again after the interval
        this.onError(err);
      })
      .finally(() => {
        this.writing = undefined;
        this.schedule();
      });
    return this.writing;
  }

  /** Writes now (after any write in flight) and resolves once the state is on disk (or the write failed and was reported). */
  async saveNow(): Promise<void> {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.writing !== undefined) await this.writing;
    if (this.closed) return;
    this.dirty = true;
    await this.flush();
  }

  /** Waits for a write in flight, then writes synchronously (`save`) or deletes the file. */
  async close(action: 'save' | 'remove'): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.writing !== undefined) await this.writing;
    if (action === 'remove') {
      this.file.remove();
      return;
    }
    const text = this.serialize();
    if (text !== undefined) this.file.writeSync(text);
  }
}
