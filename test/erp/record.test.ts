/** The common record: validation with precise errors, lanes, and the message-to-record mapping. */
import assert from 'node:assert/strict';
import { RecordError, laneOf, parseRecord } from '../../nodes/erp/record';
import { parseMapping, recordInput } from '../../nodes/erp/input';

function problems(input: unknown, defaultKind?: 'confirmation'): string {
  try {
    parseRecord(input, defaultKind ? { defaultKind } : {});
  } catch (err) {
    assert.ok(err instanceof RecordError);
    return err.message;
  }
  assert.fail('expected a RecordError');
}

describe('ERP record', () => {
  it('accepts a full confirmation and normalises times to ms', () => {
    const r = parseRecord({ kind: 'confirmation', key: 'k1', order: 1000036971, operation: '10', yield: '95', scrap: 5, start: '2024-06-15T06:00:00Z', end: Date.parse('2024-06-15T14:00:00Z'), activities: { setup: 30 } });
    assert.equal(r.order, '1000036971');
    assert.equal(r.yield, 95);
    assert.equal(r.start, Date.parse('2024-06-15T06:00:00Z'));
    assert.equal(laneOf(r), 'order:1000036971');
  });

  it('generates a key when none is given', () => {
    assert.match(parseRecord({ kind: 'confirmation', order: 'A', yield: 1 }).key, /^[0-9a-f-]{36}$/);
  });

  it('names a missing order and a missing quantity', () => {
    assert.equal(problems({ kind: 'confirmation' }), 'record refused: order is missing: a production confirmation needs the production order number; yield is missing: a production confirmation needs the good quantity (0 if only scrap or rework)');
  });

  it('refuses a required quantity given as null or "" (the ERP would book 0)', () => {
    assert.match(problems({ kind: 'confirmation', order: 'A', yield: null }), /yield must be a finite number, not null/);
    assert.match(problems({ kind: 'confirmation', order: 'A', yield: '' }), /yield must be a finite number, not ""/);
    assert.match(problems({ kind: 'confirmation', order: 'A', yield: '  ' }), /yield must be a number, not " {2}"/);
    assert.equal(parseRecord({ kind: 'confirmation', order: 'A', yield: 0 }).yield, 0);
  });

  it('refuses negative quantities, non-numbers, and an end before the start', () => {
    const msg = problems({ order: 'A', yield: -3, scrap: 'lots', start: '2024-06-15T14:00:00Z', end: '2024-06-15T06:00:00Z' }, 'confirmation');
    assert.match(msg, /yield must not be negative \(-3\)/);
    assert.match(msg, /scrap must be a number, not "lots"/);
    assert.match(msg, /end \(2024-06-15T06:00:00.000Z\) is before start \(2024-06-15T14:00:00.000Z\)/);
  });

  it('refuses unknown fields with a hint, zone-less times, bad keys and kinds', () => {
    assert.match(problems({ kind: 'confirmation', order: 'A', qty: 5 }), /unknown field "qty" \(did you mean "yield"\?\)/);
    assert.match(problems({ kind: 'confirmation', order: 'A', yield: 5, start: '2024-06-15T06:00' }), /start "2024-06-15T06:00" has no time zone/);
    assert.match(problems({ kind: 'confirmation', order: 'A', yield: 5, key: 'has space' }), /key "has space" may hold only/);
    assert.match(problems({ kind: 'scrap', order: 'A' }), /kind must be confirmation, downtime or shift-oee, not "scrap"/);
    assert.match(problems('95'), /a record must be an object, not string/);
  });

  it('needs work center, times and reason for a downtime; ratios for shift OEE', () => {
    assert.match(problems({ kind: 'downtime', start: 1 }), /order and workCenter are both missing.*end is missing.*reason is missing/);
    assert.match(problems({ kind: 'shift-oee', workCenter: 'L1', shift: 'A', start: 1, end: 2, oee: { availability: 1.2, performance: 1, quality: 1, oee: 1 } }), /oee.availability must be a ratio from 0 to 1, not 1.2/);
    const d = parseRecord({ kind: 'downtime', workCenter: 'Line-1', start: 0, end: 60_000, reason: 'JAM' });
    assert.equal(laneOf(d), 'wc:Line-1');
  });

  it('maps message properties onto record fields', () => {
    const mapping = parseMapping('order=topic, yield=payload, start=msg.window.start');
    const get = (m: Readonly<Record<string, unknown>>, p: string): unknown => p.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], m);
    const input = recordInput({ topic: 'A-1', payload: 42, window: { start: 5 } }, mapping, get);
    assert.deepEqual(input, { order: 'A-1', yield: 42, start: 5 });
    assert.deepEqual(recordInput({ payload: { order: 'B' }, topic: 'x' }, parseMapping('operation=topic'), get), { order: 'B', operation: 'x' });
    assert.throws(() => parseMapping('quantity=payload'), /"quantity", which is not a record field/);
  });
});
