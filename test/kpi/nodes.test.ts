/**
 * fh-kpi-store, fh-kpi-write and fh-kpi-query in a real Node-RED runtime: fh-oee messages written through
 * the queue into SQLite and PostgreSQL, queried as rows and as CSV; state events taken and not kept; bad
 * input and bad queries refused through done(err) with the node's status saying why; a store whose
 * settings are wrong named in each node's status; who named a reason (msg.user) kept with the stop.
 */
import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import helper from 'node-red-node-test-helper';
import type { TestFlows } from 'node-red-node-test-helper';
import type { Node } from 'node-red';
import storeNode from '../../nodes/kpi/kpi-store';
import type { KpiStoreNode } from '../../nodes/kpi/kpi-store';
import writeNode from '../../nodes/kpi/kpi-write';
import queryNode from '../../nodes/kpi/kpi-query';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const completeNode = require('@node-red/nodes/core/common/24-complete.js') as typeof storeNode;
import { statusMatching, useTestRuntime, outputOrError } from '../support/node-red';
import { until } from '../erp/support/harness';
import { BERLIN, HOUR, JAM, MIN, shiftEnd, stopEvent } from './fixtures';
import { PG_SERVER, admin, createDatabase } from './backends';

const M = 'acme/pack/line1/filler';
const T0 = Date.UTC(2026, 10, 2, 5);
const SHIFT = { id: '2026-11-02/Early', start: T0, end: T0 + 8 * HOUR };

type Msg = Record<string, unknown>;

function flow(store: Record<string, unknown>, query: Record<string, unknown> = {}): TestFlows {
  return [
    { id: 'tab', type: 'tab' },
    { id: 'store', type: 'fh-kpi-store', name: 'line store', timeZone: BERLIN, ...store },
    { id: 'write', type: 'fh-kpi-write', z: 'tab', store: 'store', samples: true },
    { id: 'query', type: 'fh-kpi-query', z: 'tab', store: 'store', query: '{"type": "oee", "by": "machine", "period": "day"}', format: 'json', wires: [['out']], ...query },
    { id: 'out', type: 'helper', z: 'tab' },
    // Node-RED's complete node: a message when fh-kpi-write calls done() (records on the local disk).
    { id: 'watch', type: 'complete', z: 'tab', scope: ['write'], uncaught: false, wires: [['completed']] },
    { id: 'completed', type: 'helper', z: 'tab' },
  ] as TestFlows;
}

/** Sends msg to fh-kpi-write; resolves with the error of done(err), or undefined when done() came. */
function send(node: Node, msg: Msg): Promise<string | undefined> {
  return new Promise((resolve) => {
    const emitter = node as unknown as EventEmitter;
    const completed = helper.getNode('completed');
    const onError = (call: { args: unknown[] }): void => {
      cleanup();
      resolve(String(call.args[0]));
    };
    const onDone = (): void => {
      cleanup();
      resolve(undefined);
    };
    const cleanup = (): void => {
      emitter.removeListener('call:error', onError);
      completed.removeListener('input', onDone);
    };
    emitter.on('call:error', onError);
    completed.on('input', onDone);
    node.receive(msg);
  });
}

const ask = (node: Node, out: Node, msg: Msg): Promise<{ msg?: Msg; error?: string }> => outputOrError(node, out, msg);

const serviceOf = (): NonNullable<Extract<KpiStoreNode['ready'], { service: unknown }>['service']> => {
  const r = (helper.getNode('store') as KpiStoreNode).ready;
  if ('error' in r) throw r.error;
  return r.service;
};

