/**
 * The fuzz corpus: malformed messages for every node type with an input. Plain JavaScript without
 * require, because it runs twice: inside the hub's fuzzer function node (its code is this file plus a
 * call, so getters that throw, Proxies and Buffers are made in the runtime under test, not cloned
 * from the test), and in mocha, which lists the case ids (for the known-crash list).
 *
 * `fuzzCases(target, group, tags, seed)` returns `[{ id, make }]`; `make()` builds a fresh message.
 * Deterministic: the random group draws from a seeded generator (mulberry32).
 */
'use strict';

/** Groups of cases, sent one batch at a time (a crash is reported with its batch). */
const FUZZ_GROUPS = ['values', 'topics', 'messages', 'random'];

/** A 10 MB text and Buffer, made once per runtime (the nodes must not copy them into logs or stores). */
let big;
function bigValues() {
  big = big || { text: 'x'.repeat(10 * 1024 * 1024), buffer: Buffer.alloc(10 * 1024 * 1024, 0x41) };
  return big;
}

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function throwing(what) {
  return () => {
    throw new Error(`fuzz: the getter of ${what} throws`);
  };
}

/** `base` (plain values) with enumerable properties `keys` that throw when read. */
function getterObject(keys, base) {
  const o = Object.assign({}, base);
  for (const key of keys) Object.defineProperty(o, key, { get: throwing(key), enumerable: true, configurable: true });
  return o;
}

function nested(depth, array) {
  let v = array ? [] : {};
  for (let i = 0; i < depth; i++) v = array ? [v] : { a: v };
  return v;
}

function manyKeys(n) {
  const o = {};
  for (let i = 0; i < n; i++) o[`k${i}`] = i;
  return o;
}

/** Values of every kind a flow can make, each a name and a maker (fresh per use). */
function fuzzValues(tags) {
  const b = bigValues();
  const circular = () => {
    const o = { name: 'loop' };
    o.self = o;
    return o;
  };
  const hostile = () =>
    new Proxy(
      {},
      {
        get: throwing('any property of a Proxy'),
        has: throwing('in'),
        ownKeys: throwing('the keys of a Proxy'),
        getOwnPropertyDescriptor: throwing('a descriptor'),
        getPrototypeOf: throwing('the prototype'),
      },
    );
  const byTag = (v) => () => ({ [tags.readOnly]: v(), [tags.readWrite]: v(), [tags.unknown]: v() });
  return [
    ['undefined', () => undefined],
    ['null', () => null],
    ['true', () => true],
    ['zero', () => 0],
    ['minus-one', () => -1],
    ['NaN', () => NaN],
    ['Infinity', () => Infinity],
    ['-Infinity', () => -Infinity],
    ['max-double', () => Number.MAX_VALUE],
    ['unsafe-integer', () => 2 ** 53 + 1],
    ['bigint', () => 10n ** 30n],
    ['empty-text', () => ''],
    ['text-NaN', () => 'NaN'],
    ['text-number', () => '12'],
    ['text-address', () => 'hr:1'],
    ['lone-surrogate', () => '\u0000\ud800\u202e'],
    ['text-10MB', () => b.text],
    ['buffer', () => Buffer.from([1, 2, 3, 4])],
    ['buffer-10MB', () => b.buffer],
    ['typed-array', () => new Float64Array([1, NaN])],
    ['empty-object', () => ({})],
    ['empty-array', () => []],
    ['array', () => [1, 'two', null, { three: 3 }]],
    ['array-100k', () => new Array(100000).fill(7)],
    ['object-100k-keys', () => manyKeys(100000)],
    ['nested-10k', () => nested(10000, false)],
    ['nested-array-10k', () => nested(10000, true)],
    ['circular', circular],
    ['proto-key', () => JSON.parse('{"__proto__": {"polluted": true}, "value": 1}')],
    ['constructor-key', () => ({ constructor: { prototype: { polluted: true } }, prototype: 1 })],
    ['getter-value', () => getterObject(['value'], { kind: 'confirmation' })],
    ['getter-common-fields', () => getterObject(['kind', 'stopId', 'order', 'reason', 'product', 'key'], {})],
    ['hostile-proxy', hostile],
    ['function', () => () => 1],
    ['symbol', () => Symbol('fuzz')],
    ['invalid-date', () => new Date(NaN)],
    ['date', () => new Date(0)],
    ['regexp', () => /x+/g],
    ['map', () => new Map([[1, 2]])],
    ['error', () => new Error('an Error as a value')],
    ['tags-text-10MB', byTag(() => b.text)],
    ['tags-NaN', byTag(() => NaN)],
    ['tags-getter', () => getterObject([tags.readWrite, tags.readOnly], {})],
    ['tags-nested', byTag(() => nested(1000, false))],
    ['record-like', () => ({ kind: 'confirmation', order: {}, yield: NaN, start: 'yesterday', end: Infinity, key: 'x'.repeat(5000), stopId: [], reason: {} })],
  ];
}

