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

module.exports = { HOST_NODES, paletteExcludes, paletteLines };
