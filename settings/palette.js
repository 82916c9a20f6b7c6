'use strict';
// Core nodes that reach past Node-RED into the host: exec runs OS commands, file / file in / watch read,
// write and watch any file the hub's user can (users.json, the credential secret, .sessions.json).
// Anyone who deploys flows (integrator) could use them, so they are left out of the palette
// (settings nodesExcludes, by core node file name) unless the admin allows them: HUB_ALLOW_NODES=exec,file,watch.
// A flow that uses an excluded node does not start: Node-RED waits for the missing type.

/** Name in HUB_ALLOW_NODES -> the core node file (node_modules/@node-red/nodes/core) and the node types it holds. */
const HOST_NODES = {
  exec: { file: '90-exec.js', types: ['exec'] },
  file: { file: '10-file.js', types: ['file', 'file in'] },
  watch: { file: '23-watch.js', types: ['watch'] },
};

/**
 * @param {string | undefined} allow  HUB_ALLOW_NODES: comma-separated names of HOST_NODES
 * @returns {{ nodesExcludes: string[], excluded: string[], allowed: string[], unknown: string[] }}  excluded/allowed: node types
 */
function paletteExcludes(allow) {
  const names = (allow || '')
    .split(',')
    .map((n) => n.trim().toLowerCase())
    .filter((n) => n !== '');
  const known = /** @type {(keyof typeof HOST_NODES)[]} */ (Object.keys(HOST_NODES));
  const unknown = names.filter((n) => !Object.prototype.hasOwnProperty.call(HOST_NODES, n));
  const nodesExcludes = [];
  const excluded = [];
  const allowed = [];
  for (const name of known) {
    const entry = HOST_NODES[name];
    if (names.includes(name)) allowed.push(...entry.types);
    else {
      nodesExcludes.push(entry.file);
      excluded.push(...entry.types);
    }
  }
  return { nodesExcludes, excluded, allowed, unknown };
}

/**
 * The start-up lines that say what the palette leaves out.
 * @param {ReturnType<typeof paletteExcludes>} palette @returns {string[]}
 */
function paletteLines(palette) {
  const lines = [];
  if (palette.excluded.length > 0) {
    lines.push(
      `Palette: ${palette.excluded.join(', ')} left out (OS commands and raw file access); ` +
        `an admin allows them with HUB_ALLOW_NODES=${Object.keys(HOST_NODES).join(',')}.`,
    );
  }
  if (palette.allowed.length > 0) lines.push(`Palette: ${palette.allowed.join(', ')} allowed by HUB_ALLOW_NODES: whoever deploys flows can use them.`);
  if (palette.unknown.length > 0) {
    lines.push(`HUB_ALLOW_NODES: ignored ${palette.unknown.join(', ')}; known: ${Object.keys(HOST_NODES).join(', ')}.`);
  }
  return lines;
}

/** Node-RED's own catalogue, what HUB_PALETTE_CATALOGUE=default stands for. */
const NODE_RED_CATALOGUE = 'https://catalogue.nodered.org/catalogue.json';

/**
 * Where the hub serves an empty catalogue, the palette manager's one when no online catalogue is asked for: with
 * no catalogue at all its Install tab would show "Loading..." for ever. Relative: the editor fetches it from the hub.
 */
const OFFLINE_CATALOGUE_PATH = '/factoryhub/palette/offline-catalogue.json';

/**
 * The palette manager's catalogues (editorTheme.palette.catalogues). No online one unless asked for: without
 * this setting the editor fetches Node-RED's catalogue at each login, which fails on an offline line network.
 * @param {string | undefined} value  HUB_PALETTE_CATALOGUE: comma-separated URLs, or `default` for Node-RED's
 * @returns {{ urls: string[], lines: string[] }}  lines: for the start log
 */
function paletteCatalogues(value) {
  const asked = (value || '')
    .split(',')
    .map((u) => u.trim())
    .filter((u) => u !== '');
  const urls = [];
  const lines = [];
  for (const entry of asked) {
    const url = entry.toLowerCase() === 'default' ? NODE_RED_CATALOGUE : entry;
    if (/^https?:\/\/\S+$/i.test(url)) urls.push(url);
    else lines.push(`HUB_PALETTE_CATALOGUE: ignored ${JSON.stringify(entry)}; give http(s) URLs or "default".`);
  }
  if (urls.length > 0) lines.push(`Palette: installing nodes from ${urls.join(', ')} (HUB_PALETTE_CATALOGUE).`);
  return { urls: urls.length > 0 ? urls : [OFFLINE_CATALOGUE_PATH.slice(1)], lines };
}

/**
 * Serves the empty catalogue (public: it holds no module).
 * @type {import('express').RequestHandler}
 */
function offlineCatalogue(req, res, next) {
  if (req.method !== 'GET' || req.path !== OFFLINE_CATALOGUE_PATH) return next();
  res.json({ name: 'No online catalogue: an admin sets HUB_PALETTE_CATALOGUE to browse one', updated_at: '2026-01-01T00:00:00.000Z', modules: [] });
}

module.exports = { HOST_NODES, NODE_RED_CATALOGUE, OFFLINE_CATALOGUE_PATH, paletteExcludes, paletteLines, paletteCatalogues, offlineCatalogue };
