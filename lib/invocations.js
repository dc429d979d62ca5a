'use strict';
// client.invocations: the calls on /invocations, with the names of @onkernel/sdk.

const { callNative } = require('./call');
const { APIPromise, OffsetPagination, PagePromise, RawResult, Stream } = require('./results');
const { checkId, checkObject, checkOptional, checkOptionalString, checkRequestOptions, invalid } = require('./validate');

const CREATE_PARAMS = ['action_name', 'app_name', 'version', 'async', 'async_timeout_seconds', 'payload'];
const UPDATE_PARAMS = ['status', 'output'];
const LIST_PARAMS = ['action_name', 'app_name', 'deployment_id', 'query', 'since', 'status', 'version', 'limit', 'offset'];
const FOLLOW_PARAMS = ['since'];

function requiredString(field, value) {
  if (typeof value !== 'string') throw invalid(field, 'a string', value);
}

/** Drops fields given as undefined, so the body holds exactly the given fields. */
function defined(params) {
  const out = {};
  for (const [key, value] of Object.entries(params)) if (value !== undefined) out[key] = value;
  return out;
}

class Invocations {
  #native;
  #log;

  /** @param native NativeClient  @param log { logger, logLevel } */
  constructor(native, log) {
    this.#native = native;
    this.#log = log;
  }

  /** Runs a call whose arguments are checked by `prepare` first (a throw there sends nothing). */
  #call(prepare, invoke, options, PromiseClass = APIPromise, wrap = undefined) {
    let raw;
    try {
      const args = prepare();
      let request = checkRequestOptions(options);
      if (this.#log.wantsRecords) request = { native: { ...request.native, log: true }, signal: request.signal };
      raw = callNative((native, token) => invoke(args, native, token), request, this.#log, wrap);
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
    return this.#call(
      () => {
        if (params === undefined || params === null) throw invalid('params', 'an object', params);
        const given = defined(checkObject('params', params, CREATE_PARAMS, { required: true }));
        for (const field of ['action_name', 'app_name', 'version']) requiredString(`params.${field}`, given[field]);
        checkOptional('params.async', given.async, 'boolean');
        checkOptional('params.async_timeout_seconds', given.async_timeout_seconds, 'number');
        checkOptional('params.payload', given.payload, 'string');
        return given;
      },
      (body, native, token) => this.#native.createInvocation(body, native, token),
      options,
    );
  }

  /** Get details about an invocation's status and output (`GET /invocations/{id}`). */
  retrieve(id, options) {
    return this.#call(
      () => checkId(id),
      (checkedId, native, token) => this.#native.retrieveInvocation(checkedId, native, token),
      options,
    );
  }

  /**
   * Update an invocation's status or output (`PATCH /invocations/{id}`); a status of
   * "failed" also cancels it.
   */
  update(id, params, options) {
    return this.#call(
      () => {
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
      (body, native, token) => this.#native.updateInvocation(id, body, native, token),
      options,
    );
  }

  /**
   * List invocations, newest first (`GET /invocations`). Await it for the first page, or
   * `for await` over it for every invocation of every page.
   */
  list(params, options) {
    const fetchPage = (query, requestOptions) =>
      this.#call(
        () => {
          const given = defined(checkObject('params', query, LIST_PARAMS));
          for (const field of ['action_name', 'app_name', 'deployment_id', 'query', 'since', 'status', 'version']) {
            checkOptionalString(`params.${field}`, given[field]);
          }
          checkOptional('params.limit', given.limit, 'number');
          checkOptional('params.offset', given.offset, 'number');
          return given;
        },
        (checked, native, token) => this.#native.listInvocations(checked, native, token),
        requestOptions,
        PagePromise,
        (page, native) =>
          new RawResult(new OffsetPagination(page, (offset) => fetchPage({ ...query, offset }, requestOptions)), native),
      );
    return fetchPage(params ?? {}, options);
  }

  /**
   * Follow an invocation's events (`GET /invocations/{id}/events`, Server-Sent Events).
   * Resolves once the stream is open to an async iterable of `log`, `invocation_state`,
   * `error` and `sse_heartbeat` events; it ends when the invocation does.
   */
  follow(id, params, options) {
    return this.#call(
      () => {
        checkId(id);
        const query = defined(checkObject('params', params, FOLLOW_PARAMS));
        checkOptionalString('params.since', query.since);
        return query;
      },
      (query, native, token) => this.#native.followInvocation(id, query, native, token),
      options,
      APIPromise,
      (nativeStream, native) => {
        const stream = new Stream(nativeStream, new AbortController(), options?.signal ?? undefined);
        return new RawResult(stream, native, {
          // withResponse(): the events are the body; the Response carries status and headers.
          response: (head) => new Response(null, { status: head.status, headers: head.headers }),
          // asResponse(): the raw event-stream bytes instead of events.
          rawResponse: (head) => new Response(stream.toReadableStream(), { status: head.status, headers: head.headers }),
        });
      },
    );
  }

  /** The invocation's active browser sessions (`GET /invocations/{id}/browsers`). */
  listBrowsers(id, options) {
    return this.#call(
      () => checkId(id),
      (checkedId, native, token) => this.#native.listInvocationBrowsers(checkedId, native, token),
      options,
    );
  }

  /** Delete the invocation's browser sessions (`DELETE /invocations/{id}/browsers`). */
  deleteBrowsers(id, options) {
    return this.#call(
      () => checkId(id),
      (checkedId, native, token) => this.#native.deleteInvocationBrowsers(checkedId, native, token),
      options,
    );
  }
}

module.exports = { Invocations };
