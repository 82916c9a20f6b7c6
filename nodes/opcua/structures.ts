/**
 * Structured values (ExtensionObjects) to write, from plain objects: the server's own description of
 * the DataType (its DataTypeDefinition or data type dictionary, which node-opcua reads and caches per
 * session) gives the fields; every field must be given, no other, and built-in fields are converted as
 * variables are (convert.ts), so a wrong field is refused by name before anything is sent.
 * Reading needs nothing here: value.ts turns an ExtensionObject into a plain object. No Node-RED here.
 */
import type { ClientSession, ExtensionObject } from 'node-opcua-client';
import { DataType, Variant, VariantArrayType, coerceNodeId } from 'node-opcua-client';
import { messageOf } from '../shared/errors';
import type { VariableInfo } from './convert';
import { ConversionError, describeValue, toVariant, typeName } from './convert';

interface Field {
  readonly name: string;
  readonly fieldType: string;
  readonly isArray?: boolean;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** The Variant of a structure variable (or argument) for `value`: an object, or an array of objects for an array. */
export async function structureVariant(session: ClientSession, value: unknown, info: VariableInfo, what: string): Promise<Variant> {
  const fail = (why: string): never => {
    throw new ConversionError(`${what} is ${info.valueRank === -1 ? 'a' : 'an array of'} ${typeName(info)} structure: ${why}`);
  };
  if (!info.dataTypeId) return fail('its DataType is unknown');
  const dataTypeId = coerceNodeId(info.dataTypeId);
  const array = Array.isArray(value);
  if (info.valueRank > 1) fail('matrices of structures are not supported');
  if (info.valueRank === -1 && array) fail(`expected an object, got ${describeValue(value)}`);
  if ((info.valueRank === 0 || info.valueRank === 1) && !array) fail(`expected an array of objects, got ${describeValue(value)}`);

  let fields: readonly Field[];
  try {
    const empty = (await session.constructExtensionObject(dataTypeId, {})) as ExtensionObject & { schema?: { fields?: Field[] } };
    fields = empty.schema?.fields ?? [];
  } catch (err) {
    return fail(`the server's description of the type cannot be used (${messageOf(err)})`);
  }
  const one = async (item: unknown, at: string): Promise<ExtensionObject> => {
    if (!isPlainObject(item)) return fail(`${at}expected an object with the fields ${fields.map((f) => f.name).join(', ')}, got ${describeValue(item)}`);
    const unknown = Object.keys(item).filter((k) => !fields.some((f) => f.name === k));
    if (unknown.length > 0) fail(`${at}no field ${unknown.map((k) => `"${k}"`).join(', ')} (its fields: ${fields.map((f) => f.name).join(', ')})`);
    const missing = fields.filter((f) => !Object.prototype.hasOwnProperty.call(item, f.name));
    if (missing.length > 0) fail(`${at}field ${missing.map((f) => `"${f.name}"`).join(', ')} missing (a structure is written whole)`);
    const pojo: Record<string, unknown> = {};
    for (const f of fields) {
      const builtIn = (DataType as unknown as Record<string, DataType | undefined>)[f.fieldType];
      // Built-in fields are converted (and checked) as variables are; nested structures go as given.
      if (builtIn === undefined || builtIn === DataType.ExtensionObject) {
        pojo[f.name] = item[f.name];
        continue;
      }
      const fieldInfo: VariableInfo = { nodeId: f.name, dataType: builtIn, dataTypeName: f.fieldType, valueRank: f.isArray ? 1 : -1, arrayDimensions: [] };
      try {
        pojo[f.name] = toVariant(item[f.name], fieldInfo, `field "${f.name}"`).value;
      } catch (err) {
        fail(`${at}${messageOf(err)}`);
      }
    }
    try {
      return await session.constructExtensionObject(dataTypeId, pojo);
    } catch (err) {
      return fail(`${at}${messageOf(err)}`);
    }
  };
  if (!array) return new Variant({ dataType: DataType.ExtensionObject, arrayType: VariantArrayType.Scalar, value: await one(value, '') });
  const items: ExtensionObject[] = [];
  for (const [i, item] of (value as unknown[]).entries()) items.push(await one(item, `element ${i}: `));
  const max = info.arrayDimensions[0] ?? 0;
  if (max > 0 && items.length > max) fail(`the array has ${items.length} elements, at most ${max} fit`);
  return new Variant({ dataType: DataType.ExtensionObject, arrayType: VariantArrayType.Array, value: items });
}
