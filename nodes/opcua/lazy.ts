/**
 * Load-on-first-use for the OPC UA node sets. Node-RED requires every installed node set at start-up,
 * with or without a node of it in the flows, and node-opcua costs a hub about 62 MB and 0.8 s (and a
 * NODE-OPCUA-W27 warning in its log). So the registration files (opcua-*.ts) import only types and this
 * helper at top level; the node constructors and admin handlers load their implementation through it.
 * test/opcua/lazy-load.test.ts checks that the registration files load no node-opcua module.
 */

/** `load()` on the first call (synchronously), its result from then on. A load that throws is tried again next time. */
export function lazy<T>(load: () => T): () => T {
  let loaded: { value: T } | undefined;
  return () => (loaded ??= { value: load() }).value;
}
