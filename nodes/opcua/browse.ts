/**
 * Browsing for the editor: one level of the address space at a time, at most `limit` entries (the
 * server is asked for no more than that and any continuation point is released at once), with what is
 * needed to turn a variable into a tag: its DataType, value rank and whether the user may write it.
 * No Node-RED here; the admin endpoint adds the timeout.
 */
import type { NodeId, ReferenceDescription } from 'node-opcua-client';
import { AttributeIds, BrowseDirection, DataType, NodeClass, NodeClassMask, ReferenceTypeIds, makeNodeId, makeResultMask } from 'node-opcua-client';
import type { DataType as TagDataType } from '../tags/tag';
import type { ArgumentSpec } from './method-args';
import { methodSignature } from './method-catalog';
import { typeName } from './convert';
import { resolveNodeId } from './node-id';
import type { SessionAccess } from './session';

export interface BrowseEntry {
  readonly nodeId: string;
  readonly browseName: string;
  readonly displayName: string;
  readonly nodeClass: 'Object' | 'Variable' | 'View' | 'Method';
  /** Objects and views open one level further; variables are what becomes a tag; methods are called (fh-opcua-method). */
  readonly expandable: boolean;
  /** A tag-name segment made from the browse name (letters, digits, `_`, `-`, `.`). */
  readonly suggestedName: string;
  readonly dataType?: string;
  readonly valueRank?: number;
  readonly writable?: boolean;
  /** The tag model's data type for this variable; absent when it has none (see `unsupported`). */
  readonly tagDataType?: TagDataType;
  readonly unsupported?: string;
  /** A method's arguments as the server declares them: name and DataType (`Double`, `Int32[]`). */
  readonly inputArguments?: readonly BrowseArgument[];
  readonly outputArguments?: readonly BrowseArgument[];
}

export interface BrowseArgument {
  readonly name: string;
  readonly dataType: string;
  readonly description?: string;
}

export interface BrowsePage {
  readonly nodeId: string;
  readonly entries: BrowseEntry[];
  /** The node has more children than the limit; browse a deeper folder or raise the limit. */
  readonly more: boolean;
}

export const MAX_BROWSE_LIMIT = 1000;
export const OBJECTS_FOLDER = 'i=85';

const TAG_TYPES: Partial<Record<DataType, TagDataType>> = {
  [DataType.Boolean]: 'bool',
  [DataType.SByte]: 'int16',
  [DataType.Byte]: 'uint16',
  [DataType.Int16]: 'int16',
  [DataType.UInt16]: 'uint16',
  [DataType.Int32]: 'int32',
  [DataType.UInt32]: 'uint32',
  [DataType.Int64]: 'int64',
  [DataType.UInt64]: 'uint64',
  [DataType.Float]: 'float32',
  [DataType.Double]: 'float64',
  [DataType.String]: 'string',
  [DataType.LocalizedText]: 'string',
};

/** The tag data type a built-in type is read as, or undefined when the tag model has none. */
export function tagDataTypeOf(builtIn: DataType): TagDataType | undefined {
  return TAG_TYPES[builtIn];
}

export function nameSegment(browseName: string): string {
  const s = browseName.replace(/[^\p{L}\p{N}_.-]+/gu, '_').replace(/^[._]+|_+$/g, '').slice(0, 64);
  return s || 'tag';
}

const CURRENT_WRITE = 0x02;
// Plain numbers: the NodeClass of a reference is typed with another module's copy of the enum.
const VARIABLE: number = NodeClass.Variable;
const VIEW: number = NodeClass.View;
const METHOD: number = NodeClass.Method;

function isVariable(ref: ReferenceDescription): boolean {
  const n: number = ref.nodeClass;
  return n === VARIABLE;
}

export async function browseLevel(access: SessionAccess, nodeIdText: string, limit: number): Promise<BrowsePage> {
  const { session, namespaces } = access;
  const nodeId = resolveNodeId(nodeIdText, namespaces);
  const max = Math.max(1, Math.min(MAX_BROWSE_LIMIT, Math.floor(limit)));
  const result = await session.browse({
    nodeId,
    browseDirection: BrowseDirection.Forward,
    referenceTypeId: makeNodeId(ReferenceTypeIds.HierarchicalReferences),
    includeSubtypes: true,
    nodeClassMask: NodeClassMask.Object | NodeClassMask.Variable | NodeClassMask.View | NodeClassMask.Method,
    resultMask: makeResultMask('ReferenceType | IsForward | BrowseName | DisplayName | NodeClass | TypeDefinition'),
  });
  if (!result.statusCode.isGood()) throw new Error(`${result.statusCode.name}: cannot browse ${nodeIdText}`);
  let more = false;
  if (result.continuationPoint && result.continuationPoint.length > 0) {
    more = true;
    // Released now: servers keep only a few continuation points per session, shared with the runtime.
    await session.browseNext(result.continuationPoint, true).catch(() => undefined);
  }
  const refs = (result.references ?? []).filter((r) => r.nodeId.serverIndex === 0);
  if (refs.length > max) more = true;
  const page = refs.slice(0, max);
  const variables = page.filter(isVariable);
  const details = await variableDetails(access, variables.map((r) => r.nodeId));
  let v = 0;
  const entries: BrowseEntry[] = [];
  for (const ref of page) {
    const base = entryBase(ref);
    if (isVariable(ref)) entries.push({ ...base, ...details[v++] });
    else if (base.nodeClass === 'Method') entries.push({ ...base, ...(await methodDetails(access, ref.nodeId)) });
    else entries.push(base);
  }
  return { nodeId: nodeIdText, entries, more };
}

