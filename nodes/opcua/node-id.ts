/**
 * NodeId texts: checked with the tag model's parser (the same messages as the tag-map editor) and
 * resolved against the server's namespace table, so `nsu=<uri>;...` survives a server that renumbers
 * its namespaces after an update. No Node-RED here.
 */
import type { NodeId } from 'node-opcua-client';
import { coerceNodeId } from 'node-opcua-client';
import { parseNodeIdParts } from '../tags/address';

export class NodeIdError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NodeIdError';
  }
}

/** The trimmed NodeId text, or a NodeIdError saying what is malformed. */
export function checkNodeId(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') throw new NodeIdError(`expected a NodeId text like ns=2;s=Line1.Speed, got ${value === undefined ? 'nothing' : typeof value}`);
  const parsed = parseNodeIdParts(value);
  if (!parsed.ok) throw new NodeIdError(parsed.error);
  return value.trim();
}

/** True when the text is shaped like a NodeId (a tag name never contains '='). */
export function looksLikeNodeId(text: string): boolean {
  return text.includes('=');
}

/** Resolves a checked NodeId text; `namespaces` is the server's NamespaceArray. */
export function resolveNodeId(text: string, namespaces: readonly string[]): NodeId {
  const parsed = parseNodeIdParts(text);
  if (!parsed.ok) throw new NodeIdError(parsed.error);
  const { namespace, kind, identifier } = parsed.value;
  let spelled = text;
  if (namespace.startsWith('nsu=')) {
    const uri = decodeURIComponent(namespace.slice(4, -1));
    const index = namespaces.indexOf(uri);
    if (index < 0) throw new NodeIdError(`BadNodeIdUnknown: the server has no namespace ${uri} (${text})`);
    spelled = `ns=${index};${kind}=${identifier}`;
  }
  try {
    return coerceNodeId(spelled);
  } catch (err) {
    throw new NodeIdError(`malformed NodeId '${text}': ${err instanceof Error ? err.message : String(err)}`);
  }
}
