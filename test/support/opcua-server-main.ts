/**
 * Child-process entry of the OPC UA test server (see opcua-server-process.ts): starts the test server
 * on OPCUA_TEST_PORT and reports its URL to the parent over IPC. Killed, not stopped: a crash is the point.
 */
import { startTestServer } from './opcua-server';

const port = Number(process.env.OPCUA_TEST_PORT);
startTestServer({ port }).then(
  (server) => {
    process.send?.({ ready: server.url });
    process.on('message', (m: { stop?: boolean }) => {
      if (m.stop) void server.stop().then(() => process.exit(0));
    });
  },
  (err: unknown) => {
    process.send?.({ error: err instanceof Error ? err.message : String(err) });
    process.exit(1);
  },
);
