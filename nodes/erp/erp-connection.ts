/**
 * fh-erp-connection: the config node of one ERP (dialect, base URL, authentication, TLS, timeouts) and
 * the owner of its outbox, a SQLite file `<user dir>/factoryhub/erp/<node id>.sqlite`. Thin adapter: the
 * settings are checked by connection-config.ts, delivery and storage live in outbox.ts.
 */
import path from 'node:path';
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { createAuthenticator } from './auth';
import { ErpClient } from './client';
import type { ConnectionCredentials, ConnectionDef } from './connection-config';
import { ERP_CREDENTIALS } from './credentials';
import { parseConnection } from './connection-config';
import type { Dialect } from './dialects/dialect';
import { createDialect } from './dialects';
import { HttpClient } from './http';
import { Outbox } from './outbox';
import { registerErpAdmin } from './admin';
import { registerConnection, unregisterConnection } from './registry';
import { ConfigError } from '../shared/config-node';
import { messageOf } from '../shared/errors';
import { guarded } from '../shared/guard';

export interface ErpConnectionNode extends Node<ConnectionCredentials> {
  /** The outbox and dialect, or the configuration error that prevented them. */
  readonly ready: { readonly outbox: Outbox; readonly dialect: Dialect; readonly label: string } | { readonly error: ConfigError };
}

type Def = NodeDef & ConnectionDef;

/** Where a connection keeps its outbox. */
export function outboxFile(userDir: string | undefined, id: string): string {
  return path.join(userDir ?? process.cwd(), 'factoryhub', 'erp', `${id.replace(/[^\w.-]/g, '_')}.sqlite`);
}

export default function register(RED: NodeAPI): void {
  registerErpAdmin(RED);

  RED.nodes.registerType<ErpConnectionNode, Def, unknown, ConnectionCredentials>(
    'fh-erp-connection',
    function (this: ErpConnectionNode, def: Def) {
      RED.nodes.createNode(this, def);
      const node = this as ErpConnectionNode & { ready: ErpConnectionNode['ready'] };
      let client: ErpClient | undefined;
      try {
        const config = parseConnection(def, node.credentials ?? {});
        const http = new HttpClient(config.http);
        client = new ErpClient(config.baseUrl, http, createAuthenticator(config.auth, http));
        const dialect = createDialect(config.dialect);
        const outbox = new Outbox({ file: outboxFile(RED.settings.userDir, node.id), maxRecords: config.maxRecords, maxBytes: config.maxBytes, maxRecordBytes: config.maxRecordBytes, reporter: node });
        outbox.startDelivery(dialect, client.send, config.delivery);
        const label = def.name || `${config.dialect.name} ${config.baseUrl}`;
        node.ready = { outbox, dialect, label };
        registerConnection({ id: node.id, name: label, dialect: config.dialect.name, baseUrl: config.baseUrl, outbox });
      } catch (err) {
        client?.close();
        const error = err instanceof ConfigError ? err : new ConfigError(messageOf(err));
        node.ready = { error };
        // Config nodes have no status: each fh-erp-post shows this; the log says it once.
        node.error(`ERP connection "${def.name || node.id}": ${error.message}`);
      }

      node.on('close', (_removed: boolean, done: () => void) => {
        const r = node.ready;
        if (!('outbox' in r)) {
          done();
          return;
        }
        unregisterConnection(node.id, r.outbox);
        // Node-RED waits 15 s at most: 5 s for attempts in flight, then cut them (settled by look-up later).
        let finished = false;
        const finish = (): void => {
          if (finished) return;
          finished = true;
          clearTimeout(timer);
          done();
        };
        const timer = setTimeout(
          guarded(node, () => {
            try {
              r.outbox.closeNow();
            } finally {
              finish();
            }
          }),
          10_000,
        );
        void r.outbox
          .close(5000, () => client?.close())
          .catch((err: unknown) => node.warn(`closing the outbox: ${messageOf(err)}`))
          .finally(finish);
      });
    },
    {
      credentials: ERP_CREDENTIALS,
    },
  );
}
