'use strict';
// Runs one native call: abort-signal wiring, log records, and failures into error classes.

const { CancelToken, NativeFailure } = require('../index.js');
const { RawResult } = require('./api-promise');
const { APIUserAbortError, errorFromFailure, internalError } = require('./errors');
const { emitRecords } = require('./logging');

/**
 * Starts `invoke(nativeOptions, cancelToken)`, which resolves to `[data, NativeResponse]` or a
 * NativeFailure, and resolves to a RawResult. The signal is watched with addEventListener, so
 * the caller's own listeners keep working.
 *
 * @param {{ native: object | undefined, signal: AbortSignal | undefined }} request
 * @param {{ logger: object, logLevel: string }} log
 * @param {(data: unknown, native: object) => RawResult} [wrap] builds the result (streams)
 */
async function callNative(invoke, request, log, wrap = (data, native) => new RawResult(data, native)) {
  const { native, signal } = request;
  if (signal === undefined) return settle(await start(invoke, native, undefined), log, wrap);
  if (signal.aborted) throw new APIUserAbortError();
  const token = new CancelToken();
  const onAbort = () => token.cancel();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    return settle(await start(invoke, native, token), log, wrap);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

function start(invoke, native, token) {
  try {
    return invoke(native, token).catch((cause) => {
      throw internalError(cause);
    });
  } catch (cause) {
    return Promise.reject(internalError(cause));
  }
}

function settle(result, log, wrap) {
  if (result instanceof NativeFailure) {
    emitRecords(log.logger, log.logLevel, result.takeLogs());
    throw errorFromFailure(result);
  }
  const [data, response] = result;
  emitRecords(log.logger, log.logLevel, response.takeLogs());
  return wrap(data, response);
}

module.exports = { callNative };
