/**
 * node-opcua-crypto 5.x reads a private key with OPENSSL_CONF set to /dev/null and then "restores" the
 * old value by assignment; when there was none, process.env.OPENSSL_CONF becomes the text "undefined".
 * Every child process of Node-RED that uses OpenSSL (an exec node running openssl, git over https for
 * Projects) would then fail to open a configuration file named "undefined".
 *
 * Keys are read when a client connects or a certificate is made (after which restoreOpensslConf() is
 * called at once) and again later inside node-opcua (a server answering CreateSession, a secure channel
 * renewal): while OPC UA is in use, a guard repairs the variable every second.
 */
const original = process.env.OPENSSL_CONF;
const REPAIR_EVERY_MS = 1000;
let guards = 0;
let timer: NodeJS.Timeout | undefined;

export function restoreOpensslConf(): void {
  if (process.env.OPENSSL_CONF !== 'undefined' || original === 'undefined') return;
  if (original === undefined) delete process.env.OPENSSL_CONF;
  else process.env.OPENSSL_CONF = original;
}

/** Keeps OPENSSL_CONF repaired until the returned release is called (once per holder). */
export function guardOpensslConf(): () => void {
  guards++;
  if (timer === undefined) {
    timer = setInterval(restoreOpensslConf, REPAIR_EVERY_MS);
    timer.unref();
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    restoreOpensslConf();
    if (--guards === 0 && timer !== undefined) {
      clearInterval(timer);
      timer = undefined;
    }
  };
}
