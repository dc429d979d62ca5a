'use strict';
// Runs one native call: abort-signal wiring, and turning failures into error classes.

const { CancelToken, NativeFailure } = require('../index.js');
const { APIUserAbortError, errorFromFailure, internalError } = require('./errors');

/**
 * `invoke(nativeOptions, cancelToken)` starts the native call. The signal is watched with
 * addEventListener, so listeners the caller put on it keep working.
 */
async function callNative(invoke, { native, signal }) {
  if (signal === undefined) return settle(await start(invoke, native, undefined));
  if (signal.aborted) throw new APIUserAbortError();
  const token = new CancelToken();
  const onAbort = () => token.cancel();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    return settle(await start(invoke, native, token));
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

function settle(result) {
  if (result instanceof NativeFailure) throw errorFromFailure(result);
  return result;
}

module.exports = { callNative };
