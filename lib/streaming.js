'use strict';
// Stream: the events of `follow()` as an async iterable, as @onkernel/sdk's Stream is (its
// core/streaming): one native read per iteration step, so a slow consumer slows the socket
// instead of growing a buffer; `tee()` splits it in two.
//
// The connection closes as soon as the stream ends, whichever way: the server ends it, the
// loop breaks or throws, `stream.controller.abort()`, or the call's signal. Nothing stays
// listening on the caller's signal after that, so one long-lived signal can serve any number
// of streams.

const { KernelError, errorFromFailure } = require('./errors');
const { NativeFailure } = require('./native');

const CONSUMED = 'Cannot iterate over a consumed stream, use `.tee()` to split the stream.';

class Stream {
  #iterate;
  #native;
  #consumed = false;

  /**
   * @param {() => AsyncIterator<unknown>} iterate makes the one iterator this stream yields from
   * @param {AbortController} controller aborting it ends the stream; a loop over it ends quietly
   * @param {object} [native] the NativeEventStream behind it, for `toReadableStream()`'s raw bytes
   */
  constructor(iterate, controller, native) {
    this.#iterate = iterate;
    this.#native = native;
    /** Abort to close the stream; a loop over it then ends (as in @onkernel/sdk). */
    this.controller = controller;
  }

  /**
   * The events of a NativeEventStream. Aborting `signal` (the call's) makes the loop throw
   * APIUserAbortError, like every call aborted by its signal; aborting the controller ends it.
   */
  static fromNative(native, controller, signal) {
    let closedByController = false;
    const closeByController = () => {
      closedByController = true;
      native.close();
      // The stream has ended even if no loop ever started (whose `finally` would do this).
      stopListening();
    };
    const closeBySignal = () => native.close();
    controller.signal.addEventListener('abort', closeByController, { once: true });
    if (signal?.aborted) native.close();
    else signal?.addEventListener('abort', closeBySignal, { once: true });
    const stopListening = () => {
      controller.signal.removeEventListener('abort', closeByController);
      signal?.removeEventListener('abort', closeBySignal);
    };

    async function* events() {
      try {
        for (;;) {
          const next = await native.next();
          if (next === null) return;
          if (next instanceof NativeFailure) {
            if (closedByController && next.kind === 'APIUserAbortError') return;
            throw errorFromFailure(next);
          }
          yield next;
        }
      } finally {
        // However the loop ended: close now (a no-op if the server ended the stream), and
        // let go of the caller's signal.
        native.close();
        stopListening();
      }
    }
    // `this`, not `Stream`: a class that names itself in its body loses its name in the bundle.
    return new this(events, controller, native);
  }

  [Symbol.asyncIterator]() {
    if (this.#consumed) throw new KernelError(CONSUMED);
    this.#consumed = true;
    return this.#iterate();
  }

  /**
   * Two streams with the same events, each read at its own pace: an event one has read and
   * the other not yet is held for the other.
   */
  tee() {
    const source = this[Symbol.asyncIterator]();
    const queues = [[], []];
    const branch = (own) => () => ({
      next() {
        if (own.length === 0) {
          const read = source.next();
          for (const queue of queues) queue.push(read);
        }
        return own.shift();
      },
    });
    const Branch = this.constructor;
    return [new Branch(branch(queues[0]), this.controller), new Branch(branch(queues[1]), this.controller)];
  }

  /**
   * The stream as a ReadableStream: the raw bytes of the event stream (what `asResponse()`
   * hands out), or, for a stream made by `tee()`, its events as lines of JSON (as the SDK
   * does).
   */
  toReadableStream() {
    if (this.#consumed) throw new KernelError(CONSUMED);
    this.#consumed = true;
    const native = this.#native;
    if (native) {
      return new ReadableStream({
        async pull(controller) {
          const chunk = await native.nextRaw();
          if (chunk instanceof NativeFailure) controller.error(errorFromFailure(chunk));
          else if (chunk === null) controller.close();
          else controller.enqueue(new Uint8Array(chunk));
        },
        cancel() {
          native.close();
        },
      });
    }
    const iterator = this.#iterate();
    const encoder = new TextEncoder();
    return new ReadableStream({
      async pull(controller) {
        const { value, done } = await iterator.next();
        if (done) controller.close();
        else controller.enqueue(encoder.encode(`${JSON.stringify(value)}\n`));
      },
      async cancel() {
        await iterator.return?.();
      },
    });
  }
}

module.exports = { Stream };
