'use strict';
// Stream: the events of `follow()` as an async iterable. One native read per iteration step,
// so a slow consumer slows the socket instead of growing a buffer.

const { errorFromFailure } = require('./errors');
const { NativeFailure } = require('./native');

class Stream {
  #native;
  #iterated = false;
  #closedByController = false;

  /**
   * @param native the NativeEventStream
   * @param {AbortController} controller aborting it closes the stream; the loop ends quietly
   * @param {AbortSignal} [signal] the call's signal: aborting it makes the loop throw
   *   APIUserAbortError, like every call aborted by its signal
   */
  constructor(native, controller, signal) {
    this.#native = native;
    /** Abort to close the stream; a loop over it then ends (as in @onkernel/sdk). */
    this.controller = controller;
    controller.signal.addEventListener(
      'abort',
      () => {
        this.#closedByController = true;
        native.close();
      },
      { once: true },
    );
    if (signal) {
      if (signal.aborted) native.close();
      else signal.addEventListener('abort', () => native.close(), { once: true });
    }
  }

  async *[Symbol.asyncIterator]() {
    if (this.#iterated) throw new Error('Cannot iterate over a consumed stream, use `.tee()` to split the stream.');
    this.#iterated = true;
    let finished = false;
    try {
      for (;;) {
        const next = await this.#native.next();
        if (next === null) {
          finished = true;
          return;
        }
        if (next instanceof NativeFailure) {
          finished = true;
          if (this.#closedByController && next.kind === 'APIUserAbortError') return;
          throw errorFromFailure(next);
        }
        yield next;
      }
    } finally {
      // `break`, `return` or a throw in the consumer's loop: close the connection.
      if (!finished) this.#native.close();
    }
  }

  /** The raw bytes of the stream, for `asResponse()`. */
  toReadableStream() {
    const native = this.#native;
    this.#iterated = true;
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
}

module.exports = { Stream };
