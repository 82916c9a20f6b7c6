/**
 * Node-RED requires every node set of the package at start-up, OPC UA nodes in the flows or not, and
 * node-opcua costs a hub about 62 MB and 0.8 s. The four OPC UA registration files must therefore load
 * no node-opcua module: registering them (types, admin routes with their permissions, audit endpoint)
 * leaves require.cache free of it; constructing a node loads it. A fresh process, so that no other test
 * has loaded node-opcua already.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const repoRoot = path.resolve(__dirname, '..', '..');

/** Run in a child: require and register the entry files with a stub RED, then construct one endpoint node. */
const CHILD = `
const { EventEmitter } = require('node:events');
const os = require('node:os');
const opcuaModules = () => Object.keys(require.cache).filter((k) => /[\\\\/]node-opcua[^\\\\/]*[\\\\/]/.test(k)).length;
const types = {};
const routes = [];
const route = (method) => (path, ...handlers) => routes.push([method, path, handlers.length > 1 ? handlers[0].permission : undefined]);
const RED = {
  httpAdmin: { get: route('GET'), post: route('POST'), delete: route('DELETE') },
  auth: { needsPermission: () => () => undefined },
  settings: { userDir: os.tmpdir() },
  log: { warn() {}, info() {} },
  nodes: { registerType: (type, ctor) => { types[type] = ctor; }, createNode() {} },
};
for (const set of ['opcua-endpoint', 'opcua-read', 'opcua-subscribe', 'opcua-write', 'opcua-method']) {
  require('./nodes/opcua/' + set + '.ts').default(RED);
}
const atRegistration = opcuaModules();
const node = Object.assign(new EventEmitter(), { credentials: {} });
types['fh-opcua-endpoint'].call(node, { id: 'ep', type: 'fh-opcua-endpoint', endpointUrl: 'not a url', securityMode: 'None', securityPolicy: 'None', authentication: 'anonymous', reconnectMax: '' });
console.log('REPORT ' + JSON.stringify({ atRegistration, afterConstruction: opcuaModules(), types: Object.keys(types), routes, configProblem: node.configProblem() }));
`;

interface ChildReport {
  atRegistration: number;
  afterConstruction: number;
  types: string[];
  routes: [string, string, string | undefined][];
  configProblem: string | undefined;
}

describe('OPC UA nodes: node-opcua loads only when needed', function () {
  this.timeout(60000);

  it('registering the five node sets loads no node-opcua module; constructing a node does', () => {
    const out = execFileSync(process.execPath, ['-r', require.resolve('tsx/cjs'), '-e', CHILD], { cwd: repoRoot, encoding: 'utf8' });
    // node-opcua logs its warnings to stdout too.
    const line = out.split('\n').find((l) => l.startsWith('REPORT '));
    assert.ok(line, `no report from the child:\n${out}`);
    const report = JSON.parse(line.slice('REPORT '.length)) as ChildReport;
    assert.equal(report.atRegistration, 0, 'node-opcua modules in require.cache after registration (a top-level value import of node-opcua, or of a module that imports it, in an opcua-*.ts entry file or opcua-admin.ts?)');
    assert.deepEqual(report.types.sort(), ['fh-opcua-endpoint', 'fh-opcua-method', 'fh-opcua-read', 'fh-opcua-subscribe', 'fh-opcua-write']);
    assert.deepEqual(report.routes, [
      ['GET', '/factoryhub/opcua/endpoints/:id/browse', 'opcua.read'],
      ['GET', '/factoryhub/opcua/endpoints/:id/state', 'opcua.read'],
      ['GET', '/factoryhub/opcua/certificates', 'opcua.read'],
      ['POST', '/factoryhub/opcua/certificates/trusted', 'opcua.write'],
      ['DELETE', '/factoryhub/opcua/certificates/trusted/:thumbprint', 'opcua.write'],
      ['GET', '/factoryhub/opcua/certificates/own', 'opcua.read'],
      ['GET', '/factoryhub/opcua/certificates/own.der', 'opcua.read'],
      ['GET', '/factoryhub/opcua/certificates/own.pem', 'opcua.read'],
      ['GET', '/factoryhub/audit/writes', 'audit.read'],
      ['GET', '/factoryhub/audit/auth', 'audit.read'],
    ]);
    assert.ok(report.afterConstruction > 0, 'constructing an endpoint node loads its implementation (and node-opcua)');
    assert.match(report.configProblem ?? '', /./, 'the constructed endpoint reports its bad URL');
  });
});
