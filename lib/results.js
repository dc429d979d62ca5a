'use strict';
// What calls resolve to: APIPromise (await it for the data; withResponse()/asResponse() for
// the HTTP response too), offset pages that can be walked with for-await, and event streams.
// One module, because every call needs them and each extra file costs import time.

const { KernelError, errorFromFailure } = require('./errors');
const { NativeFailure } = require('./native');

// APIPromise: awaiting it gives the data; `.withResponse()` and `.asResponse()` give the HTTP
// response too, as in @onkernel/sdk.

/**
 * A settled call: its data and the native response (status, headers, raw body).
 * `response()` builds the WHATWG Response for `withResponse()`, `rawResponse()` the one for
 * `asResponse()`; they differ only for streams, whose body is either consumed as events or
 * handed over as raw bytes.
 */
class RawResult {
  constructor(data, native, { response = plainResponse, rawResponse = response } = {}) {
    this.data = data;
    this.native = native;
    this.response = () => response(native);
    this.rawResponse = () => rawResponse(native);
  }
}

const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

function plainResponse(native) {
  const status = native.status;
  const body = NULL_BODY_STATUSES.has(status) ? null : native.body();
  return new Response(body, { status, headers: native.headers });
}

class APIPromise extends Promise {
  #raw;
  #parsed;

  /** @param {Promise<RawResult>} raw */
  constructor(raw) {
    super((resolve) => resolve(null));
    this.#raw = raw;
  }

  // then/catch/finally return plain promises, never new APIPromises.
  static get [Symbol.species]() {
    return Promise;
  }

  #parse() {
    this.#parsed ??= this.#raw.then((result) => result.data);
    return this.#parsed;
  }

  then(onFulfilled, onRejected) {
    return this.#parse().then(onFulfilled, onRejected);
  }

  catch(onRejected) {
    return this.#parse().catch(onRejected);
  }

  finally(onFinally) {
    return this.#parse().finally(onFinally);
  }

  /** The raw WHATWG `Response` (status, headers, body). */
  asResponse() {
    return this.#raw.then((result) => result.rawResponse());
  }

  /** The data, the raw `Response`, and the server's `x-request-id` (or null). */
  withResponse() {
    return this.#raw.then((result) => {
      const response = result.response();
      return { data: result.data, response, request_id: response.headers.get('x-request-id') };
    });
  }
}

// Offset pagination as in @onkernel/sdk: X-Has-More / X-Next-Offset, stop on offset 0 or
// has-more false; `for await` walks every item, fetching the next page only when needed.


class OffsetPagination {
  #fetchPage;
  #nextPageOffset;

  /**
   * @param {{ items: unknown[], has_more: boolean | null, next_offset: number | null, next_page_offset: number | null }} page
   *   `next_page_offset` is the core's answer to "which page next?" (`Page::next_page_offset`)
   * @param {(offset: number) => PagePromise} fetchPage asks for the page at an offset
   */
  constructor(page, fetchPage) {
    this.items = page.items;
    this.has_more = page.has_more;
    this.next_offset = page.next_offset;
    this.#nextPageOffset = page.next_page_offset;
    this.#fetchPage = fetchPage;
  }

  getPaginatedItems() {
    return this.items;
  }

  hasNextPage() {
    return this.#nextPageOffset !== null;
  }

  getNextPage() {
    if (!this.hasNextPage()) {
      return Promise.reject(
        new KernelError('No next page expected; please check `.hasNextPage()` before calling `.getNextPage()`.'),
      );
    }
    return this.#fetchPage(this.#nextPageOffset);
  }

  async *iterPages() {
    let page = this;
    yield page;
    while (page.hasNextPage()) {
      page = await page.getNextPage();
      yield page;
    }
  }

  async *[Symbol.asyncIterator]() {
    for await (const page of this.iterPages()) yield* page.items;
  }
}

/** Awaits to the first page; `for await` over it walks the items of every page. */
class PagePromise extends APIPromise {
  async *[Symbol.asyncIterator]() {
    const page = await this;
    yield* page;
  }
}

// Stream: the events of `follow()` as an async iterable. One native read per iteration step,
// so a slow consumer slows the socket instead of growing a buffer.


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

module.exports = { APIPromise, RawResult, OffsetPagination, PagePromise, Stream };
