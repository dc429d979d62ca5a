'use strict';
// kernel-native/emulator: the local Kernel API emulator, in-process on the addon's runtime.

const { startEmulator: startNative } = require('./native');
const { KernelError } = require('./errors');
const { checkObject, checkOptional, checkOptionalString, normalizeHeaders } = require('./validate');

const OPTIONS = ['apiKey', 'port', 'host', 'heartbeatMs'];
const FAULT = ['method', 'path', 'status', 'headers', 'body', 'delayMs', 'drop', 'dropAfter', 'times', 'rate'];

const MAX_INT32 = 2 ** 31 - 1;

/** An optional integer in [min, max]; checked here because the binding takes 32-bit numbers. */
function checkInteger(field, value, min, max) {
  checkOptional(field, value, 'number');
  if (value !== undefined && (!Number.isInteger(value) || value < min || value > max)) {
    throw new KernelError(`Invalid ${field}: expected an integer from ${min} to ${max}, got ${value}`);
  }
}

/** Drops `null` and `undefined` fields: both mean "not given". */
function given(object) {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== null && value !== undefined));
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
    const fault = given(checkObject('fault', spec, FAULT, { required: true }));
    checkOptionalString('fault.method', fault.method);
    checkOptionalString('fault.path', fault.path);
    checkInteger('fault.status', fault.status, 200, 599);
    checkInteger('fault.delayMs', fault.delayMs, 0, MAX_INT32);
    checkInteger('fault.times', fault.times, 1, MAX_INT32);
    checkOptional('fault.drop', fault.drop, 'boolean');
    checkOptional('fault.dropAfter', fault.dropAfter, 'boolean');
    checkOptional('fault.rate', fault.rate, 'number'); // its range is checked by the emulator
    const headers = normalizeHeaders('fault.headers', fault.headers);
    if (headers && Object.values(headers).includes(null)) {
      throw new KernelError('Invalid fault.headers: values must be strings');
    }
    try {
      this.#native.fault({ ...fault, headers });
    } catch (cause) {
      throw new KernelError(cause.message);
    }
  }

  /**
   * Every mutation (POST, PATCH, DELETE) applied so far, oldest first. A request replayed for
   * a repeated `Idempotency-Key` was not applied again and is not listed again.
   */
  journal() {
    return this.#native.journal();
  }

  /** How many faults fired so far. */
  get faultsFired() {
    return this.#native.faultsFired;
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
  const settings = given(checkObject('emulator options', options, OPTIONS));
  checkOptionalString('apiKey', settings.apiKey);
  if (settings.apiKey !== undefined && settings.apiKey.trim() === '') {
    throw new KernelError('Invalid apiKey: must not be blank (omit it for a random key)');
  }
  checkOptionalString('host', settings.host);
  checkInteger('port', settings.port, 0, 65535);
  checkInteger('heartbeatMs', settings.heartbeatMs, 1, MAX_INT32);
  try {
    return new Emulator(await startNative(settings));
  } catch (cause) {
    throw new KernelError(cause.message);
  }
}

module.exports = { startEmulator, Emulator };
