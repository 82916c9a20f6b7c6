/**
 * fh-kpi-store: the config node of one KPI database (SQLite file in the user directory, or PostgreSQL by
 * URL with the password in the credentials) and the owner of its durable local queue
 * `<user dir>/factoryhub/kpi/queue-<node id>.sqlite`. Thin adapter: settings in store-config.ts, the rest
 * in service.ts.
 */
import path from 'node:path';
import os from 'node:os';
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { registerKpiAdmin, registerStore, unregisterStore } from './kpi-admin';
import { KpiService, queueFile } from './service';
import type { StoreCredentials, StoreDef } from './store-config';
import { parseStore } from './store-config';
import { ConfigError } from '../shared/config-node';
import { messageOf } from '../shared/errors';

export interface KpiStoreNode extends Node<StoreCredentials> {
  readonly ready: { readonly service: KpiService; readonly label: string } | { readonly error: ConfigError };
}

type Def = NodeDef & StoreDef;

export default function register(RED: NodeAPI): void {
  registerKpiAdmin(RED);
  RED.nodes.registerType<KpiStoreNode, Def, unknown, StoreCredentials>(
    'fh-kpi-store',
    function (this: KpiStoreNode, def: Def) {
      RED.nodes.createNode(this, def);
      const node = this as KpiStoreNode & { ready: KpiStoreNode['ready'] };
      const userDir = RED.settings.userDir ?? path.join(os.homedir(), '.node-red');
      try {
        const config = parseStore(def, node.credentials ?? {}, userDir);
        let idleError = '';
        const service = new KpiService(config, {
          queueFile: queueFile(userDir, node.id),
          // A dropped idle connection (database restarted): the next batch reconnects; log each new text once.
          onIdleError: (err) => {
            if (err.message !== idleError) node.warn(`KPI database connection lost: ${err.message}`);
            idleError = err.message;
          },
        });
        node.ready = { service, label: def.name || config.label };
        registerStore({ id: node.id, name: node.ready.label, service });
      } catch (err) {
        const error = err instanceof ConfigError ? err : new ConfigError(messageOf(err));
        node.ready = { error };
        // Config nodes have no status: each fh-kpi-write and fh-kpi-query shows this; the log says it once.
        node.error(`KPI store "${def.name || node.id}": ${error.message}`);
      }
      node.on('close', (_removed: boolean, done: () => void) => {
        const r = node.ready;
        if (!('service' in r)) {
          done();
          return;
        }
        unregisterStore(node.id, r.service);
        r.service
          .close()
          .catch((err: unknown) => node.warn(`closing the KPI store: ${messageOf(err)}`))
          .finally(done);
      });
    },
    { credentials: { password: { type: 'password' } } },
  );
}
