'use strict';
// APIPromise, what every call returns: awaiting it gives the data; `.withResponse()` and
// `.asResponse()` give the HTTP response too, as in @onkernel/sdk (its core/api-promise).


/**
 * A settled call: its data and the native response (status, headers, raw body). `response()`
 * builds the WHATWG Response for `withResponse()`, `rawResponse()` the one for `asResponse()`;
 * they differ only for streams, whose body is either consumed as events or handed over as raw
 * bytes. Nothing is built until asked for: most calls only want the data.
 */
class RawResult {
  constructor(data, nativeResponse, shape = PLAIN) {
    this.data = data;
    this.nativeResponse = nativeResponse;
    this.shape = shape;
  }

  response() {
    return this.shape.response(this.nativeResponse);
  }

  rawResponse() {
    return (this.shape.rawResponse ?? this.shape.response)(this.nativeResponse);
  }
}

const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

function plainResponse(nativeResponse) {
  const status = nativeResponse.status;
  const body = NULL_BODY_STATUSES.has(status) ? null : nativeResponse.body();
  return new Response(body, { status, headers: nativeResponse.headers });
}

const PLAIN = { response: plainResponse };

const utf8 = new TextEncoder();

/**
 * The response of a call whose answer came as JSON text (`JsonText` in src/response.rs): the
 * text, and the status and headers as one Latin-1 string, `status\nname:value\n...` (values
 * already joined), split only when asked for. Reads like a NativeResponse.
 */
class TextResponse {
  #text;
  #head;
  #logs;

  constructor(text, head, logs) {
    this.#text = text;
    this.#head = head;
    this.#logs = logs;
  }

  get status() {
    return Number(this.#head.slice(0, this.#head.indexOf('\n')));
  }

  /** `[name, value]` pairs, as `Headers` takes them. */
  get headers() {
    const lines = this.#head.split('\n');
    const pairs = [];
    for (let i = 1; i < lines.length - 1; i++) {
      const colon = lines[i].indexOf(':');
      pairs.push([lines[i].slice(0, colon), lines[i].slice(colon + 1)]);
    }
    return pairs;
  }

  /** The body as received: the text is exactly its UTF-8 (the core checked it). */
  body() {
    return utf8.encode(this.#text);
  }

  takeLogs() {
    const logs = this.#logs ?? [];
    this.#logs = undefined;
    return logs;
  }
}

const dataOf = (result) => result.data;
const resolveNull = (resolve) => resolve(null);

class APIPromise extends Promise {
  #raw;
  #parsed;

  /** @param {Promise<RawResult>} raw */
  constructor(raw) {
    super(resolveNull);
    this.#raw = raw;
  }

  // then/catch/finally return plain promises, never new APIPromises.
  static get [Symbol.species]() {
    return Promise;
  }

  #parse() {
    this.#parsed ??= this.#raw.then(dataOf);
    return this.#parsed;
  }

  // `await` calls this: one reaction on the settled call, not one more to take its data first.
  then(onFulfilled, onRejected) {
    const take = typeof onFulfilled === 'function' ? (result) => onFulfilled(result.data) : dataOf;
    return this.#raw.then(take, onRejected);
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

module.exports = { APIPromise, RawResult, TextResponse };
