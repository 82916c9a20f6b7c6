/**
 * The pure OPC UA core: value conversion for writes (precise refusals), DataValue -> message values
 * (quality, 64-bit, arrays, scaling), endpoint settings, and what a message asks for.
 */
import assert from 'node:assert/strict';
import { DataType, DataValue, StatusCodes, Variant, VariantArrayType } from 'node-opcua-client';
import type { VariableInfo } from '../../nodes/opcua/convert';
import { ConversionError, toVariant, unscale } from '../../nodes/opcua/convert';
import { checkEndpointSettings, sessionKey } from '../../nodes/opcua/endpoint-settings';
import { checkNodeId, resolveNodeId } from '../../nodes/opcua/node-id';
import { TagIndex, requestedTargets, requestedWrites } from '../../nodes/opcua/targets';
import { jsValue, qualityOf, readingOf } from '../../nodes/opcua/value';
import { validateRows } from '../../nodes/tags/validate';

const scalar = (dataType: DataType, name = ''): VariableInfo => ({ nodeId: 'ns=1;s=X', dataType, dataTypeName: name || DataType[dataType], valueRank: -1, arrayDimensions: [] });
const array = (dataType: DataType, max = 0): VariableInfo => ({ ...scalar(dataType), valueRank: 1, arrayDimensions: [max] });

function refuses(value: unknown, info: VariableInfo, re: RegExp): void {
  assert.throws(() => toVariant(value, info, 'ns=1;s=X'), (e: Error) => e instanceof ConversionError && re.test(e.message), `expected ${re}`);
}

