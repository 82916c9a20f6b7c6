/**
 * Machine states and how PLC values map onto them.
 *
 * The engine keeps a state as a small integer (it sits on the per-event hot path and in every
 * timeline segment); names are for configuration, output and notices.
 */

export const RUNNING = 0;
export const IDLE = 1;
export const DOWN = 2;
export const CHANGEOVER = 3;
export const PLANNED = 4;
export const NO_DATA = 5;
export type StateCode = 0 | 1 | 2 | 3 | 4 | 5;

export const STATE_NAMES = ['running', 'idle', 'down', 'changeover', 'planned', 'no-data'] as const;
export type MachineState = (typeof STATE_NAMES)[number];
/** States a signal may report; "no-data" is only ever derived by the engine from silence. */
export type InputState = Exclude<MachineState, 'no-data'>;
export const INPUT_STATES: readonly InputState[] = ['running', 'idle', 'down', 'changeover', 'planned'];

/** PLC value (as text: 3 and "3" are the same key) -> state. */
export type StateMap = Readonly<Record<string, InputState>>;

/** Idle and down: the stops that are availability (or, when short, performance) losses. */
export function isUnplanned(code: StateCode): boolean {
  return code === IDLE || code === DOWN;
}

export function stateName(code: StateCode): MachineState {
  return STATE_NAMES[code];
}

export function stateCode(name: MachineState): StateCode {
  return STATE_NAMES.indexOf(name) as StateCode;
}

/**
 * The lookup used per sample: with a map, only its keys are states (canonical names are NOT
 * accepted too, so a mapping typo cannot silently pass through); without one, the canonical names.
 */
export function compileStateMap(map: StateMap | undefined): ReadonlyMap<string, StateCode> {
  const out = new Map<string, StateCode>();
  if (map === undefined) for (const s of INPUT_STATES) out.set(s, stateCode(s));
  else for (const [k, v] of Object.entries(map)) out.set(k, stateCode(v));
  return out;
}

export function validateStateMap(map: unknown): string[] {
  if (map === undefined) return [];
  if (typeof map !== 'object' || map === null || Array.isArray(map)) return ['stateMap must be an object {"plc value": "state"}'];
  const issues: string[] = [];
  for (const [k, v] of Object.entries(map as Record<string, unknown>)) {
    if (!INPUT_STATES.includes(v as InputState)) {
      issues.push(`stateMap[${JSON.stringify(k)}]: ${JSON.stringify(v)} is not one of ${INPUT_STATES.join(', ')}`);
    }
  }
  if (Object.keys(map).length === 0) issues.push('stateMap is empty; leave it out to accept the state names themselves');
  return issues;
}
