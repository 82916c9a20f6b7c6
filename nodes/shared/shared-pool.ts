/**
 * A process-wide pool of shared resources (a Modbus connection, an OPC UA session), one per key,
 * reference-counted: the first lease creates and starts it, the last release closes it. Devices and
 * servers often allow one or a few connections, so every node and config node with the same settings
 * must share one. No Node-RED here.
 */
export interface Closable {
  close(): Promise<void>;
}

export interface Lease<T> {
  readonly resource: T;
  /** Gives the lease back (once; later calls do nothing); the last one closes the resource. */
  release(): Promise<void>;
}

export class SharedPool<T extends Closable> {
  private readonly entries = new Map<string, { readonly resource: T; users: number }>();

  /** The resource of `key`, made by `create` when there is none yet. */
  acquire(key: string, create: () => T): Lease<T> {
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { resource: create(), users: 0 };
      this.entries.set(key, entry);
    }
    entry.users++;
    const held = entry;
    let released = false;
    return {
      resource: held.resource,
      release: async () => {
        if (released) return;
        released = true;
        held.users--;
        if (held.users > 0) return;
        if (this.entries.get(key) === held) this.entries.delete(key);
        await held.resource.close();
      },
    };
  }

  /** Resources alive now (leak tests, health pages). */
  get size(): number {
    return this.entries.size;
  }

  resources(): T[] {
    return [...this.entries.values()].map((e) => e.resource);
  }
}
