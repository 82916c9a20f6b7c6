'use strict';
// node-opcua checks at load whether this Node.js can decrypt RSA PKCS#1 v1.5; Node 20.11+ cannot (the fix of
// CVE-2023-46809), so node-opcua prints "[NODE-OPCUA-W27] ... you need to use node flag
// --security-revert=CVE-2023-46809". Only the deprecated OPC UA policies Basic128Rsa15 and Basic256 use
// PKCS#1 v1.5; the hub offers None, Basic256Sha256, Aes128_Sha256_RsaOaep and Aes256_Sha256_RsaPss, so
// nothing needs the revert (which would reopen the CVE). The start log says so once instead.

const W27 = /\[NODE-OPCUA-W27\]/;
const REVERT_HINT = /--security-revert=CVE-2023-46809/;
const EXPLANATION =
  `[factory-hub] node-opcua's NODE-OPCUA-W27 notice (Node.js ${process.version} refuses RSA PKCS#1 v1.5, CVE-2023-46809) ` +
  'concerns only the deprecated OPC UA policies Basic128Rsa15 and Basic256, which the hub does not offer ' +
  '(None, Basic256Sha256, Aes128_Sha256_RsaOaep, Aes256_Sha256_RsaPss): no --security-revert is needed.';

/**
 * A line filter that passes every line to `write`, except node-opcua's W27 lines: the first becomes the
 * explanation above, the rest are dropped.
 * @param {(line: string) => void} write
 * @returns {(line: string) => void}
 */
function opcuaWarningFilter(write) {
  let explained = false;
  return (line) => {
    if (W27.test(line)) {
      if (!explained) write(EXPLANATION);
      explained = true;
    } else if (!REVERT_HINT.test(line)) {
      write(line);
    }
  };
}

module.exports = { opcuaWarningFilter, EXPLANATION };
