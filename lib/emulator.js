'use strict';
// kernel-native/emulator: the local Kernel API emulator, in-process on the addon's runtime.

const { startEmulator: startNative } = require('../index.js');
const { KernelError } = require('./errors');
const { checkObject, checkOptional, checkOptionalString, normalizeHeaders } = require('./validate');

const OPTIONS = ['apiKey', 'port', 'host', 'heartbeatMs'];
const FAULT = ['method', 'path', 'status', 'headers', 'body', 'delayMs', 'drop', 'times'];

function checkCount(field, value) {
  checkOptional(field, value, 'number');
  if (value !== undefined && (!Number.isInteger(value) || value < 0)) {
    throw new KernelError(`Invalid ${field}: expected a non-negative integer, got ${value}`);
  }
}

class Emulator {
  #native;

  constructor(native) {
    this.#native = native;
  }

  /** `http://127.0.0.1:<port>`: pass it as `baseURL`. */
  get url() {
    return this.#native.url;
  }

  /** The bearer token it accepts: pass it as `apiKey`. */
  get apiKey() {
    return this.#native.apiKey;
  }

  /** Makes the next `spec.times` (default 1) matching requests misbehave. */
  fault(spec) {
    const given = checkObject('fault', spec, FAULT, { required: true });
    checkOptionalString('fault.method', given.method);
    checkOptionalString('fault.path', given.path);
    for (const field of ['status', 'delayMs', 'times']) checkCount(`fault.${field}`, given[field]);
    checkOptional('fault.drop', given.drop, 'boolean');
    const headers = normalizeHeaders('fault.headers', given.headers);
    try {
      this.#native.fault({ ...given, headers });
    } catch (cause) {
      throw new KernelError(cause.message);
    }
  }

  /** Stops listening and ends every open connection; the port is free when it resolves. */
  async close() {
    await this.#native.close();
  }
}

/**
 * Starts an emulator on 127.0.0.1 (any free port by default) and resolves once it listens.
 */
async function startEmulator(options = {}) {
  const given = checkObject('emulator options', options, OPTIONS);
  checkOptionalString('apiKey', given.apiKey);
  checkOptionalString('host', given.host);
  checkCount('port', given.port);
  checkCount('heartbeatMs', given.heartbeatMs);
  try {
    return new Emulator(await startNative(given));
  } catch (cause) {
    throw new KernelError(cause.message);
  }
}

module.exports = { startEmulator, Emulator };