describe('opcua/convert: JS value -> Variant of the variable type', () => {
  it('converts scalars of every supported type', () => {
    assert.equal(toVariant(12, scalar(DataType.Int32), 'x').value, 12);
    assert.equal(toVariant(1, scalar(DataType.Boolean), 'x').value, true);
    assert.equal(toVariant(2.5, scalar(DataType.Float), 'x').dataType, DataType.Float);
    assert.equal((toVariant('a', scalar(DataType.LocalizedText), 'x').value as { text: string }).text, 'a');
    assert.deepEqual(toVariant(-2, scalar(DataType.Int64), 'x').value, [0xffffffff, 0xfffffffe]);
    assert.deepEqual(toVariant('18446744073709551615', scalar(DataType.UInt64), 'x').value, [0xffffffff, 0xffffffff]);
    assert.equal((toVariant('2024-05-01T00:00:00Z', scalar(DataType.DateTime), 'x').value as Date).getTime(), Date.UTC(2024, 4, 1));
    assert.equal(toVariant(5, scalar(DataType.Double, 'Duration'), 'x').dataType, DataType.Double);
  });

  it('converts arrays into typed arrays, element by element', () => {
    const v = toVariant([1, 2, 3], array(DataType.Int32), 'x');
    assert.equal(v.arrayType, VariantArrayType.Array);
    assert.ok(v.value instanceof Int32Array);
    assert.deepEqual(Array.from(v.value), [1, 2, 3]);
  });

  it('refuses with the exact reason and names the target', () => {
    refuses('12', scalar(DataType.Int32), /ns=1;s=X is a scalar Int32: expected a number, got string '12'/);
    refuses([1, 2], scalar(DataType.Int32), /is a scalar Int32: expected a single value, got an array of 2/);
    refuses(3, array(DataType.Double), /is an array of Double: expected an array, got number 3/);
    refuses(2147483648, scalar(DataType.Int32), /2147483648 is out of range -2147483648\.\.2147483647/);
    refuses(-1, scalar(DataType.UInt16), /-1 is out of range 0\.\.65535/);
    refuses(1.5, scalar(DataType.Int16), /expected a whole number, got 1\.5/);
    refuses(NaN, scalar(DataType.Double), /NaN is not a value that can be written/);
    refuses(Infinity, scalar(DataType.Float), /Infinity is not a finite number/);
    refuses(1e39, scalar(DataType.Float), /out of range ±3\.4028/);
    refuses('yes', scalar(DataType.Boolean), /expected true, false, 0 or 1, got string 'yes'/);
    refuses(5, scalar(DataType.String), /expected a string, got number 5/);
    refuses([1, 'x'], array(DataType.Int32), /element 1: expected a number, got string 'x'/);
    refuses([1, 2, 3], array(DataType.Int32, 2), /the array has 3 elements, at most 2 fit/);
    refuses(2 ** 60, scalar(DataType.Int64), /beyond 2\^53/);
    refuses({ a: 1 }, scalar(DataType.ExtensionObject), /writing ExtensionObject values is not supported/);
    refuses(undefined, scalar(DataType.Double), /got undefined \(no payload\)/);
  });

  it('reverses tag scaling, rounding for whole-number types', () => {
    const scaling = { gain: 0.1, offset: 0 };
    assert.equal(unscale(21.56, scaling, scalar(DataType.Int16)), 216);
    assert.equal(unscale(21.5, { gain: 0.5, offset: 10 }, scalar(DataType.Float)), 23);
    assert.deepEqual(unscale([1, 2], { gain: 2, offset: 0 }, array(DataType.Double)), [0.5, 1]);
    assert.equal(unscale('x', scaling, scalar(DataType.Int16)), 'x', 'non-numbers are left for toVariant to refuse');
  });

  it('rounds negative halves away from zero for every integer type, as Modbus writes do', () => {
    const half = { gain: 0.5, offset: 0 };
    for (const type of [DataType.SByte, DataType.Int16, DataType.Int32, DataType.Int64]) {
      const name = DataType[type];
      assert.equal(unscale(-1.25, half, scalar(type)), -3, `${name}: -2.5 -> -3`);
      assert.equal(unscale(-0.75, half, scalar(type)), -2, `${name}: -1.5 -> -2`);
      assert.equal(unscale(-0.25, half, scalar(type)), -1, `${name}: -0.5 -> -1`);
      assert.ok(Object.is(unscale(-0.2, half, scalar(type)), 0), `${name}: -0.4 -> 0, not -0`);
      assert.equal(unscale(-0.25, { gain: 0.1, offset: 0 }, scalar(type)), -3, `${name}: -2.5 (float noise) -> -3`);
      assert.equal(unscale(-0.35, { gain: 0.1, offset: 0 }, scalar(type)), -4, `${name}: -3.4999999999999996 is -3.5 -> -4`);
      assert.deepEqual(unscale([-1.25, 1.25], half, array(type)), [-3, 3], `${name} arrays`);
    }
    // Unsigned: a negative engineering value over a negative offset is a positive raw half; a negative
    // raw half rounds away from zero and is refused out of range, never written as 0.
    for (const type of [DataType.Byte, DataType.UInt16, DataType.UInt32, DataType.UInt64]) {
      const name = DataType[type];
      assert.equal(unscale(-7.5, { gain: 1, offset: -10 }, scalar(type)), 3, `${name}: raw 2.5 -> 3`);
      assert.equal(unscale(-0.25, half, scalar(type)), -1, `${name}: raw -0.5 -> -1`);
      refuses(unscale(-0.25, half, scalar(type)), scalar(type), /-1 is out of range 0\.\./);
    }
    assert.deepEqual(toVariant(unscale(-1.25, half, scalar(DataType.Int64)), scalar(DataType.Int64), 'x').value, [0xffffffff, 0xfffffffd], 'Int64 -3 on the wire');
    assert.equal(toVariant(unscale(-1.25, half, scalar(DataType.Int16)), scalar(DataType.Int16), 'x').value, -3);
  });
});

