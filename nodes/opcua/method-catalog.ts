/**
 * Method signatures as the server declares them (the method's InputArguments and OutputArguments
 * properties), asked once per method and connection: a reconnect has a new VariableCatalog, so a
 * restarted server that changed a method is asked again. No Node-RED here.
 */
import type { Argument, NodeId } from 'node-opcua-client';
import { AttributeIds, NodeClass } from 'node-opcua-client';
import type { ArgumentSpec, MethodSignature } from './method-args';
import type { SessionAccess } from './session';
import type { VariableCatalog } from './variables';
import { VariableError } from './variables';

const signatures = new WeakMap<VariableCatalog, Map<string, Promise<MethodSignature>>>();

/** The method's signature; rejects with VariableError for an unknown node or one that is not a method. */
export function methodSignature(access: SessionAccess, methodText: string, methodId: NodeId): Promise<MethodSignature> {
  let known = signatures.get(access.catalog);
  if (!known) signatures.set(access.catalog, (known = new Map<string, Promise<MethodSignature>>()));
  const cache = known;
  let signature = cache.get(methodText);
  if (!signature) {
    signature = load(access, methodText, methodId);
    cache.set(methodText, signature);
    // Failures are not cached: the method may be added to the server later.
    signature.catch(() => cache.delete(methodText));
  }
  return signature;
}

async function load(access: SessionAccess, methodText: string, methodId: NodeId): Promise<MethodSignature> {
  const [nodeClass, browseName] = await access.session.read([
    { nodeId: methodId, attributeId: AttributeIds.NodeClass },
    { nodeId: methodId, attributeId: AttributeIds.BrowseName },
  ]);
  if (!nodeClass.statusCode.isGood()) {
    const status = nodeClass.statusCode.name;
    throw new VariableError(`${status}: ${methodText}: ${status === 'BadNodeIdUnknown' ? 'the server has no such node' : 'its NodeClass cannot be read'}`, status);
  }
  const cls = nodeClass.value.value as number;
  if (cls !== (NodeClass.Method as number)) throw new VariableError(`BadNotExecutable: ${methodText} is ${NodeClass[cls] ?? 'a node'}, not a method`, 'BadNotExecutable');
  const name = (browseName.value.value as { name?: string } | null)?.name ?? methodText;
  const args = await access.session.getArgumentDefinition(methodId);
  return {
    methodId: methodText,
    name,
    inputs: await specs(access.catalog, args.inputArguments),
    outputs: await specs(access.catalog, args.outputArguments),
  };
}

async function specs(catalog: VariableCatalog, args: readonly Argument[] | null | undefined): Promise<ArgumentSpec[]> {
  const out: ArgumentSpec[] = [];
  for (const [i, a] of (args ?? []).entries()) {
    const type = await catalog.builtInTypeOf(a.dataType);
    const name = a.name || `argument${i + 1}`;
    out.push({
      name,
      info: { nodeId: name, dataType: type.builtIn, dataTypeName: type.name, dataTypeId: a.dataType.toString(), valueRank: a.valueRank ?? -1, arrayDimensions: a.arrayDimensions ? Array.from(a.arrayDimensions) : [] },
      ...(a.description?.text ? { description: a.description.text } : {}),
    });
  }
  return out;
}
