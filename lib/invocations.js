'use strict';
// client.invocations: the calls on /invocations, with the names of @onkernel/sdk.

const { callNative } = require('./call');
const { APIPromise, RawResult, TextResponse } = require('./api-promise');
const { OffsetPagination, PagePromise } = require('./pagination');
const { Stream } = require('./streaming');
const { checkId, checkObject, checkOptional, checkOptionalString, checkRequestOptions, invalid } = require('./validate');

const CREATE_PARAMS = ['action_name', 'app_name', 'version', 'async', 'async_timeout_seconds', 'payload'];
const UPDATE_PARAMS = ['status', 'output'];
const LIST_PARAMS = ['action_name', 'app_name', 'deployment_id', 'query', 'since', 'status', 'version', 'limit', 'offset'];
const FOLLOW_PARAMS = ['since'];

function requiredString(field, value) {
  if (typeof value !== 'string') throw invalid(field, 'a string', value);
}

/**
 * The result of a call that answers one JSON object: the binding hands over its text, checked
 * by the core's decoding rule, and `JSON.parse` builds it faster than Rust could, property by
 * property, through napi.
 */
const fromJsonText = (text, head, logs) => new RawResult(JSON.parse(text), new TextResponse(text, head, logs));

/** Drops fields given as undefined, so the body holds exactly the given fields. */
function defined(params) {
  const out = {};
  for (const [key, value] of Object.entries(params)) if (value !== undefined) out[key] = value;
  return out;
}

class Invocations {
  #client;
  #log;

  /** @param client NativeClient  @param log { logger, logLevel, wantsRecords } */
  constructor(client, log) {
    this.#client = client;
    this.#log = log;
  }

  /**
   * Runs one call: `check()` validates the arguments first (a throw there sends nothing) and
   * returns what `send(checked, nativeOptions, cancelToken)` hands the native client.
   * `options` are the caller's request options; `PromiseClass` and `wrap` shape the result
   * (pages and streams).
   */
  #call({ check, send, options, PromiseClass = APIPromise, wrap = undefined }) {
    let raw;
    try {
      const checked = check();
      let request = checkRequestOptions(options);
      if (this.#log.wantsRecords) request = { nativeOptions: { ...request.nativeOptions, log: true }, signal: request.signal };
      raw = callNative((nativeOptions, token) => send(checked, nativeOptions, token), request, this.#log, wrap);
    } catch (error) {
      raw = Promise.reject(error);
    }
    return new PromiseClass(raw);
  }

  /**
   * Invoke an action (`POST /invocations`).
   * @example const invocation = await client.invocations.create({ action_name: 'analyze', app_name: 'my-app', version: '1.0.0' });
   */
  create(params, options) {
    return this.#call({
      check: () => {
        if (params === undefined || params === null) throw invalid('params', 'an object', params);
        const given = defined(checkObject('params', params, CREATE_PARAMS, { required: true }));
        for (const field of ['action_name', 'app_name', 'version']) requiredString(`params.${field}`, given[field]);
        checkOptional('params.async', given.async, 'boolean');
        checkOptional('params.async_timeout_seconds', given.async_timeout_seconds, 'number');
        checkOptional('params.payload', given.payload, 'string');
        return given;
      },
      send: (body, nativeOptions, token) => this.#client.createInvocation(body, nativeOptions, token),
      options,
      wrap: fromJsonText,
    });
  }

  /** Get details about an invocation's status and output (`GET /invocations/{id}`). */
  retrieve(id, options) {
    return this.#call({
      check: () => checkId(id),
      send: (checkedId, nativeOptions, token) => this.#client.retrieveInvocation(checkedId, nativeOptions, token),
      options,
      wrap: fromJsonText,
    });
  }

  /**
   * Update an invocation's status or output (`PATCH /invocations/{id}`); a status of
   * "failed" also cancels it.
   */
  update(id, params, options) {
    return this.#call({
      check: () => {
        checkId(id);
        if (typeof params !== 'object' || params === null || Array.isArray(params)) {
          throw invalid('params', 'an object', params);
        }
        for (const key in params) {
          if (key !== 'status' && key !== 'output') checkObject('params', params, UPDATE_PARAMS);
        }
        if (typeof params.status !== 'string') throw invalid('params.status', "'succeeded' or 'failed'", params.status);
        if (params.output !== undefined && typeof params.output !== 'string') {
          throw invalid('params.output', 'a string', params.output);
        }
        // The binding reads only `status` and `output`: the body is exactly the fields given.
        return params;
      },
      send: (body, nativeOptions, token) => this.#client.updateInvocation(id, body, nativeOptions, token),
      options,
      wrap: fromJsonText,
    });
  }

  /**
   * List invocations, newest first (`GET /invocations`). Await it for the first page, or
   * `for await` over it for every invocation of every page.
   */
  list(params, options) {
    const fetchPage = (query, requestOptions) =>
      this.#call({
        check: () => {
          const given = defined(checkObject('params', query, LIST_PARAMS));
          for (const field of ['action_name', 'app_name', 'deployment_id', 'query', 'since', 'status', 'version']) {
            checkOptionalString(`params.${field}`, given[field]);
          }
          checkOptional('params.limit', given.limit, 'number');
          checkOptional('params.offset', given.offset, 'number');
          return given;
        },
        send: (checked, nativeOptions, token) => this.#client.listInvocations(checked, nativeOptions, token),
        options: requestOptions,
        PromiseClass: PagePromise,
        wrap: (page, nativeResponse) =>
          new RawResult(new OffsetPagination(page, (offset) => fetchPage({ ...query, offset }, requestOptions)), nativeResponse),
      });
    return fetchPage(params ?? {}, options);
  }

  /**
   * Follow an invocation's events (`GET /invocations/{id}/events`, Server-Sent Events).
   * Resolves once the stream is open to an async iterable of `log`, `invocation_state`,
   * `error` and `sse_heartbeat` events; it ends when the invocation does.
   */
  follow(id, params, options) {
    return this.#call({
      check: () => {
        checkId(id);
        const query = defined(checkObject('params', params, FOLLOW_PARAMS));
        checkOptionalString('params.since', query.since);
        return query;
      },
      send: (query, nativeOptions, token) => this.#client.followInvocation(id, query, nativeOptions, token),
      options,
      wrap: (nativeStream, nativeResponse) => {
        const stream = Stream.fromNative(nativeStream, new AbortController(), options?.signal ?? undefined);
        return new RawResult(stream, nativeResponse, {
          // withResponse(): the events are the body; the Response carries status and headers.
          response: (head) => new Response(null, { status: head.status, headers: head.headers }),
          // asResponse(): the raw event-stream bytes instead of events.
          rawResponse: (head) => new Response(stream.toReadableStream(), { status: head.status, headers: head.headers }),
        });
      },
    });
  }

  /** The invocation's active browser sessions (`GET /invocations/{id}/browsers`). */
  listBrowsers(id, options) {
    return this.#call({
      check: () => checkId(id),
      send: (checkedId, nativeOptions, token) => this.#client.listInvocationBrowsers(checkedId, nativeOptions, token),
      options,
    });
  }

  /** Delete the invocation's browser sessions (`DELETE /invocations/{id}/browsers`). */
  deleteBrowsers(id, options) {
    return this.#call({
      check: () => checkId(id),
      send: (checkedId, nativeOptions, token) => this.#client.deleteInvocationBrowsers(checkedId, nativeOptions, token),
      options,
    });
  }
}

module.exports = { Invocations };
