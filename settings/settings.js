'use strict';
// Node-RED settings of the Factory Hub, secure by default. Every choice can be changed through the
// environment (see README.md, "Configuration"); nothing here needs editing for a demo or a line.
const path = require('node:path');
const { loadAccounts } = require('./accounts');
const { credentialSecret } = require('./credential-secret');
const { createHubAuth } = require('./http-auth');
const { keepUserDirPrivate } = require('./private-files');
const { ROLES } = require('./roles');
const { hubMiddleware } = require('./middleware');
const { refusalLogHandler } = require('./permission-refusal');
const { paletteCatalogues, paletteExcludes, paletteLines } = require('./palette');
const { applyDemoFlowEnv } = require('./demo-ports');
const { hubTls, TlsError } = require('./tls');
const { withoutNodeRedWildcard } = require('./cors');
const { createFirstProject } = require('./demo-project');

const env = process.env;
const repoRoot = path.resolve(__dirname, '..');
const userDir = path.resolve(env.HUB_USER_DIR || path.join(repoRoot, 'data'));
const usersFile = path.resolve(env.HUB_USERS_FILE || path.join(userDir, 'users.json'));
const openHttp = env.HUB_OPEN_HTTP === '1';

/** @param {string} line */
function say(line) {
  // Node-RED's logger is not ready while settings load; these lines go straight to the console once.
  process.stdout.write(`[factory-hub] ${line}\n`);
}

// Before anything is written: what the hub writes is its user's alone, and older files are corrected.
keepUserDirPrivate(userDir, say);

const { accounts, created, fromEnv } = loadAccounts({ usersFile, env });
if (created.length) {
  say('First run: created these login accounts. The passwords are shown only now; only their bcrypt');
  say(`hashes are kept in ${usersFile}. Change one with: npm run user -- set <name> <role>`);
  for (const c of created) say(`    ${c.username.padEnd(12)} ${c.password}   (role ${c.role})`);
}
if (fromEnv.length) say(`Passwords of ${fromEnv.join(', ')} come from the environment (HUB_<NAME>_PASSWORD).`);
if (!accounts.some((a) => a.role === 'admin')) say('Warning: no account has the admin role.');

const palette = paletteExcludes(env.HUB_ALLOW_NODES);
const catalogues = paletteCatalogues(env.HUB_PALETTE_CATALOGUE);
for (const line of [...paletteLines(palette), ...catalogues.lines]) say(line);
// The demo flow's `${HUB_DEMO_...}` ports, from HUB_SIMULATOR_MODBUS_PORT etc. when start.js did not set them.
try {
  applyDemoFlowEnv(env);
} catch (err) {
  say(`Demo ports: ${err instanceof Error ? err.message : String(err)}; the demo flow's devices keep their variables unset.`);
}
// Node-RED's editor API answers every origin (cors '*'); this hub answers only its own (see cors.js).
if (!withoutNodeRedWildcard()) say('Warning: could not limit the editor API\'s CORS; cross-origin requests are still refused.');
const origins = (env.HUB_ORIGINS || '').split(',').map((o) => o.trim()).filter(Boolean);

const secret = credentialSecret({ userDir, env });
if (secret.source === 'generated') {
  say(`Generated a credential secret and kept it in ${secret.file} (mode 600).`);
  say('For a real line, set HUB_CREDENTIAL_SECRET instead and keep it in your secret store.');
}

function dashboardVersion() {
  try {
    return require('node-red-dashboard/package.json').version;
  } catch {
    return '3';
  }
}

// `npm start` seeds a fresh user directory with the demo (HUB_DEMO_FLOW): as a Node-RED project, so that
// IT can commit it at once and no login meets the "no active project" welcome (demo-project.js).
if (env.HUB_DEMO_FLOW) {
  createFirstProject({
    userDir,
    seedFlow: path.resolve(env.HUB_DEMO_FLOW),
    credentialSecret: secret.secret,
    say,
    hubPackage: require('../package.json'),
    dashboardVersion: dashboardVersion(),
  });
}

// Logins (editor, dashboard, Basic, API tokens) through one limiter and one audit: http-auth.js.
const login = createHubAuth({ accounts, userDir, say, dashboardSessionHours: Number(env.HUB_DASHBOARD_SESSION_HOURS || 24 * 7) });
/** @type {ReturnType<typeof hubTls>} */
let tls;
try {
  tls = hubTls({ userDir, env, say });
} catch (err) {
  if (!(err instanceof TlsError)) throw err;
  say(`Cannot start: ${err.message}.`);
  process.exit(1);
}