describe('opcua/value: DataValue -> message value', () => {
  it('maps status codes to quality', () => {
    assert.equal(qualityOf(StatusCodes.Good), 'good');
    assert.equal(qualityOf(StatusCodes.UncertainLastUsableValue), 'uncertain');
    assert.equal(qualityOf(StatusCodes.BadNodeIdUnknown), 'bad');
    assert.equal(qualityOf(StatusCodes.BadCommunicationError), 'bad');
  });

  it('gives plain JS values: arrays, 64-bit, texts', () => {
    assert.deepEqual(jsValue(new Variant({ dataType: DataType.Double, arrayType: VariantArrayType.Array, value: new Float64Array([1, 2]) })), [1, 2]);
    const scalarOf = (dataType: DataType, value: unknown): Variant => new Variant({ dataType, arrayType: VariantArrayType.Scalar, value });
    assert.equal(jsValue(scalarOf(DataType.Int64, [0xffffffff, 0xfffffffe])), -2);
    assert.equal(jsValue(scalarOf(DataType.UInt64, [0xffffffff, 0xffffffff])), 18446744073709551615n);
    assert.equal(jsValue(new Variant({ dataType: DataType.LocalizedText, value: { text: 'Running' } })), 'Running');
    assert.equal(jsValue(null), null);
  });

  it('takes the source timestamp, and scales numbers', () => {
    const dv = new DataValue({ value: new Variant({ dataType: DataType.Double, value: 10 }), sourceTimestamp: new Date(1000), serverTimestamp: new Date(2000) });
    const r = readingOf(dv, 3000, { dataType: 'float64', scaling: { gain: 0.5, offset: 1 } });
    assert.equal(r.value, 6);
    assert.equal(r.timestamp, 1000);
    assert.equal(r.serverTimestamp, 2000);
    assert.equal(readingOf(new DataValue({ value: new Variant({ dataType: DataType.Double, value: 1 }) }), 3000).timestamp, 3000, 'no timestamps: receive time');
  });

  it("rounds to the tag's precision: float32 to 7 digits, declared decimals, decimals of the gain", () => {
    const float = (value: number): DataValue => new DataValue({ value: new Variant({ dataType: DataType.Float, value }) });
    const f32 = Math.fround(100.67);
    assert.equal(readingOf(float(f32), 0).value, f32, 'no tag: the value as the server sent it');
    assert.equal(readingOf(float(f32), 0, { dataType: 'float32' }).value, 100.67);
    assert.equal(readingOf(float(f32), 0, { dataType: 'float32', decimals: 1 }).value, 100.7);
    assert.equal(readingOf(float(123), 0, { dataType: 'int16', scaling: { gain: 0.1, offset: 0 } }).value, 12.3);
  });
});

describe('opcua/endpoint-settings and NodeIds', () => {
  it('accepts consistent settings and refuses the rest with a reason', () => {
    const s = checkEndpointSettings({ url: 'opc.tcp://plc:4840', securityMode: 'SignAndEncrypt', securityPolicy: 'Aes256_Sha256_RsaPss', authentication: 'username', user: 'op', password: 'x' });
    assert.equal(s.identity.kind, 'username');
    assert.throws(() => checkEndpointSettings({ url: 'http://plc' }), /is not opc\.tcp:\/\/host/);
    assert.throws(() => checkEndpointSettings({ url: 'opc.tcp://plc', securityMode: 'Sign', securityPolicy: 'None' }), /needs a policy/);
    assert.throws(() => checkEndpointSettings({ url: 'opc.tcp://plc', securityMode: 'None', securityPolicy: 'Basic256Sha256' }), /goes with policy None/);
    assert.throws(() => checkEndpointSettings({ url: 'opc.tcp://plc', authentication: 'username' }), /user name is not set/);
    assert.throws(() => checkEndpointSettings({ url: 'opc.tcp://plc', authentication: 'certificate', userCertificate: '/nope.pem' }), /cannot read "\/nope\.pem"/);
  });

  it('shares sessions by endpoint and user, hashing secrets', () => {
    const a = checkEndpointSettings({ url: 'opc.tcp://plc:4840', authentication: 'username', user: 'op', password: 'Secret-1' });
    const b = checkEndpointSettings({ url: 'opc.tcp://plc:4840', authentication: 'username', user: 'op', password: 'Secret-2' });
    assert.notEqual(sessionKey(a, '/pki'), sessionKey(b, '/pki'));
    assert.equal(sessionKey(a, '/pki'), sessionKey({ ...a }, '/pki'));
    assert.ok(!sessionKey(a, '/pki').includes('Secret'), 'no password in the key');
  });

  it('checks NodeId texts and resolves namespace URIs', () => {
    assert.equal(checkNodeId(' ns=2;s=Line1.Speed '), 'ns=2;s=Line1.Speed');
    assert.throws(() => checkNodeId('ns=x;s=1'), /malformed NodeId 'ns=x;s=1': namespace must be a number/);
    assert.throws(() => checkNodeId('Line1.Speed'), /identifier must start with i=, s=, g= or b=/);
    assert.equal(resolveNodeId('nsu=urn:a;s=X', ['http://opcfoundation.org/UA/', 'urn:a']).toString(), 'ns=1;s=X');
    assert.throws(() => resolveNodeId('nsu=urn:b;s=X', ['urn:x']), /BadNodeIdUnknown: the server has no namespace urn:b/);
  });
});

