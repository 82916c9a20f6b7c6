import assert from 'node:assert/strict';
import { MAX_WRITES_PER_MESSAGE, payloadWrites } from '../../nodes/shared/write-payload';

describe('shared write payload: {tag: value} for the Modbus and OPC UA write nodes', () => {
  it('takes a plain object, one made by JSON or with no prototype', () => {
    assert.deepEqual(payloadWrites(JSON.parse('{"a":1,"b":"x"}')), { writes: [['a', 1], ['b', 'x']] });
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { c: true });
    assert.deepEqual(payloadWrites(bare), { writes: [['c', true]] });
  });

  it('refuses what is not a {tag: value} object, naming why', () => {
    for (const p of [Buffer.alloc(10_000_000), new Map([['a', 1]]), new Date(), /x/, [1, 2], 'text', 5, null, undefined]) {
      const r = payloadWrites(p);
      assert.ok('problem' in r && /not an object/.test(r.problem), `accepted ${Object.prototype.toString.call(p)}`);
    }
    assert.deepEqual(payloadWrites({}), { problem: 'msg.payload is an empty object' });
  });

  it('refuses more than the limit of tags in one message, without making the pairs', () => {
    const many = Object.fromEntries(Array.from({ length: MAX_WRITES_PER_MESSAGE + 1 }, (_, i) => [`t${i}`, i]));
    const r = payloadWrites(many);
    assert.ok('problem' in r && /too many writes/.test(r.problem));
    delete many[`t${MAX_WRITES_PER_MESSAGE}`];
    const ok = payloadWrites(many);
    assert.ok('writes' in ok && ok.writes.length === MAX_WRITES_PER_MESSAGE);
  });
});