describe('fh-kpi-store, fh-kpi-write and fh-kpi-query in Node-RED', function () {
  this.timeout(30_000);
  const userDir = useTestRuntime('kpi-node');
  const databases: string[] = [];
  afterEach(() => helper.unload());
  after(async () => {
    for (const d of databases) await admin(`DROP DATABASE IF EXISTS ${d} WITH (FORCE)`);
  });

  async function writeAndQuery(store: Record<string, unknown>, creds: Record<string, unknown> = {}): Promise<void> {
    await helper.load([storeNode, writeNode, queryNode, completeNode], flow(store), creds);
    const write = helper.getNode('write');
    assert.equal(await send(write, { payload: shiftEnd(M, SHIFT, { ppt: 7 * HOUR, run: 6 * HOUR, net: 5 * HOUR, total: 1000, good: 900 }) }), undefined);
    assert.equal(await send(write, { payload: stopEvent('stop-end', M, { id: 1, shiftId: SHIFT.id, start: T0 + HOUR, end: T0 + HOUR + 20 * MIN, reason: null }) }), undefined);
    assert.equal(await send(write, { payload: stopEvent('stop-reason', M, { id: 1, shiftId: SHIFT.id, start: T0 + HOUR, end: T0 + HOUR + 20 * MIN, t: T0 + 2 * HOUR, reason: JAM, source: 'operator' }), user: { username: 'operator' } }), undefined);
    assert.equal(await send(write, { payload: { event: 'state', machine: M, t: T0, from: 'idle', to: 'running' } }), undefined);
    assert.equal(await send(write, { topic: `${M}/speed`, payload: 42, timestamp: T0 }), undefined);
    await serviceOf().queue.drained();
    await statusMatching(write, /database ok · [1-9]\d* written/);

    const { msg } = await ask(helper.getNode('query'), helper.getNode('out'), { query: { from: '2026-11-02' } });
    const rows = msg?.payload as Msg[];
    assert.equal(rows.length, 1);
    assert.equal(rows[0].group, M);
    assert.equal(rows[0].oee, (6 / 7) * (5 / 6) * 0.9);
    const pareto = await ask(helper.getNode('query'), helper.getNode('out'), { query: { type: 'pareto', from: '2026-11-02' } });
    assert.deepEqual((pareto.msg?.payload as Msg[]).map((r) => [r.reason, r.durationMs]), [['jam', 20 * MIN]]);
    const who = await serviceOf().store.all('SELECT reason_by FROM kpi_stops');
    assert.deepEqual(who.map((r) => r.reason_by), ['operator']);
  }

  it('writes fh-oee messages into SQLite and answers queries', async () => {
    await writeAndQuery({ backend: 'sqlite', file: 'kpi/line.sqlite' });
    assert.ok(fs.existsSync(path.join(userDir, 'kpi', 'line.sqlite')));
    assert.ok(fs.existsSync(path.join(userDir, 'factoryhub', 'kpi', 'queue-store.sqlite')));
  });

  it('writes fh-oee messages into PostgreSQL and answers queries', async () => {
    const db = await createDatabase();
    databases.push(db);
    await writeAndQuery({ backend: 'postgres', url: `${PG_SERVER}/${db}`, tlsVerify: false }, { store: { password: 'not-needed-with-trust' } });
  });

  it('sends CSV with a BOM and the decimal comma', async () => {
    await helper.load([storeNode, writeNode, queryNode, completeNode], flow({ backend: 'sqlite' }, { format: 'csv', decimal: ',' }));
    await send(helper.getNode('write'), { payload: shiftEnd(M, SHIFT, { ppt: 8 * HOUR, run: 6 * HOUR, net: 6 * HOUR, total: 100, good: 100 }) });
    await serviceOf().queue.drained();
    const { msg } = await ask(helper.getNode('query'), helper.getNode('out'), { query: { from: '2026-11-02' } });
    const csv = String(msg?.payload);
    assert.ok(csv.startsWith('\uFEFFgroup;period;from;'));
    assert.match(csv, new RegExp(`\\r\\n${M};2026-11-02;2026-11-01T23:00:00.000Z;2026-11-02T23:00:00.000Z;1;1;0,75;1;1;0,75;0,25;`));
    assert.equal((msg?.headers as Record<string, string>)['content-type'], 'text/csv; charset=utf-8');
  });

  it('refuses bad input and bad queries with an error that names the cause', async () => {
    await helper.load([storeNode, writeNode, queryNode, completeNode], flow({ backend: 'sqlite' }));
    const write = helper.getNode('write');
    assert.match(String(await send(write, { payload: 'hello' })), /msg.payload must be an fh-oee event or shift-end object, or a tag value/);
    assert.match(String(await send(write, { payload: { event: 'stop-end', machine: M, stopId: 'x' } })), /stop-end of acme\/pack\/line1\/filler: payload.stopId, start and t must be whole numbers/);
    await statusMatching(write, /stopId, start and t must be whole numbers/);
    assert.equal(serviceOf().queue.stats().depth, 0);
    await until(() => serviceOf().queue.stats().schemaVersion !== undefined, 'migrated');
    const bad = await ask(helper.getNode('query'), helper.getNode('out'), { query: { type: 'oee', period: 'year', from: '2026-11-02' } });
    assert.match(String(bad.error), /query.period must be one of shift, day, week, month, range, not "year"/);
    await statusMatching(helper.getNode('query'), /query.period must be one of/);
  });

  it('names a store with wrong settings in the status of its nodes', async () => {
    await helper.load([storeNode, writeNode, queryNode, completeNode], flow({ backend: 'postgres', url: 'postgres://hub:secret@db/kpi', tlsVerify: true }));
    await statusMatching(helper.getNode('write'), /config: database URL holds a password: put it in the password field/);
    await statusMatching(helper.getNode('query'), /config: database URL holds a password/);
  });
});
