/**
 * The demo packaging line: filler -> capper -> labeller -> case packer, four independent machine
 * models seeded from one line seed. The machines are not coupled (a stopped filler does not starve
 * the capper): each one is a realistic signal source for its own OEE, which is what the hub needs.
 */
import { DEFAULT_FAULTS, Machine } from './machine';
import type { FaultCode, MachineConfig, MachineSnapshot } from './machine';
import { hashSeed } from './random';

export const DEFAULT_LINE_PATH = 'demo/packaging/line1';

/** Last segment of each machine's ISA-95 path, in line order. */
export const LINE_MACHINES = ['filler', 'capper', 'labeller', 'casepacker'] as const;
export type LineMachine = (typeof LINE_MACHINES)[number];

export interface LineOptions {
  readonly seed: number | string;
  /** ISA-95 path of the line (site/area/line); default `demo/packaging/line1`. */
  readonly path?: string;
  /** Simulated time at creation (ms); default 0. */
  readonly startMs?: number;
}

const MIN = 60_000;
/** Bottles per case at the case packer. */
export const CASE_SIZE = 24;

/** Fault weights per machine: a labeller jams more, a case packer runs out of cartons more. */
function faults(weights: readonly [number, number, number, number]): FaultCode[] {
  return DEFAULT_FAULTS.map((f, i) => ({ ...f, weight: weights[i] }));
}

type MachineSpec = Omit<MachineConfig, 'name' | 'seed' | 'startMs'>;

/**
 * Machine parameters. Cycle times follow the V curve of a bottling line: the labeller (650 ms) is
 * the bottleneck, the machines around it are a little faster. The three products run on every
 * machine; product names fit the 16-character `productName` register.
 */
const SPECS: Readonly<Record<LineMachine, MachineSpec>> = {
  filler: {
    idealCycleMs: 600,
    products: [
      { id: 1, name: 'WATER 0.5L', idealCycleMs: 600 },
      { id: 2, name: 'JUICE 1.0L', idealCycleMs: 750 },
      { id: 3, name: 'ICE TEA 0.5L', idealCycleMs: 640 },
    ],
    changeover: { everyParts: 3000, durationMs: 5 * MIN },
    mtbfMs: 25 * MIN,
    mttrMs: 2 * MIN,
    faults: faults([5, 1, 3, 1]),
    smallStopProbability: 0.004,
    smallStopMs: 3000,
    rejectRate: 0.005,
  },
  capper: {
    idealCycleMs: 600,
    products: [
      { id: 1, name: 'WATER 0.5L', idealCycleMs: 600 },
      { id: 2, name: 'JUICE 1.0L', idealCycleMs: 700 },
      { id: 3, name: 'ICE TEA 0.5L', idealCycleMs: 620 },
    ],
    changeover: { everyParts: 3000, durationMs: 4 * MIN },
    mtbfMs: 40 * MIN,
    mttrMs: 90_000,
    faults: faults([3, 2, 2, 1]),
    smallStopProbability: 0.003,
    smallStopMs: 2000,
    rejectRate: 0.003,
  },
  labeller: {
    idealCycleMs: 650,
    products: [
      { id: 1, name: 'WATER 0.5L', idealCycleMs: 650 },
      { id: 2, name: 'JUICE 1.0L', idealCycleMs: 800 },
      { id: 3, name: 'ICE TEA 0.5L', idealCycleMs: 690 },
    ],
    changeover: { everyParts: 3000, durationMs: 6 * MIN },
    mtbfMs: 15 * MIN,
    mttrMs: 150_000,
    faults: faults([8, 1, 4, 1]),
    smallStopProbability: 0.006,
    smallStopMs: 4000,
    rejectRate: 0.01,
  },
  casepacker: {
    // Counts cases: one part = CASE_SIZE bottles, a slot of 600 ms per bottle.
    idealCycleMs: CASE_SIZE * 600,
    unitsPerPart: CASE_SIZE,
    products: [
      { id: 1, name: 'CASE WATER 0.5L', idealCycleMs: CASE_SIZE * 600 },
      { id: 2, name: 'CASE JUICE 1.0L', idealCycleMs: CASE_SIZE * 720 },
      { id: 3, name: 'CASE TEA 0.5L', idealCycleMs: CASE_SIZE * 650 },
    ],
    changeover: { everyParts: 3000 / CASE_SIZE, durationMs: 3 * MIN },
    mtbfMs: 30 * MIN,
    mttrMs: 3 * MIN,
    faults: faults([2, 1, 6, 2]),
    smallStopProbability: 0.02,
    smallStopMs: 5000,
    rejectRate: 0.002,
  },
};

/** The four machine configurations of a line; each machine's seed is derived from the line seed and its name. */
export function lineMachineConfigs(options: LineOptions): MachineConfig[] {
  const path = options.path ?? DEFAULT_LINE_PATH;
  return LINE_MACHINES.map((short) => {
    const name = `${path}/${short}`;
    const config: MachineConfig = { ...SPECS[short], name, seed: hashSeed(options.seed, name) };
    return options.startMs === undefined ? config : { ...config, startMs: options.startMs };
  });
}

export class Line {
  readonly path: string;
  /** In line order: filler, capper, labeller, case packer. */
  readonly machines: readonly Machine[];

  constructor(options: LineOptions) {
    this.path = options.path ?? DEFAULT_LINE_PATH;
    this.machines = lineMachineConfigs(options).map((c) => new Machine(c));
  }

  /** A machine by the last segment of its path (`filler`) or its full path. */
  machine(name: string): Machine {
    const m = this.machines.find((x) => x.name === name || x.name === `${this.path}/${name}`);
    if (m === undefined) throw new RangeError(`line ${this.path} has no machine ${name}`);
    return m;
  }

  advanceTo(t: number): void {
    for (const m of this.machines) m.advanceTo(t);
  }

  advance(dtMs: number): void {
    for (const m of this.machines) m.advance(dtMs);
  }

  snapshot(): MachineSnapshot[] {
    return this.machines.map((m) => m.snapshot());
  }
}
