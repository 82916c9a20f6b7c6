/** Small typed views of what node-red-node-test-helper's spies record on runtime nodes. */
import type { Node } from 'node-red';
import helper from 'node-red-node-test-helper';
import { tempDir } from './hub-process';

interface Spy<A extends unknown[]> {
  readonly args: A[];
}

/** Every status text the node has shown, oldest first. */
export function statusTexts(node: Node): string[] {
  const spy = (node as unknown as { status: Spy<[{ text?: string }]> }).status;
  return spy.args.map((a) => a[0].text ?? '');
}

/** The node's last status. */
export function lastStatus(node: Node): { fill?: string; shape?: string; text?: string } {
  const spy = (node as unknown as { status: Spy<[{ fill?: string; shape?: string; text?: string }]> }).status;
  return spy.args[spy.args.length - 1]?.[0] ?? {};
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
