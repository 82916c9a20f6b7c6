/**
 * One method call: the method's signature (method-catalog.ts), the payload converted to its input
 * arguments (method-args.ts), one Call request, the output arguments back as plain values. Nothing is
 * sent when an argument does not fit. Never throws: every outcome is a report, as writes are (writer.ts).
 * No Node-RED here.
 */
import { messageOf } from '../shared/errors';
import type { MethodSignature } from './method-args';
import { inputVariants, outputValues } from './method-args';
import { methodSignature } from './method-catalog';
import { checkNodeId, resolveNodeId } from './node-id';
import type { EndpointSession } from './session';
import { withTimeout } from './session';
import { structureVariant } from './structures';

export interface CallReport {
  readonly objectId: string;
  readonly methodId: string;
  /** The method's browse name once known, else its NodeId. */
  readonly method: string;
  /** The input arguments as the message gave them. */
  readonly inputs: unknown;
  /** ok: called and Good; error: sent and failed (bad status or no answer); refused: never sent. */
  readonly result: 'ok' | 'error' | 'refused';
  /** The call's OPC UA status (`Good`, `BadInvalidState`, ...), when the server answered. */
  readonly statusCode?: string;
  readonly outputs?: Record<string, unknown>;
  readonly outputList?: unknown[];
  readonly error?: string;
}

/** Calls `methodId` on `objectId` with the payload as its input arguments. */
export async function callMethod(session: EndpointSession, objectText: unknown, methodText: unknown, inputs: unknown): Promise<CallReport> {
  const objectId = typeof objectText === 'string' ? objectText.trim() : '';
  const methodId = typeof methodText === 'string' ? methodText.trim() : '';
  const base = { objectId, methodId, method: methodId, inputs };
  let signature: MethodSignature;
  let ids: { object: ReturnType<typeof resolveNodeId>; method: ReturnType<typeof resolveNodeId> };
  let variants;
  try {
    if (!objectId) throw new Error('no object NodeId: set the node\'s Object property (or msg.objectId)');
    if (!methodId) throw new Error('no method NodeId: set the node\'s Method property (or msg.methodId)');
    checkNodeId(objectId);
    checkNodeId(methodId);
    const access = session.access();
    ids = { object: resolveNodeId(objectId, access.namespaces), method: resolveNodeId(methodId, access.namespaces) };
    signature = await withTimeout(methodSignature(access, methodId, ids.method), session.options.requestTimeoutMs, 'reading the method arguments');
  } catch (err) {
    return { ...base, result: 'refused', error: messageOf(err) };
  }
  const named = { ...base, method: signature.name };
  try {
    const live = session.access().session;
    variants = await inputVariants(inputs, signature, (value, info, what) => structureVariant(live, value, info, what));
  } catch (err) {
    return { ...named, result: 'refused', error: messageOf(err) };
  }
  let answer;
  try {
    answer = await withTimeout(
      session.access().session.call({ objectId: ids.object, methodId: ids.method, inputArguments: variants }),
      session.options.requestTimeoutMs,
      'Call',
    );
  } catch (err) {
    // The answer is unknown (timeout, link lost): the method may or may not have run.
    return { ...named, result: 'error', error: `no answer to the call: ${messageOf(err)}` };
  }
  const statusCode = answer.statusCode.name;
  if (!answer.statusCode.isGood()) {
    const argProblems = (answer.inputArgumentResults ?? [])
      .map((s, i) => (s.isGood() ? '' : `input argument "${signature.inputs[i]?.name ?? i + 1}": ${s.name}`))
      .filter((s) => s !== '');
    return { ...named, result: 'error', statusCode, error: `the server answered ${statusCode}${argProblems.length > 0 ? ` (${argProblems.join(', ')})` : ''}` };
  }
  const out = outputValues(answer.outputArguments, signature);
  return { ...named, result: 'ok', statusCode, outputs: out.byName, outputList: out.list };
}
