/**
 * What the OPC UA benchmark's server holds and how a contender checks what it receives.
 *
 * N Double variables `ns=1;s=Bench.V00000` ... in one folder. Each value carries its own proof:
 * value = seq * STRIDE + index, where seq counts the changes of that variable (0 = its first value) and
 * index is the variable's number. So a contender can tell, from the values alone, that a message is
 * routed to the right tag (index matches the topic) and how many changes never reached the flow (a
 * jump in seq), wherever the measuring windows start and end.
 */
import path from 'node:path';

/** Values encode the variable index below this (2^17: up to 131,072 variables). */
export const STRIDE = 131072;
export const MAX_VARIABLES = STRIDE;

/** The bench server's application URI: its namespace 1. */
export const SERVER_URI = 'urn:factoryhub:bench-opcua';

/** Repo root (bench/opcua/../..). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** Git-ignored working folder: compiled nodes, certificates, user directories. */
export const WORK_DIR = path.join(REPO_ROOT, '.tmp', 'bench-opcua');

function pad(i: number): string {
  return String(i).padStart(5, '0');
}

export function nodeIdOf(i: number): string {
  return `ns=1;s=Bench.V${pad(i)}`;
}

/** Our tag name for variable i (ISA-95-like path). */
export function tagNameOf(i: number): string {
  return `bench/line/v${pad(i)}`;
}

export function encode(seq: number, index: number): number {
  return seq * STRIDE + index;
}

/** Change counter and index of a value; NaN seq when it is not a bench value. */
export function decode(value: unknown): { seq: number; index: number } {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) return { seq: NaN, index: -1 };
  const index = value % STRIDE;
  return { seq: (value - index) / STRIDE, index };
}
