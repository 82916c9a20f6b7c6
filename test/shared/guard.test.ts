import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { Node, NodeMessage } from 'node-red';
import { guarded, onInput, toError } from '../../nodes/shared/guard';

/** Just enough of a runtime node: an input event and an error log. */
class FakeNode extends EventEmitter {
  readonly errors: { err: unknown; msg?: NodeMessage }[] = [];
  error(err: unknown, msg?: NodeMessage): void {
    this.errors.push({ err, msg });
  }
}

function input(node: FakeNode, msg: NodeMessage): Promise<(Error | undefined)[]> {
  const calls: (Error | undefined)[] = [];
  node.emit('input', msg, () => undefined, (err?: Error) => calls.push(err));
  return new Promise((r) => setTimeout(() => r(calls), 20));
}

describe('shared guard', () => {
  it('turns a throw, a rejection and a non-Error into done(err) once', async () => {
    const node = new FakeNode();
    let mode = 'throw';
    onInput(node as unknown as Node, async (_msg, _send, done) => {
      if (mode === 'throw') throw new Error('boom');
      if (mode === 'string') throw 'plain text'; // eslint-disable-line @typescript-eslint/only-throw-error
      await Promise.resolve();
      if (mode === 'twice') {
        done();
        throw new Error('after done');
      }
      return Promise.reject(new Error('rejected'));
    });
    assert.deepEqual((await input(node, { payload: 1 })).map((e) => e?.message), ['boom']);
    mode = 'string';
    assert.deepEqual((await input(node, { payload: 1 })).map((e) => e?.message), ['plain text']);
    mode = 'reject';
    assert.deepEqual((await input(node, { payload: 1 })).map((e) => e?.message), ['rejected']);
    mode = 'twice';
    assert.deepEqual(await input(node, { payload: 2 }), [undefined]);
    assert.equal((node.errors[0].err as Error).message, 'after done');
    assert.deepEqual(node.errors[0].msg, { payload: 2 });
  });

  it('reports timer and event failures through node.error', async () => {
    const node = new FakeNode();
    guarded(node, () => {
      throw new Error('tick');
    })();
    guarded(node, () => Promise.reject(new Error('later')))();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(node.errors.map((e) => (e.err as Error).message), ['tick', 'later']);
  });

  it('reads errors whose getters throw without throwing', () => {
    const hostile = new Error('x');
    Object.defineProperty(hostile, 'message', {
      get() {
        throw new Error('getter');
      },
    });
    assert.equal(toError(hostile).message, 'an error that cannot be read was thrown');
    assert.equal(toError(null).message, 'null');
    assert.equal(toError({ message: 'obj' }).message, 'obj');
  });
});
