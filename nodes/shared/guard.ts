/**
 * The one guard for every callback Node-RED or a timer calls in this package: input handlers, timers,
 * events. Whatever a callback throws or rejects with ends in `done(err)` (so Catch nodes see it with the
 * message) or `node.error(err, msg)`, never in an uncaught exception or unhandled rejection, which would
 * stop the whole runtime and every machine's data with it.
 */
import type { Node, NodeMessage, NodeMessageInFlow } from 'node-red';

export type Done = (err?: Error) => void;
export type InputHandler<S> = (msg: NodeMessageInFlow, send: S, done: Done) => void | Promise<void>;

/** The part of a node the guard reports through. */
export interface GuardedNode {
  error(err: unknown, msg?: NodeMessage): void;
}

/**
 * An Error for anything thrown: a string, null, an object whose getters throw. Never throws itself, so
 * the report of an error cannot become a second one.
 */
export function toError(thrown: unknown): Error {
  try {
    if (thrown instanceof Error) {
      // Reading .message runs a getter on exotic errors: prove it works before handing it on.
      return typeof thrown.message === 'string' ? thrown : new Error(String(thrown.message));
    }
    if (typeof thrown === 'string') return new Error(thrown);
    const m = (thrown as { message?: unknown } | null)?.message;
    return new Error(typeof m === 'string' ? m : String(thrown));
  } catch {
    return new Error('an error that cannot be read was thrown');
  }
}

/** The longest error text passed on: an error names its cause, it does not quote a 10 MB value. */
export const MAX_ERROR_TEXT = 2000;

/** `err`, or a copy with its message cut to MAX_ERROR_TEXT (with the original length said). */
export function boundedError(err: Error): Error {
  const text = toError(err).message;
  if (text.length <= MAX_ERROR_TEXT) return err;
  const cut = new Error(`${text.slice(0, MAX_ERROR_TEXT)}… [error text cut, ${text.length} characters]`);
  cut.name = err.name;
  return cut;
}

/** node.error(err, msg), falling back to no message, and never throwing to the caller. */
function report(node: GuardedNode, err: Error, msg?: NodeMessage): void {
  try {
    node.error(err, msg);
  } catch {
    try {
      node.error(err);
    } catch {
      // A node already closed may refuse to log; the runtime must still not see the throw.
    }
  }
}

/**
 * Registers `handler` for the node's input. `done` may be called once: later calls (and a throw after a
 * done) are reported through `node.error` instead of being lost or calling done twice.
 */
export function onInput<S = (msg: NodeMessage | (NodeMessage | NodeMessage[] | null)[]) => void>(node: Node, handler: InputHandler<S>): void {
  const listener = (msg: NodeMessageInFlow, send: S, done: Done): void => {
    let finished = false;
    const doneOnce: Done = (err) => {
      const bounded = err && boundedError(err);
      if (finished) {
        if (bounded) report(node, bounded, msg);
        return;
      }
      finished = true;
      if (!bounded) return done();
      try {
        done(bounded);
      } catch {
        // Node-RED clones the message for Catch nodes; a message that cannot be cloned (a getter that
        // throws, a Proxy, nesting deeper than the stack) makes done(err) throw: report it without it.
        report(node, bounded);
      }
    };
    const fail = (thrown: unknown): void => doneOnce(toError(thrown));
    try {
      const result = handler(msg, send, doneOnce);
      if (result && typeof result.then === 'function') result.then(undefined, fail);
    } catch (err) {
      fail(err);
    }
  };
  // Node-RED's typings fix `send` to one shape; each node sends its own (arrays for several outputs).
  node.on('input', listener as unknown as (msg: NodeMessageInFlow, send: (m: NodeMessage) => void, done: Done) => void);
}

/**
 * Wraps a timer or event callback: a throw or rejection becomes `node.error(err)` (with `msg` when
 * given) and the callback's caller (a timer, an EventEmitter, a library) never sees it.
 */
export function guarded<A extends unknown[]>(node: GuardedNode, fn: (...args: A) => void | Promise<void>, msg?: NodeMessage): (...args: A) => void {
  const fail = (thrown: unknown): void => report(node, boundedError(toError(thrown)), msg);
  return (...args: A) => {
    try {
      const result = fn(...args);
      if (result && typeof result.then === 'function') result.then(undefined, fail);
    } catch (err) {
      fail(err);
    }
  };
}
