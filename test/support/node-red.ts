/** Small typed views of what node-red-node-test-helper's spies record on runtime nodes. */
import type { EventEmitter } from 'node:events';
import type { Node } from 'node-red';
import helper from 'node-red-node-test-helper';
import { tempDir } from './hub-process';

interface Spy<A extends unknown[]> {
  readonly args: A[];
  readonly thisValues: unknown[];
}

export interface ShownStatus {
  readonly fill?: string;
  readonly shape?: string;
  readonly text?: string;
}

/**
 * Every status `node` itself showed, oldest first. node-red-node-test-helper spies on the Node
 * prototype, so its record holds the calls of every node: keep those made on this one.
 */
export function statusesOf(node: Node): ShownStatus[] {
  const spy = (node as unknown as { status: Spy<[ShownStatus]> }).status;
  return spy.args.filter((_a, i) => spy.thisValues[i] === node).map((a) => a[0]);
}

/** Every status text the node has shown, oldest first. */
export function statusTexts(node: Node): string[] {
  return statusesOf(node).map((s) => s.text ?? '');
}

/** The node's last status. */
export function lastStatus(node: Node): ShownStatus {
  return statusesOf(node).at(-1) ?? {};
}

/** Resolves once the node's status text matches `re`. */
export async function statusMatching(node: Node, re: RegExp, timeoutMs = 5000): Promise<string> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const hit = statusTexts(node).find((t) => re.test(t));
    if (hit !== undefined) return hit;
    if (Date.now() > until) throw new Error(`status never matched ${re}: ${statusTexts(node).join(' | ')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Points node-red-node-test-helper at a fresh user directory for the enclosing describe. The helper is
 * one object for the whole mocha run: an init at module level would be overwritten by the next file's.
 */
export function useTestRuntime(name: string): string {
  const userDir = tempDir(name);
  before(() => helper.init(require.resolve('node-red'), { userDir, uiPort: 0, uiHost: '127.0.0.1' }));
  return userDir;
}

/**
 * Sends `msg` to `node`; resolves with the first message `out` (a helper node wired to its output) receives,
 * or with the error the node reported for it (node.error / done(err)), whichever comes first.
 */
export function outputOrError(node: Node, out: Node, msg: Record<string, unknown>): Promise<{ msg?: Record<string, unknown>; error?: string }> {
  const errors = node as unknown as EventEmitter;
  return new Promise((resolve) => {
    const onOut = (m: Record<string, unknown>): void => {
      cleanup();
      resolve({ msg: m });
    };
    const onError = (call: { args: unknown[] }): void => {
      cleanup();
      resolve({ error: String(call.args[0]) });
    };
    const cleanup = (): void => {
      out.removeListener('input', onOut);
      errors.removeListener('call:error', onError);
    };
    out.on('input', onOut);
    errors.on('call:error', onError);
    node.receive(msg);
  });
}
