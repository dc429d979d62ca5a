'use strict';
// APIPromise, what every call returns: awaiting it gives the data; `.withResponse()` and
// `.asResponse()` give the HTTP response too, as in @onkernel/sdk (its core/api-promise).


/**
 * A settled call: its data and the native response (status, headers, raw body).
 * `response()` builds the WHATWG Response for `withResponse()`, `rawResponse()` the one for
 * `asResponse()`; they differ only for streams, whose body is either consumed as events or
 * handed over as raw bytes.
 */
class RawResult {
  constructor(data, nativeResponse, { response = plainResponse, rawResponse = response } = {}) {
    this.data = data;
    this.response = () => response(nativeResponse);
    this.rawResponse = () => rawResponse(nativeResponse);
  }
}

const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

function plainResponse(nativeResponse) {
  const status = nativeResponse.status;
  const body = NULL_BODY_STATUSES.has(status) ? null : nativeResponse.body();
  return new Response(body, { status, headers: nativeResponse.headers });
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
