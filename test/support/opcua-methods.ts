/**
 * Methods for the method tests, added to a running test server (opcua-server.ts) in the Plant folder:
 * object ns=1;s=Machine with
 * - Scale(value Double, factor Int32, label String) -> (result Double, text String)
 * - LoadRecipe(recipe String, sizes UInt16[]) -> (accepted Boolean, count UInt32)
 * - SetLimits(limits Range) -> (span Double): a structure argument
 * - Reset() -> (): no arguments either way
 * - Jam() -> (): always answers BadInvalidState, as a machine that cannot do it now
 * Every call the server executes is in `calls`. (node-opcua tells an async method from a callback one by
 * its parameter count, hence the unused `_context`.)
 */
import { DataType, StatusCodes, Variant, VariantArrayType } from 'node-opcua-client';
import type { TestServer } from './opcua-server';

export interface MethodCall {
  readonly method: string;
  readonly args: unknown[];
}

export function addTestMethods(server: TestServer): { calls: MethodCall[] } {
  const addressSpace = server.server.engine.addressSpace;
  if (!addressSpace) throw new Error('no address space');
  const ns = addressSpace.getOwnNamespace();
  const plant = addressSpace.findNode('ns=1;s=Plant');
  if (!plant) throw new Error('no Plant folder');
  const machine = ns.addObject({ organizedBy: plant, browseName: 'Machine', nodeId: 's=Machine' });
  const calls: MethodCall[] = [];
  const plain = (args: Variant[]): unknown[] => args.map((a) => (ArrayBuffer.isView(a.value) ? Array.from(a.value as unknown as ArrayLike<number>) : (a.value as unknown)));

  const scale = ns.addMethod(machine, {
    browseName: 'Scale',
    nodeId: 's=Machine.Scale',
    inputArguments: [
      { name: 'value', dataType: DataType.Double, description: { text: 'what to scale' } },
      { name: 'factor', dataType: DataType.Int32 },
      { name: 'label', dataType: DataType.String },
    ],
    outputArguments: [
      { name: 'result', dataType: DataType.Double },
      { name: 'text', dataType: DataType.String },
    ],
  });
  scale.bindMethod((args: Variant[], _context: unknown) => {
    calls.push({ method: 'Scale', args: plain(args) });
    const result = (args[0].value as number) * (args[1].value as number);
    return Promise.resolve({
      statusCode: StatusCodes.Good,
      outputArguments: [new Variant({ dataType: DataType.Double, value: result }), new Variant({ dataType: DataType.String, value: `${String(args[2].value)}=${result}` })],
    });
  });

  const load = ns.addMethod(machine, {
    browseName: 'LoadRecipe',
    nodeId: 's=Machine.LoadRecipe',
    inputArguments: [
      { name: 'recipe', dataType: DataType.String },
      { name: 'sizes', dataType: DataType.UInt16, valueRank: 1, arrayDimensions: [0] },
    ],
    outputArguments: [
      { name: 'accepted', dataType: DataType.Boolean },
      { name: 'count', dataType: DataType.UInt32 },
    ],
  });
  load.bindMethod((args: Variant[], _context: unknown) => {
    calls.push({ method: 'LoadRecipe', args: plain(args) });
    const sizes = plain(args)[1] as number[];
    return Promise.resolve({
      statusCode: StatusCodes.Good,
      outputArguments: [new Variant({ dataType: DataType.Boolean, value: true }), new Variant({ dataType: DataType.UInt32, arrayType: VariantArrayType.Scalar, value: sizes.length })],
    });
  });

  const limits = ns.addMethod(machine, {
    browseName: 'SetLimits',
    nodeId: 's=Machine.SetLimits',
    inputArguments: [{ name: 'limits', dataType: 'i=884' }], // Range {low, high}: a structure argument
    outputArguments: [{ name: 'span', dataType: DataType.Double }],
  });
  limits.bindMethod((args: Variant[], _context: unknown) => {
    const range = args[0].value as { low: number; high: number };
    calls.push({ method: 'SetLimits', args: [{ low: range.low, high: range.high }] });
    return Promise.resolve({ statusCode: StatusCodes.Good, outputArguments: [new Variant({ dataType: DataType.Double, value: range.high - range.low })] });
  });

  const reset = ns.addMethod(machine, { browseName: 'Reset', nodeId: 's=Machine.Reset', inputArguments: [], outputArguments: [] });
  reset.bindMethod((_args: Variant[], _context: unknown) => {
    calls.push({ method: 'Reset', args: [] });
    return Promise.resolve({ statusCode: StatusCodes.Good, outputArguments: [] });
  });

  const jam = ns.addMethod(machine, { browseName: 'Jam', nodeId: 's=Machine.Jam', inputArguments: [], outputArguments: [] });
  jam.bindMethod((_args: Variant[], _context: unknown) => {
    calls.push({ method: 'Jam', args: [] });
    return Promise.resolve({ statusCode: StatusCodes.BadInvalidState });
  });
  return { calls };
}
