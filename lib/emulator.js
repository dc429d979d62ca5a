'use strict';
// kernel-native/emulator: the local Kernel API emulator, in-process on the addon's runtime.

const { NativeFailure, startEmulator: startNative } = require('./native');
const { errorFromFailure } = require('./errors');
const { invalidInput } = require('./validate');
const { checkObject, checkOptional, checkOptionalString, normalizeHeaders } = require('./validate');

const OPTIONS = ['apiKey', 'port', 'host', 'heartbeatMs'];
const FAULT = ['method', 'path', 'status', 'headers', 'body', 'delayMs', 'drop', 'dropAfter', 'times', 'rate'];

// Only JS types are checked here. The limits (ranges, whole numbers, a blank apiKey) and their
// messages live in the emulator crate (crates/kernel-emulator/src/limits.rs); numbers cross the
// binding as JS numbers, so none is wrapped to 32 bits on the way.

/** The value, or the error a NativeFailure stands for, thrown. */
function unwrap(result) {
  if (result instanceof NativeFailure) throw errorFromFailure(result);
  return result;
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
    checkOptional('fault.status', fault.status, 'number');
    checkOptional('fault.delayMs', fault.delayMs, 'number');
    checkOptional('fault.times', fault.times, 'number');
    checkOptional('fault.drop', fault.drop, 'boolean');
    checkOptional('fault.dropAfter', fault.dropAfter, 'boolean');
    checkOptional('fault.rate', fault.rate, 'number');
    const headers = normalizeHeaders('fault.headers', fault.headers);
    if (headers && Object.values(headers).includes(null)) {
      throw invalidInput('fault.headers', 'values must be strings');
    }
    unwrap(this.#native.fault({ ...fault, headers }) ?? undefined);
  }

  /**
   * Every mutation (POST, PATCH, DELETE) applied so far, oldest first. A request replayed for
   * a repeated `Idempotency-Key` was not applied again and is not listed again.
   */
  journal() {
    return unwrap(this.#native.journal());
  }

  /** How many faults fired so far. */
  get faultsFired() {
    return unwrap(this.#native.faultsFired);
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
  const settings = given(checkObject('emulator options', options, OPTIONS, { keys: 'bare' }));
  checkOptionalString('apiKey', settings.apiKey);
  checkOptionalString('host', settings.host);
  checkOptional('port', settings.port, 'number');
  checkOptional('heartbeatMs', settings.heartbeatMs, 'number');
  return new Emulator(unwrap(await startNative(settings)));
}

module.exports = { startEmulator, Emulator };
