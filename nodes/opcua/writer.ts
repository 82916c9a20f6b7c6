/**
 * Writes by tag or NodeId: every value is converted to its variable's DataType and value rank (asked
 * of the server once per NodeId) before anything is sent; one refusal and nothing at all is written.
 * Then one Write request carries them all. No Node-RED here.
 */
import type { Variant } from 'node-opcua-client';
import { DataType } from 'node-opcua-client';
import { messageOf } from '../shared/errors';
import { toVariant, unscale } from './convert';
import type { EndpointSession } from './session';
import { structureVariant } from './structures';
import type { Target, WriteRequest } from './targets';

export interface WriteReport {
  /** Tag name or NodeId, as asked. */
  readonly tag: string;
  readonly address: string;
  readonly value: unknown;
  /** ok: written; error: sent and failed (or no answer); refused: never sent (as in the audit log). */
  readonly result: 'ok' | 'error' | 'refused';
  /** OPC UA status of the write (`Good`, `BadTypeMismatch`, ...), when the server answered. */
  readonly status?: string;
  readonly error?: string;
}

interface Planned {
  readonly target: Target;
  readonly value: unknown;
  readonly variant: Variant;
}

/** Converts every request; returns the reports of refused ones (empty when all can be sent). */
async function plan(session: EndpointSession, requests: readonly WriteRequest[]): Promise<{ planned: Planned[]; refused: WriteReport[] }> {
  const planned: Planned[] = [];
  const refused: WriteReport[] = [];
  for (const r of requests) {
    const target = r.target;
    if (!target) {
      refused.push({ tag: r.key, address: r.key, value: r.value, result: 'refused', error: r.refusal ?? 'refused' });
      continue;
    }
    try {
      const info = await session.variableInfo(target.nodeId);
      const raw = unscale(r.value, target.tag?.scaling, info);
      const variant = info.dataType === DataType.ExtensionObject ? await structureVariant(session.access().session, raw, info, target.name) : toVariant(raw, info, target.name);
      planned.push({ target, value: r.value, variant });
    } catch (err) {
      refused.push({ tag: target.name, address: target.nodeId, value: r.value, result: 'refused', error: messageOf(err) });
    }
  }
  return { planned, refused };
}

/**
 * All or nothing before sending; after sending each item has the server's own status.
 * Never throws: a failure of the whole request becomes an error report per item.
 */
export async function performWrites(session: EndpointSession, requests: readonly WriteRequest[]): Promise<{ reports: WriteReport[]; sent: boolean }> {
  let planned: Planned[];
  try {
    const p = await plan(session, requests);
    if (p.refused.length > 0) {
      const refusedKeys = new Set(p.refused.map((r) => r.tag));
      const held = p.planned
        .filter((x) => !refusedKeys.has(x.target.name))
        .map((x): WriteReport => ({ tag: x.target.name, address: x.target.nodeId, value: x.value, result: 'refused', error: 'not written: another value of the message was refused' }));
      return { reports: [...p.refused, ...held], sent: false };
    }
    planned = p.planned;
  } catch (err) {
    return { reports: requests.map((r) => ({ tag: r.key, address: r.target?.nodeId ?? r.key, value: r.value, result: 'refused', error: messageOf(err) })), sent: false };
  }
  try {
    const statuses = await session.write(planned.map((p) => ({ nodeId: p.target.nodeId, value: p.variant })));
    const reports = planned.map((p, i): WriteReport => {
      const status = statuses[i];
      return status.isGood()
        ? { tag: p.target.name, address: p.target.nodeId, value: p.value, result: 'ok', status: status.name }
        : { tag: p.target.name, address: p.target.nodeId, value: p.value, result: 'error', status: status.name, error: `the server refused the write: ${status.name}` };
    });
    return { reports, sent: true };
  } catch (err) {
    // The answer is unknown (timeout, link lost): the value may or may not have arrived.
    const error = `no answer to the write: ${messageOf(err)}`;
    return { reports: planned.map((p) => ({ tag: p.target.name, address: p.target.nodeId, value: p.value, result: 'error', error })), sent: true };
  }
}
