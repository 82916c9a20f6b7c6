/**
 * A method's input arguments from a message payload (an array in order, or an object by argument name),
 * each converted to the argument's declared DataType and value rank with the write conversion
 * (convert.ts), and its output arguments back to plain values. No Node-RED here.
 */
import type { Variant } from 'node-opcua-client';
import { DataType } from 'node-opcua-client';
import type { VariableInfo } from './convert';
import { ConversionError, describeValue, toVariant } from './convert';
import { jsValue } from './value';

export interface ArgumentSpec {
  readonly name: string;
  /** Declared DataType (resolved to its built-in type), value rank and dimensions, as for a variable. */
  readonly info: VariableInfo;
  readonly description?: string;
}

/** What the server declares of a method (InputArguments, OutputArguments), read once per connection. */
export interface MethodSignature {
  readonly methodId: string;
  /** The method's browse name, e.g. `Start`. */
  readonly name: string;
  readonly inputs: readonly ArgumentSpec[];
  readonly outputs: readonly ArgumentSpec[];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function listNames(args: readonly ArgumentSpec[]): string {
  return args.length === 0 ? 'none' : args.map((a) => a.name).join(', ');
}

/** The payload's values in argument order; ConversionError when their number or names do not match. */
export function orderedArguments(payload: unknown, signature: MethodSignature): unknown[] {
  const { inputs } = signature;
  const what = `method ${signature.name}`;
  const none = payload === undefined || payload === null || payload === '' || (Array.isArray(payload) && payload.length === 0) || (isPlainObject(payload) && Object.keys(payload).length === 0);
  if (inputs.length === 0) {
    if (none) return [];
    throw new ConversionError(`${what} takes no input arguments, got ${describeValue(payload)}`);
  }
  if (Array.isArray(payload)) {
    if (payload.length !== inputs.length) {
      throw new ConversionError(`${what} takes ${inputs.length} input argument${inputs.length === 1 ? '' : 's'} (${listNames(inputs)}), got ${describeValue(payload)}`);
    }
    return (payload as unknown[]).slice();
  }
  if (isPlainObject(payload)) {
    const unknown = Object.keys(payload).filter((k) => !inputs.some((a) => a.name === k));
    if (unknown.length > 0) throw new ConversionError(`${what} has no input argument ${unknown.map((k) => `"${k}"`).join(', ')} (its arguments: ${listNames(inputs)})`);
    const missing = inputs.filter((a) => !Object.prototype.hasOwnProperty.call(payload, a.name));
    if (missing.length > 0) throw new ConversionError(`${what}: input argument ${missing.map((a) => `"${a.name}"`).join(', ')} missing (its arguments: ${listNames(inputs)})`);
    return inputs.map((a) => payload[a.name]);
  }
  // One argument: the payload itself is its value.
  if (inputs.length === 1) return [payload];
  throw new ConversionError(`${what} takes ${inputs.length} input arguments (${listNames(inputs)}): give msg.payload as an array in that order or an object by name, not ${describeValue(payload)}`);
}

/** Builds a structure argument (structures.ts, with the session); absent: structures are refused. */
export type StructureBuilder = (value: unknown, info: VariableInfo, what: string) => Promise<Variant>;

/** The Variants to send; ConversionError naming the argument for a value that does not fit. */
export async function inputVariants(payload: unknown, signature: MethodSignature, structure?: StructureBuilder): Promise<Variant[]> {
  const values = orderedArguments(payload, signature);
  const out: Variant[] = [];
  for (const [i, v] of values.entries()) {
    const { info, name } = signature.inputs[i];
    const what = `input argument "${name}" of method ${signature.name}`;
    out.push(info.dataType === DataType.ExtensionObject && structure ? await structure(v, info, what) : toVariant(v, info, what));
  }
  return out;
}

/** Output arguments as plain values, by name and in order. */
export function outputValues(variants: readonly Variant[] | null | undefined, signature: MethodSignature): { byName: Record<string, unknown>; list: unknown[] } {
  const list = (variants ?? []).map((v) => jsValue(v));
  const byName: Record<string, unknown> = {};
  list.forEach((value, i) => (byName[signature.outputs[i]?.name || `output${i + 1}`] = value));
  return { byName, list };
}
