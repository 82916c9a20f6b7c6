/**
 * The secrets an ERP connection keeps as Node-RED credentials (encrypted, never exported with a flow):
 * one list for the runtime's registration and the editor's definition.
 */
export const ERP_CREDENTIALS = {
  username: { type: 'text' },
  password: { type: 'password' },
  token: { type: 'password' },
  apiKey: { type: 'password' },
  apiSecret: { type: 'password' },
  clientId: { type: 'text' },
  clientSecret: { type: 'password' },
} as const satisfies Record<string, { type: 'text' | 'password' }>;
