/**
 * Flow building blocks and waits for the OPC UA node tests (node-red-node-test-helper runtime).
 */
import type { EventEmitter } from 'node:events';
import helper from 'node-red-node-test-helper';
import type { Node } from 'node-red';
import endpointNode from '../../nodes/opcua/opcua-endpoint';
import readNode from '../../nodes/opcua/opcua-read';
import subscribeNode from '../../nodes/opcua/opcua-subscribe';
import writeNode from '../../nodes/opcua/opcua-write';
import tagMapNode from '../../nodes/tags/tag-map';
import type { TagRow } from '../../nodes/tags/tag';
import { seedClientPki } from './opcua-pki';
import { tempDir } from './hub-process';

export const OPCUA_NODES = [endpointNode, tagMapNode, readNode, subscribeNode, writeNode];

export type FlowNode = Record<string, unknown> & { id: string; type: string };
export type Msg = Record<string, unknown>;

/** A user directory with the hub's client certificate already made (the slow part of a first connection). */
export async function opcuaUserDir(name: string): Promise<string> {
  const dir = tempDir(name);
  await seedClientPki(dir);
  return dir;
}

/**
 * Points the test runtime at `userDir` for this file's tests and restores the previous settings after,
 * so test files loaded later keep theirs.
 */
export function useRuntimeSettings(userDir: () => string): void {
  let previous: ReturnType<typeof helper.settings> | undefined;
  before(() => {
    previous = currentSettings();
    helper.settings({ userDir: userDir(), uiPort: 0, uiHost: '127.0.0.1' });
  });
  after(() => {
    if (previous) helper.settings(previous);
  });
}

/**
 * Each test of the file its own user directory (with the hub's client certificate), so trust decisions never
 * leak from one test to another; the runtime's settings restored after the file, its flows unloaded after each
 * test. Returns the current test's directory.
 */
export function useFreshOpcuaUserDir(name: string): () => string {
  let userDir = '';
  let previous: ReturnType<typeof helper.settings> | undefined;
  before(() => {
    previous = currentSettings();
  });
  after(() => {
    if (previous) helper.settings(previous);
  });
  beforeEach(async () => {
    userDir = await opcuaUserDir(name);
    helper.settings({ userDir, uiPort: 0, uiHost: '127.0.0.1' });
  });
  afterEach(async () => {
    await helper.unload();
  });
  return () => userDir;
}

/** The test runtime's settings as they are (helper.settings with an argument would reset them). */
export function currentSettings(): ReturnType<typeof helper.settings> {
  return (helper.settings as (s?: unknown) => ReturnType<typeof helper.settings>).call(helper);
}

export function endpoint(id: string, url: string, extra: Record<string, unknown> = {}): FlowNode {
  return { id, type: 'fh-opcua-endpoint', name: '', endpointUrl: url, securityMode: 'None', securityPolicy: 'None', authentication: 'anonymous', reconnectMax: 2, ...extra };
}

export function tagMap(id: string, rows: TagRow[]): FlowNode {
  // Not named like its id: Node-RED counts any property equal to a config node id as a reference to it.
  return { id, type: 'fh-tag-map', name: `${id} tags`, rows };
}

export const ROWS: TagRow[] = [
  { name: 'plant/line1/filler/count', address: 'ns=1;s=Counter', dataType: 'int32' },
  { name: 'plant/line1/filler/speed', address: 'ns=1;s=Double', dataType: 'float64', access: 'read-write', unit: 'ppm' },
  { name: 'plant/line1/filler/target', address: 'ns=1;s=Int32', dataType: 'int32', access: 'read-write' },
  { name: 'plant/line1/filler/temperature', address: 'ns=1;s=Float', dataType: 'float32', gain: '0.5', offset: '10', access: 'read-write', unit: '°C' },
  { name: 'plant/line1/filler/fixed', address: 'ns=1;s=Fixed', dataType: 'float64' },
  { name: 'plant/line1/filler/limit', address: 'ns=1;s=ReadOnly', dataType: 'float64' },
  { name: 'plant/line1/filler/recipe', address: 'nsu=urn:factoryhub:test-server;s=String', dataType: 'string', access: 'read-write' },
];

export async function waitFor(check: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Collects every message a helper node receives. */
export function collect(node: Node): Msg[] {
  const msgs: Msg[] = [];
  node.on('input', (m: Msg) => msgs.push(m));
  return msgs;
}

/** The first message (from now) that passes `match`. */
export function nextMessage(node: Node, match: (m: Msg) => boolean = () => true, timeoutMs = 5000): Promise<Msg> {
  return new Promise((resolve, reject) => {
    const onInput = (m: Msg): void => {
      if (!match(m)) return;
      clearTimeout(timer);
      node.removeListener('input', onInput);
      resolve(m);
    };
    const timer = setTimeout(() => {
      node.removeListener('input', onInput);
      reject(new Error('no matching message in time'));
    }, timeoutMs);
    node.on('input', onInput);
  });
}

/** Sends a message into `node`; resolves with its output message or the error given to done(). */
export function exchange(node: Node, out: Node, msg: Msg, timeoutMs = 10000): Promise<{ msg?: Msg; error?: string }> {
  return new Promise((resolve) => {
    const cleanup = (): void => {
      clearTimeout(timer);
      out.removeListener('input', onOut);
      (node as unknown as EventEmitter).removeListener('call:error', onError);
    };
    const onOut = (m: Msg): void => {
      cleanup();
      resolve({ msg: m });
    };
    const onError = (call: { args: unknown[] }): void => {
      cleanup();
      resolve({ error: String(call.args[0]) });
    };
    const timer = setTimeout(() => {
      cleanup();
      resolve({ error: 'timeout: no output and no error' });
    }, timeoutMs);
    out.on('input', onOut);
    (node as unknown as EventEmitter).on('call:error', onError);
    node.receive(msg);
  });
}

/** Resolves with the next `count` values of good quality `out` receives from now on. */
export function goodValues(out: Node, count: number, timeoutMs: number, what: string): Promise<Msg[]> {
  const got: Msg[] = [];
  const listener = (m: Msg): void => {
    if (m.quality === 'good') got.push(m);
  };
  out.on('input', listener);
  return waitFor(() => got.length >= count, timeoutMs, what)
    .then(() => got)
    .finally(() => out.removeListener('input', listener));
}

export { statusesOf, lastStatus as statusOf } from './node-red';
import { statusesOf } from './node-red';

/** Resolves with the first status text of `node` (shown from `from` on) that matches `re`. */
export async function statusShown(node: Node, re: RegExp, timeoutMs: number, from = 0): Promise<string> {
  let hit: string | undefined;
  await waitFor(
    () => (hit = statusesOf(node).slice(from).map((st) => st.text ?? '').find((t) => re.test(t))) !== undefined,
    timeoutMs,
    `status of ${node.id} matching ${re}`,
  ).catch((err: Error) => {
    throw new Error(`${err.message}: ${statusesOf(node).map((st) => st.text).join(' | ')}`);
  });
  return hit ?? '';
}