function entryBase(ref: ReferenceDescription): BrowseEntry {
  const n: number = ref.nodeClass;
  const nodeClass = n === VARIABLE ? 'Variable' : n === VIEW ? 'View' : n === METHOD ? 'Method' : 'Object';
  const browseName = ref.browseName.name ?? '';
  return {
    nodeId: ref.nodeId.toString(),
    browseName,
    displayName: ref.displayName.text ?? browseName,
    nodeClass,
    expandable: nodeClass !== 'Variable' && nodeClass !== 'Method',
    suggestedName: nameSegment(browseName),
  };
}

type Details = Pick<BrowseEntry, 'dataType' | 'valueRank' | 'writable' | 'tagDataType' | 'unsupported'>;

/** DataType, ValueRank and UserAccessLevel of each variable, in as few Read requests as the server allows. */
async function variableDetails(access: SessionAccess, nodeIds: readonly NodeId[]): Promise<Details[]> {
  const attrs = [AttributeIds.DataType, AttributeIds.ValueRank, AttributeIds.UserAccessLevel];
  const reads = nodeIds.flatMap((nodeId) => attrs.map((attributeId) => ({ nodeId, attributeId })));
  const values = [];
  const step = Math.max(attrs.length, access.nodesPerRead - (access.nodesPerRead % attrs.length));
  for (let start = 0; start < reads.length; start += step) values.push(...(await access.session.read(reads.slice(start, start + step))));
  const out: Details[] = [];
  for (let i = 0; i < nodeIds.length; i++) {
    const [type, rank, level] = values.slice(i * attrs.length, (i + 1) * attrs.length);
    if (!type.statusCode.isGood()) {
      out.push({ unsupported: `its DataType cannot be read (${type.statusCode.name})` });
      continue;
    }
    const info = await access.catalog.builtInTypeOf(type.value.value as NodeId).catch(() => undefined);
    const valueRank = rank.statusCode.isGood() ? (rank.value.value as number) : -1;
    const writable = level.statusCode.isGood() ? ((level.value.value as number) & CURRENT_WRITE) !== 0 : false;
    if (!info) {
      out.push({ valueRank, writable, unsupported: 'its DataType is unknown to the server' });
      continue;
    }
    const dataType = info.name === DataType[info.builtIn] ? info.name : `${info.name} (${DataType[info.builtIn]})`;
    const tagDataType = tagDataTypeOf(info.builtIn);
    const detail: Details = tagDataType
      ? { dataType, valueRank, writable, tagDataType }
      : { dataType, valueRank, writable, unsupported: `${dataType} values have no tag data type` };
    out.push(detail);
  }
  return out;
}

function browseArguments(args: readonly ArgumentSpec[]): BrowseArgument[] {
  return args.map((a) => ({
    name: a.name,
    dataType: `${typeName(a.info)}${a.info.valueRank >= 0 ? '[]' : ''}`,
    ...(a.description ? { description: a.description } : {}),
  }));
}

/** A method's arguments (from the cached signature), and why it is not a tag. */
async function methodDetails(access: SessionAccess, nodeId: NodeId): Promise<Pick<BrowseEntry, 'inputArguments' | 'outputArguments' | 'unsupported'>> {
  try {
    const signature = await methodSignature(access, nodeId.toString(), nodeId);
    const inputs = browseArguments(signature.inputs);
    const outputs = browseArguments(signature.outputs);
    const list = (args: BrowseArgument[]): string => args.map((a) => `${a.name}: ${a.dataType}`).join(', ');
    return {
      inputArguments: inputs,
      outputArguments: outputs,
      unsupported: `a method, ${signature.name}(${list(inputs)})${outputs.length > 0 ? ` → (${list(outputs)})` : ''}: call it with an opcua method node`,
    };
  } catch (err) {
    return { unsupported: `a method whose arguments cannot be read (${err instanceof Error ? err.message : String(err)})` };
  }
}