module.exports = {
  // HTTPS unless HUB_HTTP=1: IT's certificate (HUB_TLS_CERT/HUB_TLS_KEY) or one generated on the first run; see tls.js.
  https: tls.https,
  httpsRefreshInterval: tls.httpsRefreshInterval,
  uiHost: env.HUB_HOST || '127.0.0.1',
  uiPort: env.HUB_PORT !== undefined ? Number(env.HUB_PORT) : 1880,
  userDir,
  // This package's nodes, straight from the repository (or from HUB_NODES_DIR, e.g. an unpacked tarball).
  nodesDir: [path.resolve(env.HUB_NODES_DIR || repoRoot)],
  flowFile: 'flows.json',
  // Pretty-printed flows give readable git diffs.
  flowFilePretty: true,
  credentialSecret: secret.secret,

  adminAuth: {
    type: 'credentials',
    sessionExpiryTime: Number(env.HUB_SESSION_HOURS || 12) * 3600,
    // `role` rides along for the editor plugin's "your role: ..." (GET /factoryhub/me); Node-RED ignores it.
    users: accounts.map((a) => ({ username: a.username, password: a.password, permissions: ROLES[a.role].permissions, role: a.role })),
    // Only passwords the hub's login guard has just checked get in (editor-login.js); API tokens (api-tokens.js).
    authenticate: login.authenticate,
    tokens: login.tokens,
  },
  // Every request (editor, admin API, dashboard, http-in) passes these first: see middleware.js.
  httpAdminMiddleware: hubMiddleware({ say, login, dashboardPath: '/ui', origins }),
  // Express shows an error's stack trace and file paths in its error pages unless its "env" is production;
  // Node-RED applies these options to its apps (the one that answers last is what matters).
  httpServerOptions: { env: 'production' },
  // Dashboard and HTTP-in endpoints need a login too (the login page, Basic or an API token), unless
  // HUB_OPEN_HTTP=1 opens them (kiosk screens).
  httpNodeMiddleware: openHttp ? undefined : login.httpNodeMiddleware,
  ui: {
    path: 'ui',
    middleware: openHttp ? undefined : login.uiMiddleware,
    ioMiddleware: openHttp ? undefined : login.ioMiddleware,
  },

  // exec, file, file in and watch reach past Node-RED into the host: out unless HUB_ALLOW_NODES (palette.js).
  nodesExcludes: palette.nodesExcludes,

  // Context that nodes persist (OEE state, counters) survives a restart; "memory" stays available.
  contextStorage: {
    default: { module: 'localfilesystem' },
    memory: { module: 'memory' },
  },

  // A line network is often offline and IT decides what calls out: no update check unless asked for.
  telemetry: { enabled: env.HUB_TELEMETRY === '1' },
  functionExternalModules: false,
  exportGlobalContextKeys: false,
  diagnostics: { enabled: true, ui: false },
  logging: {
    console: { level: env.HUB_LOG_LEVEL || 'info', metrics: false, audit: env.HUB_AUDIT_LOG === '1' },
    // Node-RED's audit events (the editor's logout) into the login audit.
    factoryhubLogins: login.logger,
    // Prints nothing: turns Node-RED's empty 401 for a missing permission into a 403 naming it (permission-refusal.js).
    permissionRefusal: { level: 'off', metrics: false, audit: true, handler: refusalLogHandler },
  },
  editorTheme: {
    page: { title: 'Factory Hub' },
    // The product's logo instead of Node-RED's, on the login dialog and in the header.
    header: { title: 'Factory Hub', image: path.join(repoRoot, 'resources', 'factory-hub-logo.svg') },
    login: { image: path.join(repoRoot, 'resources', 'factory-hub-logo.svg') },
    projects: { enabled: true, workflow: { mode: 'manual' } },
    multiplayer: { enabled: true },
    tours: false,
    // No online catalogue unless HUB_PALETTE_CATALOGUE names one (a line network is often offline).
    palette: { categories: ['factory hub', 'common', 'function', 'network', 'sequence', 'parser', 'storage', 'dashboard'], catalogues: catalogues.urls },
  },
};