function fuzzTopics(tags) {
  const b = bigValues();
  return [
    ['none', () => undefined],
    ['object', () => ({ name: tags.readWrite })],
    ['array', () => [tags.readWrite]],
    ['number', () => 42],
    ['null', () => null],
    ['empty', () => ''],
    ['read-only-tag', () => tags.readOnly],
    ['read-write-tag', () => tags.readWrite],
    ['unknown-tag', () => tags.unknown],
    ['opcua-read-only-tag', () => tags.opcuaReadOnly],
    ['opcua-read-write-tag', () => tags.opcuaReadWrite],
    ['oee-state-tag', () => tags.oeeState],
    ['oee-count-tag', () => tags.oeeCount],
    ['text-10MB', () => b.text],
    ['__proto__', () => '__proto__'],
    ['constructor', () => 'constructor'],
    ['toString', () => 'toString'],
    ['assign-reason', () => 'assign-reason'],
    ['tick', () => 'tick'],
    ['report', () => 'report'],
    ['alive', () => 'alive'],
    ['node-id', () => 'ns=1;s=Int32'],
    ['bad-node-id', () => 'ns=99;x=%%%'],
    ['modbus-address', () => 'hr:65535'],
  ];
}

/** Properties other nodes read besides topic and payload. */
const EXTRA_KEYS = ['nodeId', 'timestamp', 'quality', 'action', 'readings', 'errors', 'key', 'kind', 'record', 'erp', 'tag', 'address', 'value', 'dataType', 'unitId'];

function fuzzCases(target, group, tags, seed) {
  const values = fuzzValues(tags);
  const topics = fuzzTopics(tags);
  const cases = [];
  const add = (id, make) => cases.push({ id: `${target}/${group}/${id}`, make });
  if (group === 'values') {
    for (const [name, v] of values) {
      add(`payload=${name}`, () => ({ payload: v() }));
      add(`read-write-tag,payload=${name}`, () => ({ topic: tags.readWrite, payload: v() }));
    }
  } else if (group === 'topics') {
    for (const [name, t] of topics) {
      add(`topic=${name}`, () => ({ topic: t(), payload: 1 }));
      add(`topic=${name},payload=empty-object`, () => ({ topic: t(), payload: {} }));
    }
  } else if (group === 'messages') {
    for (const key of ['payload', 'topic', 'nodeId', 'timestamp', 'quality']) {
      add(`getter-msg.${key}`, () => getterObject([key], key === 'topic' ? { payload: 1 } : key === 'payload' ? { topic: tags.readWrite } : { topic: tags.readWrite, payload: 1 }));
    }
    add('proto-key-msg', () => JSON.parse(`{"__proto__": {"payload": 1, "topic": ${JSON.stringify(tags.readWrite)}}, "constructor": 1}`));
    add('empty-msg', () => ({}));
    for (const [name, v] of values) {
      for (const key of ['nodeId', 'timestamp', 'action', 'query', 'user']) add(`${key}=${name}`, () => ({ topic: tags.readWrite, payload: 1, [key]: v() }));
    }
    add('unsubscribe-everything', () => ({ action: 'unsubscribe' }));
    add('assign-reason-bad', () => ({ topic: 'assign-reason', payload: { stopId: bigValues().text, reason: nested(5000, false) } }));
    add('tick-far-future', () => ({ topic: 'tick', timestamp: 8.64e15 }));
  } else if (group === 'random') {
    const random = mulberry32(seed);
    const pick = (list) => list[Math.floor(random() * list.length)];
    for (let i = 0; i < 40; i++) {
      const [tn, t] = pick(topics);
      const [pn, p] = pick(values);
      const key = pick(EXTRA_KEYS);
      const [vn, v] = pick(values);
      add(`${i}:topic=${tn},payload=${pn},${key}=${vn}`, () => ({ topic: t(), payload: p(), [key]: v() }));
    }
  }
  return cases;
}

if (typeof module !== 'undefined') module.exports = { FUZZ_GROUPS, fuzzCases };