describe('opcua/targets: what a message asks for', () => {
  const { tags } = validateRows([
    { name: 'plant/l1/m/speed', address: 'ns=1;s=Speed', dataType: 'float64', access: 'read-write' },
    { name: 'plant/l1/m/count', address: 'ns=1;s=Count', dataType: 'uint32' },
    { name: 'plant/l1/m/hr', address: 'hr:1', dataType: 'uint16' },
  ]);
  const index = new TagIndex(tags);

  it('reads every OPC UA tag, one by name, or NodeIds', () => {
    assert.equal(index.size, 2, 'Modbus tags are left out');
    assert.deepEqual(requestedTargets({}, index).map((t) => t.name), ['plant/l1/m/speed', 'plant/l1/m/count']);
    assert.equal(requestedTargets({ topic: 'plant/l1/m/count' }, index)[0].nodeId, 'ns=1;s=Count');
    assert.equal(requestedTargets({ nodeId: ['ns=1;s=Speed'] }, index)[0].name, 'plant/l1/m/speed', 'a NodeId of a tag gets its name');
    assert.throws(() => requestedTargets({ topic: 'plant/l1/m/nope' }, index), /unknown tag "plant\/l1\/m\/nope"/);
    assert.throws(() => requestedTargets({ nodeId: 'ns=1;x=1' }, index), /malformed NodeId/);
    assert.throws(() => requestedTargets({}, undefined), /nothing to read/);
  });

  it('writes only read-write tags of the map, or NodeIds without a map', () => {
    const [ok] = requestedWrites({ topic: 'plant/l1/m/speed', payload: 1 }, index);
    assert.equal(ok.target?.nodeId, 'ns=1;s=Speed');
    assert.match(requestedWrites({ topic: 'plant/l1/m/count', payload: 1 }, index)[0].refusal ?? '', /read-only in the tag map/);
    assert.match(requestedWrites({ nodeId: 'ns=1;s=Other', payload: 1 }, index)[0].refusal ?? '', /not a tag of the tag map/);
    assert.equal(requestedWrites({ nodeId: 'ns=1;s=Other', payload: 1 }, undefined)[0].target?.nodeId, 'ns=1;s=Other');
    assert.match(requestedWrites({ topic: 'plant/l1/m/speed', payload: 1 }, undefined)[0].refusal ?? '', /is not a NodeId/);
    assert.equal(requestedWrites({ payload: { 'plant/l1/m/speed': 2, 'ns=1;s=Speed': 3 } }, index).length, 2);
    assert.throws(() => requestedWrites({ payload: 5 }, index), /nothing to write/);
  });
});
