/**
 * What the server says about its variables, asked once per NodeId and connection: DataType (resolved to
 * the built-in type on the wire), value rank and array dimensions. A reconnect starts a new catalog, since
 * a restarted server may have changed. No Node-RED here.
 */
import type { ClientSession, NodeId } from 'node-opcua-client';
import { AttributeIds, DataType, findBasicDataType } from 'node-opcua-client';
import type { VariableInfo } from './convert';

export class VariableError extends Error {
  constructor(
    message: string,
    /** Status code name, e.g. BadNodeIdUnknown. */
    readonly status: string,
  ) {
    super(message);
    this.name = 'VariableError';
  }
}

export class VariableCatalog {
  private readonly variables = new Map<string, Promise<VariableInfo>>();
  private readonly types = new Map<string, Promise<{ builtIn: DataType; name: string }>>();

  constructor(private readonly session: ClientSession) {}

  /** The variable's type info; rejects with VariableError for unknown nodes and non-variables. */
  info(text: string, nodeId: NodeId): Promise<VariableInfo> {
    let known = this.variables.get(text);
    if (!known) {
      known = this.load(text, nodeId);
      this.variables.set(text, known);
      // Failures are not cached: the node may be created on the server later.
      known.catch(() => this.variables.delete(text));
    }
    return known;
  }

  private async load(text: string, nodeId: NodeId): Promise<VariableInfo> {
    const [dataType, valueRank, dims] = await this.session.read([
      { nodeId, attributeId: AttributeIds.DataType },
      { nodeId, attributeId: AttributeIds.ValueRank },
      { nodeId, attributeId: AttributeIds.ArrayDimensions },
    ]);
    if (!dataType.statusCode.isGood()) {
      const status = dataType.statusCode.name;
      const why = status === 'BadAttributeIdInvalid' ? 'it is not a variable' : status === 'BadNodeIdUnknown' ? 'the server has no such node' : 'its DataType cannot be read';
      throw new VariableError(`${status}: ${text}: ${why}`, status);
    }
    const typeId = dataType.value.value as NodeId;
    const type = await this.builtInTypeOf(typeId);
    const rank = valueRank.statusCode.isGood() && typeof valueRank.value.value === 'number' ? valueRank.value.value : -1;
    const arrayDimensions = dims.statusCode.isGood() && dims.value.value ? Array.from(dims.value.value as ArrayLike<number>) : [];
    return { nodeId: text, dataType: type.builtIn, dataTypeName: type.name, dataTypeId: typeId.toString(), valueRank: rank, arrayDimensions };
  }

  /** The built-in type a DataType NodeId is carried as, and the DataType's own name. */
  builtInTypeOf(typeId: NodeId): Promise<{ builtIn: DataType; name: string }> {
    const key = typeId.toString();
    let known = this.types.get(key);
    if (!known) {
      known = (async () => {
        if (typeId.namespace === 0 && typeof typeId.value === 'number' && typeId.value >= 1 && typeId.value <= 25) {
          return { builtIn: typeId.value as DataType, name: DataType[typeId.value] };
        }
        const [builtIn, browseName] = await Promise.all([
          findBasicDataType(this.session, typeId),
          this.session.read({ nodeId: typeId, attributeId: AttributeIds.BrowseName }),
        ]);
        const name = (browseName.value.value as { name?: string } | null)?.name ?? key;
        return { builtIn, name };
      })();
      this.types.set(key, known);
      known.catch(() => this.types.delete(key));
    }
    return known;
  }
}
