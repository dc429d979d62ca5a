'use strict';
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

module.exports = { APIPromise, RawResult };
