/**
 * The faults the soak injects, drawn at random: what a device, a gateway or a network does to a
 * connection. Each fault is applied to one FaultProxy, held for its time, then healed; a one-shot fault
 * (FIN, RST, drop on the next request, a garbage reply) strikes once and is held a short while.
 */
import type { FaultProxy } from '../../test/support/fault-proxy';
import type { Random } from '../../simulator/random';

export const FAULT_KINDS = ['fin', 'rst', 'drop-on-request', 'blackhole', 'refuse', 'delay', 'split', 'garbage'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface Fault {
  readonly kind: FaultKind;
  /** What was done, for the log: `blackhole 23.4 s`, `delay 1200 ms for 31.0 s`. */
  readonly label: string;
  /** How long the fault is held before heal(). */
  readonly holdMs: number;
  apply(proxy: FaultProxy): void;
}

const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** A uniformly drawn fault with its parameters (ranges of the soak's issue: black hole and refuse 1-60 s, delay 100-3000 ms). */
export function drawFault(rng: Random): Fault {
  const kind = FAULT_KINDS[Math.floor(rng.next() * FAULT_KINDS.length)];
  const between = (min: number, max: number): number => Math.round(rng.uniform(min, max));
  const oneShotHold = between(1000, 20_000);
  switch (kind) {
    case 'fin':
    case 'rst': {
      return { kind, label: `${kind.toUpperCase()} on open connections, held ${s(oneShotHold)}`, holdMs: oneShotHold, apply: (p) => void p.drop(kind) };
    }
    case 'drop-on-request': {
      const how = rng.chance(0.5) ? 'fin' : 'rst';
      return { kind, label: `${how.toUpperCase()} in answer to the next request, held ${s(oneShotHold)}`, holdMs: oneShotHold, apply: (p) => p.dropOnNextRequest(how) };
    }
    case 'blackhole':
    case 'refuse': {
      const hold = between(1000, 60_000);
      // A black hole takes the connections open now too: they stop forwarding at once.
      return { kind, label: `${kind === 'blackhole' ? 'black hole' : 'refuse'} ${s(hold)}`, holdMs: hold, apply: (p) => p.setMode({ kind }) };
    }
    case 'delay': {
      const ms = between(100, 3000);
      const hold = between(5000, 60_000);
      return { kind, label: `delay ${ms} ms for ${s(hold)}`, holdMs: hold, apply: (p) => p.setMode({ kind, ms }) };
    }
    case 'split': {
      const hold = between(5000, 60_000);
      return { kind, label: `replies byte by byte for ${s(hold)}`, holdMs: hold, apply: (p) => p.setMode({ kind, gapMs: 1 }) };
    }
    case 'garbage': {
      const bytes = Buffer.from(Array.from({ length: between(1, 64) }, () => Math.floor(rng.next() * 256)));
      return { kind, label: `next reply replaced by ${bytes.length} random bytes, held ${s(oneShotHold)}`, holdMs: oneShotHold, apply: (p) => p.replaceNextReply(bytes) };
    }
  }
}
