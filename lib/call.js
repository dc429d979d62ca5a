'use strict';
// Runs one native call: abort-signal wiring, log records, and failures into error classes.
// This is the hot path of every call: it allocates as little as it can (one `then`, no async
// functions unless a signal is given).

const { CancelToken, NativeFailure } = require('./native');
const { RawResult } = require('./api-promise');
const { APIUserAbortError, errorFromFailure, internalError } = require('./errors');
const { emitRecords } = require('./logging');

const plainResult = (data, nativeResponse) => new RawResult(data, nativeResponse);

/**
 * Starts `invoke(nativeOptions, cancelToken)`, which resolves to `[data, NativeResponse]` (or,
 * for answers JS parses, `[text, head, logs?]`) or a NativeFailure, and returns a promise of a
 * RawResult. The signal is watched with
 * addEventListener, so the caller's own listeners keep working.
 *
 * @param {{ nativeOptions: object | undefined, signal: AbortSignal | undefined }} request
 * @param {{ logger: object, logLevel: string, wantsRecords: boolean }} log
 * @param {(...result: unknown[]) => RawResult} [wrap] builds the result from the resolved array
 *   (pages, streams, JSON text)
 */
function callNative(invoke, request, log, wrap = plainResult) {
  const settle = (result) => {
    if (result instanceof NativeFailure) {
      if (log.wantsRecords) emitRecords(log.logger, log.logLevel, result.takeLogs());
      throw errorFromFailure(result);
    }
    const raw = wrap(result[0], result[1], result[2]);
    if (log.wantsRecords) emitRecords(log.logger, log.logLevel, raw.nativeResponse.takeLogs());
    return raw;
  };
  const { nativeOptions, signal } = request;
  if (signal === undefined) return start(invoke, nativeOptions, undefined, settle);
  if (signal.aborted) return Promise.reject(new APIUserAbortError());
  const token = new CancelToken();
  const onAbort = () => token.cancel();
  signal.addEventListener('abort', onAbort, { once: true });
  const stopWatching = () => signal.removeEventListener('abort', onAbort);
  return start(invoke, nativeOptions, token, settle).finally(stopWatching);
}

/**
 * Calls into the binding and settles its promise with one `then`: the binding resolves with
 * a result or a NativeFailure, and rejects only if it failed itself (an internal error).
 */
function start(invoke, nativeOptions, token, settle) {
  try {
    return invoke(nativeOptions, token).then(settle, rethrowInternal);
  } catch (cause) {
    return Promise.reject(internalError(cause));
  }
}

function rethrowInternal(cause) {
  throw internalError(cause);
}

module.exports = { callNative };
