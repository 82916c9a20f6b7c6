/**
 * Node status for the OPC UA nodes, from the session state: what the dot and text show must be true.
 * No Node-RED import (the adapters pass the result to node.status).
 */
import type { SessionState } from './session';

export interface NodeStatus {
  readonly fill: 'green' | 'yellow' | 'red' | 'grey' | 'blue';
  readonly shape: 'dot' | 'ring';
  readonly text: string;
}

const MAX_TEXT = 120;

function cut(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text;
}

/**
 * `described` is the session's own text (`reconnecting in 4 s (ECONNREFUSED)`); `connected` what the
 * node adds when all is well (`connected: 12 tags`).
 */
export function sessionStatus(state: SessionState, described: string, connected: string): NodeStatus {
  switch (state.kind) {
    case 'connected':
      return state.warning ? { fill: 'yellow', shape: 'dot', text: cut(`${connected}; ${state.warning}`) } : { fill: 'green', shape: 'dot', text: cut(connected) };
    case 'connecting':
      return { fill: 'yellow', shape: 'ring', text: 'connecting' };
    case 'reconnecting':
      return { fill: 'yellow', shape: 'ring', text: cut(described) };
    case 'error':
      return { fill: 'red', shape: 'ring', text: cut(described) };
    case 'closed':
      return { fill: 'grey', shape: 'ring', text: 'closed' };
  }
}

export function staleStatus(detail: string): NodeStatus {
  return { fill: 'yellow', shape: 'dot', text: cut(`stale: ${detail}`) };
}

export function problemStatus(text: string): NodeStatus {
  return { fill: 'red', shape: 'dot', text: cut(text) };
}

export function configStatus(text: string): NodeStatus {
  return { fill: 'red', shape: 'ring', text: cut(`config: ${text}`) };
}
