import assert from 'node:assert/strict';
import { formatAddress, parseAddress, parseModbusAddress, parseNodeId, parseNodeIdParts, registerCount } from '../../nodes/tags/address';
import type { ParseResult } from '../../nodes/tags/address';
import type { TagAddress } from '../../nodes/tags/tag';

function value<T>(result: ParseResult<T>): T {
  if (!result.ok) assert.fail(`expected success, got: ${result.error}`);
  return result.value;
}

function error<T>(result: ParseResult<T>): string {
  if (result.ok) assert.fail(`expected an error, got ${JSON.stringify(result.value)}`);
  return result.error;
}

describe('tags/address', () => {
  describe('Modbus area:number form', () => {
    it('accepts every area alias, case-insensitively', () => {
      const cases: [string, string][] = [
        ['holding:1', 'holding'],
        ['hr:1', 'holding'],
        ['HR:1', 'holding'],
        ['input:1', 'input'],
        ['ir:1', 'input'],
        ['Coil:1', 'coil'],
        ['co:1', 'coil'],
        ['discrete:1', 'discrete'],
        ['DI:1', 'discrete'],
      ];
      for (const [text, area] of cases) {
        assert.deepEqual(value(parseModbusAddress(text)), { protocol: 'modbus', area, address: 1 }, text);
      }
    });

    it('accepts 0 and 65535, rejects 65536', () => {
      assert.equal(value(parseModbusAddress('hr:0')).address, 0);
      assert.equal(value(parseModbusAddress('hr:65535')).address, 65535);
      assert.equal(error(parseModbusAddress('hr:65536')), 'address 65536 is above 65535');
    });

    it('rejects an unknown area by name', () => {
      assert.match(error(parseAddress('hx:100')), /^unknown Modbus area 'hx'/);
    });

    it('rejects a non-numeric or negative register', () => {
      assert.match(error(parseAddress('hr:abc')), /'abc' is not a register number/);
      assert.match(error(parseAddress('hr:-1')), /'-1' is not a register number/);
      assert.match(error(parseAddress('hr:')), /'' is not a register number/);
    });

    it('reads a bit suffix on holding and input registers', () => {
      assert.deepEqual(value(parseAddress('hr:100.3')), { protocol: 'modbus', area: 'holding', address: 100, bit: 3 });
      assert.deepEqual(value(parseAddress('ir:7.15')), { protocol: 'modbus', area: 'input', address: 7, bit: 15 });
      assert.equal(value(parseModbusAddress('hr:7.0')).bit, 0);
    });

    it('rejects a bit index above 15', () => {
      assert.equal(error(parseAddress('hr:100.16')), 'bit index 16 is above 15');
    });

    it('rejects a bit on coils and discrete inputs, and an empty bit', () => {
      assert.match(error(parseAddress('co:5.1')), /bit index applies only to holding and input registers, not to a coil/);
      assert.match(error(parseAddress('di:5.1')), /not to a discrete input/);
      assert.match(error(parseAddress('hr:5.')), /bit index '' is not a number/);
    });

    it('reads a unit id prefix 0..255', () => {
      assert.deepEqual(value(parseAddress('3:hr:100')), { protocol: 'modbus', area: 'holding', address: 100, unitId: 3 });
      assert.equal(value(parseModbusAddress('0:co:1')).unitId, 0);
      assert.equal(value(parseModbusAddress('255:co:1')).unitId, 255);
      assert.equal(error(parseAddress('256:hr:1')), 'unit id 256 is above 255');
      assert.match(error(parseAddress('x:hr:1')), /unit id 'x' is not a number/);
    });

    it('tolerates spaces around the parts', () => {
      assert.deepEqual(value(parseAddress(' 3 : hr : 100 ')), { protocol: 'modbus', area: 'holding', address: 100, unitId: 3 });
    });

    it('rejects too many parts and a bare number', () => {
      assert.match(error(parseAddress('1:2:hr:3')), /malformed Modbus address/);
      assert.equal(error(parseAddress('100')), "Modbus address '100' needs an area, e.g. hr:100 (or a Modicon number like 40001)");
    });
  });

  describe('Modicon numbers', () => {
    it('reads 5- and 6-digit forms as 1-based registers', () => {
      const cases: [string, TagAddress][] = [
        ['40001', { protocol: 'modbus', area: 'holding', address: 0 }],
        ['400001', { protocol: 'modbus', area: 'holding', address: 0 }],
        ['40101', { protocol: 'modbus', area: 'holding', address: 100 }],
        ['465536', { protocol: 'modbus', area: 'holding', address: 65535 }],
        ['30010', { protocol: 'modbus', area: 'input', address: 9 }],
        ['300010', { protocol: 'modbus', area: 'input', address: 9 }],
        ['10001', { protocol: 'modbus', area: 'discrete', address: 0 }],
        ['000001', { protocol: 'modbus', area: 'coil', address: 0 }],
        ['00001', { protocol: 'modbus', area: 'coil', address: 0 }],
      ];
      for (const [text, expected] of cases) assert.deepEqual(value(parseAddress(text)), expected, text);
    });

    it('reads the bit form and a unit id', () => {
      assert.deepEqual(value(parseAddress('40001.3')), { protocol: 'modbus', area: 'holding', address: 0, bit: 3 });
      assert.deepEqual(value(parseAddress('2:40001')), { protocol: 'modbus', area: 'holding', address: 0, unitId: 2 });
      assert.equal(error(parseAddress('40001.16')), 'bit index 16 is above 15');
      assert.match(error(parseAddress('10001.1')), /not to a discrete input/);
    });

    it('rejects register 0, numbers past 65536 and unknown leading digits', () => {
      assert.match(error(parseAddress('40000')), /Modicon number 40000 is invalid: numbering starts at 1 \(40001 = address 0\)/);
      assert.match(error(parseAddress('400000')), /\(400001 = address 0\)/);
      assert.equal(error(parseAddress('465537')), 'Modicon number 465537 is above 465536');
      assert.match(error(parseAddress('50001')), /first digit must be 0 \(coil\), 1 \(discrete\), 3 \(input\) or 4 \(holding\)/);
      assert.match(error(parseAddress('4000001')), /needs an area/);
    });
  });

  describe('formatAddress', () => {
    it('writes the canonical short form', () => {
      const cases: [string, string][] = [
        ['holding:100', 'hr:100'],
        ['40101.3', 'hr:100.3'],
        ['3:HOLDING:100', '3:hr:100'],
        ['coil:5', 'co:5'],
        ['10004', 'di:3'],
        ['input:10', 'ir:10'],
        ['ns=2;s=Line1.Count', 'ns=2;s=Line1.Count'],
      ];
      for (const [text, canonical] of cases) assert.equal(formatAddress(value(parseAddress(text))), canonical, text);
    });

    it('is stable: format(parse(format(x))) = format(x)', () => {
      for (const text of ['hr:1', '7:ir:65535.15', 'co:0', '0:di:9']) {
        const once = formatAddress(value(parseAddress(text)));
        assert.equal(formatAddress(value(parseAddress(once))), once);
      }
    });
  });

  describe('OPC UA NodeIds', () => {
    it('accepts every identifier type with and without a namespace', () => {
      for (const text of [
        'ns=2;i=1001',
        'i=85',
        'ns=0;i=4294967295',
        'ns=65535;i=0',
        'ns=2;s=Line1.Filler1.Count',
        's=Plain',
        'ns=3;s="DB_Filler"."count";x=1',
        'ns=2;g=72962b91-fa75-4ae6-8d28-b404dc7daf63',
        'g=72962B91-FA75-4AE6-8D28-B404DC7DAF63',
        'ns=2;b=M/RbKBsRVkePCePcx24oRA==',
        'b=AAE=',
        'nsu=http://example.com/UA/;s=Pump.Speed',
        'nsu=urn:factory:plc;i=5',
      ]) {
        assert.deepEqual(value(parseAddress(text)), { protocol: 'opcua', nodeId: text }, text);
      }
    });

    it('trims the cell', () => {
      assert.deepEqual(value(parseNodeId('  ns=2;i=5 ')), { protocol: 'opcua', nodeId: 'ns=2;i=5' });
    });

    it('splits a NodeId into namespace, kind and identifier', () => {
      assert.deepEqual(value(parseNodeIdParts('ns=2;s=a;b=c')), { namespace: 'ns=2;', kind: 's', identifier: 'a;b=c' });
      assert.deepEqual(value(parseNodeIdParts('i=85')), { namespace: '', kind: 'i', identifier: '85' });
    });

    it('rejects malformed NodeIds with the reason', () => {
      const cases: [string, string][] = [
        ['ns=x;i=3', "malformed NodeId 'ns=x;i=3': namespace must be a number"],
        ['ns=65536;i=3', "malformed NodeId 'ns=65536;i=3': namespace 65536 is above 65535"],
        ['ns=2', "malformed NodeId 'ns=2': expected ns=<namespace>;<i|s|g|b>=<identifier>"],
        ['nsu=;s=x', "malformed NodeId 'nsu=;s=x': namespace URI is empty"],
        ['ns=2;x=1', "malformed NodeId 'ns=2;x=1': identifier must start with i=, s=, g= or b="],
        ['ns=2;i=abc', "malformed NodeId 'ns=2;i=abc': numeric identifier must be an integer 0..4294967295"],
        ['ns=2;i=4294967296', "malformed NodeId 'ns=2;i=4294967296': numeric identifier must be an integer 0..4294967295"],
        ['ns=2;i=-1', "malformed NodeId 'ns=2;i=-1': numeric identifier must be an integer 0..4294967295"],
        ['ns=2;s=', "malformed NodeId 'ns=2;s=': string identifier is empty"],
        ['ns=2;g=1234', "malformed NodeId 'ns=2;g=1234': GUID must look like 72962b91-fa75-4ae6-8d28-b404dc7daf63"],
        ['ns=2;b=AAE', "malformed NodeId 'ns=2;b=AAE': opaque identifier must be non-empty base64"],
        ['ns=2;b=', "malformed NodeId 'ns=2;b=': opaque identifier must be non-empty base64"],
        ['NS=2;i=3', "malformed NodeId 'NS=2;i=3': prefixes are lower case (ns=, nsu=, i=, s=, g=, b=)"],
      ];
      for (const [text, message] of cases) assert.equal(error(parseAddress(text)), message, text);
      assert.match(error(parseAddress(`s=${'x'.repeat(4097)}`)), /longer than 4096 characters/);
    });
  });

  it('registerCount follows the data type', () => {
    assert.equal(registerCount('bool'), 1);
    assert.equal(registerCount('int16'), 1);
    assert.equal(registerCount('uint16'), 1);
    assert.equal(registerCount('float32'), 2);
    assert.equal(registerCount('int32'), 2);
    assert.equal(registerCount('uint64'), 4);
    assert.equal(registerCount('float64'), 4);
    assert.equal(registerCount('string', 1), 1);
    assert.equal(registerCount('string', 2), 1);
    assert.equal(registerCount('string', 3), 2);
    assert.equal(registerCount('string', 246), 123);
  });

  it('an empty cell is an error', () => {
    assert.equal(error(parseAddress('  ')), 'address is empty');
  });
});
