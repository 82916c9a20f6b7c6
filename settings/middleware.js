'use strict';
// Express middleware that every request to the hub passes before Node-RED handles it. Node-RED mounts its
// admin app at "/" ahead of the dashboard and the http-in nodes, so `httpAdminMiddleware` sees the editor,
// the admin API, /ui and http-in alike. Each entry is one concern, in its own file, in the order it runs.

const { permissionRefusal } = require('./permission-refusal');
const { sameOriginOnly } = require('./cors');
const { securityHeaders } = require('./security-headers');
const { offlineCatalogue } = require('./palette');

/** @typedef {import('express').RequestHandler} Handler */

/**
 * @param {{ say: (line: string) => void, dashboardPath: string, origins?: readonly string[], login?: { chain: Handler[] } }} context
 *   `dashboardPath`: where the dashboard is ("/ui"); `origins`: the hub's origins behind a proxy (cors.js)
 * @returns {Handler}
 */
function hubMiddleware(context) {
  /** @type {Handler[]} */
  const chain = [
    // Headers first, so that every answer has them, refusals of the steps after this one included.
    securityHeaders({ dashboardPath: context.dashboardPath }),
    // Then the rest of the request runs where the refusal log handler can find its response.
    permissionRefusal,
    sameOriginOnly({ origins: context.origins }),
    // The palette manager's empty catalogue when no online one is asked for (palette.js).
    offlineCatalogue,
    // API tokens, the editor's login (POST /auth/token, limited before Node-RED sees it), the dashboard's login page: http-auth.js.
    ...(context.login ? context.login.chain : []),
  ];
  return function factoryHub(req, res, next) {
    let i = 0;
    /** @param {unknown} [err] */
    const step = (err) => {
      if (err !== undefined || i >= chain.length) return next(/** @type {any} */ (err));
      const handler = chain[i++];
      try {
        handler(req, res, step);
      } catch (e) {
        next(e);
      }
    };
    step();
  };
}

module.exports = { hubMiddleware };
