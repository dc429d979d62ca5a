'use strict';
// The Kernel class: reads options and the environment, then hands everything to the binding.

const { NativeFailure, clientDefaults, createNativeClient } = require('./native');
const { errorClasses, errorFromFailure } = require('./errors');
const { Invocations } = require('./invocations');
const { APIPromise } = require('./api-promise');
const { OffsetPagination, PagePromise } = require('./pagination');
const { Stream } = require('./streaming');
const { checkLogger, resolveLogLevel, wantsCallLogs } = require('./logging');
const { checkObject, checkOptional, checkOptionalString, invalidInput, normalizeHeaders } = require('./validate');

// The core's defaults: the one home of the timeout, retries and environment URLs is config.rs.
const DEFAULTS = clientDefaults();
const CLIENT_OPTIONS = [
  'apiKey',
  'baseURL',
  'environment',
  'timeout',
  'maxRetries',
  'defaultHeaders',
  'projectID',
  'logLevel',
  'logger',
  'maxResponseBytes',
  'ca',
  'proxy',
  'idempotencyKeys',
];

/**
 * Native clients are immutable, so clients with the same settings share one: code that makes
 * a `new Kernel()` per request (serverless handlers do) allocates nothing native after the
 * first. Entries go when their client is garbage-collected. The key holds the API key, which
 * this process already holds; it is never logged or shown.
 */
const nativeClients = new Map();
const forgetNativeClient = new FinalizationRegistry((key) => {
  if (!nativeClients.get(key)?.deref()) nativeClients.delete(key);
});

function nativeClientFor(settings) {
  const key = JSON.stringify(settings);
  const cached = nativeClients.get(key)?.deref();
  if (cached) return cached;
  const native = createNativeClient(settings);
  if (native instanceof NativeFailure) throw errorFromFailure(native);
  nativeClients.set(key, new WeakRef(native));
  forgetNativeClient.register(native, key);
  return native;
}

/** `ca` as one PEM text: a string, a Buffer, or an array of them. */
function normalizeCertificates(ca) {
  if (ca === undefined || ca === null) return undefined;
  const parts = Array.isArray(ca) ? ca : [ca];
  const texts = parts.map((part, index) => {
    if (typeof part === 'string') return part;
    if (part instanceof Uint8Array) return Buffer.from(part.buffer, part.byteOffset, part.byteLength).toString('utf8');
    const where = Array.isArray(ca) ? `ca[${index}]` : 'ca';
    throw invalidInput(where, `expected PEM text as a string or Buffer, got ${typeof part}`);
  });
  if (texts.length === 0) throw invalidInput('ca', 'expected at least one PEM certificate');
  return texts.join('\n');
}

/** Like @onkernel/sdk: trimmed, and empty counts as unset. */
function readEnv(name) {
  return process.env[name]?.trim() || undefined;
}

class Kernel {
  #apiKey;
  #options;

  /**
   * @param {import('./types').ClientOptions} [options]
   */
  constructor(options = {}) {
    const given = checkObject('client options', options, CLIENT_OPTIONS, { keys: 'bare' });
    checkOptionalString('apiKey', given.apiKey);
    checkOptionalString('baseURL', given.baseURL);
    checkOptionalString('environment', given.environment);
    checkOptionalString('projectID', given.projectID);
    checkOptional('timeout', given.timeout, 'number');
    checkOptional('maxRetries', given.maxRetries, 'number');
    checkOptional('maxResponseBytes', given.maxResponseBytes, 'number');
    checkOptional('idempotencyKeys', given.idempotencyKeys, 'boolean');
    checkOptionalString('proxy', given.proxy);
    const ca = normalizeCertificates(given.ca);
    const defaultHeaders = normalizeHeaders('defaultHeaders', given.defaultHeaders);
    const logger = checkLogger(given.logger);
    const logLevel = resolveLogLevel(given.logLevel, logger);

    const apiKey = given.apiKey === undefined ? readEnv('KERNEL_API_KEY') : given.apiKey;
    const baseURL = given.baseURL === undefined ? readEnv('KERNEL_BASE_URL') : given.baseURL;
    // As in @onkernel/sdk, defaultHeaders come after the project header, and null removes.
    const headers = given.projectID ? { 'x-kernel-project-id': given.projectID } : {};
    Object.assign(headers, defaultHeaders);

    const native = nativeClientFor({
        apiKey: apiKey ?? undefined,
        baseURL: baseURL ?? undefined,
        environment: given.environment ?? undefined,
        timeout: given.timeout,
        maxRetries: given.maxRetries,
        defaultHeaders: headers,
        maxResponseBytes: given.maxResponseBytes,
        ca,
        proxy: given.proxy ?? undefined,
        noProxy: given.proxy === null ? true : undefined,
        idempotencyKeys: given.idempotencyKeys,
      });
    this.#apiKey = apiKey;
    this.#options = { ...given, apiKey, baseURL };
    /** The API root requests go to. */
    this.baseURL = baseURL || native.baseUrl;
    /** Per-attempt timeout in milliseconds. */
    this.timeout = given.timeout ?? DEFAULTS.timeoutMs;
    /** Retries after the first attempt. */
    this.maxRetries = given.maxRetries ?? DEFAULTS.maxRetries;
    /** The logger calls are reported to (default `console`). */
    this.logger = logger;
    /** `'debug' | 'info' | 'warn' | 'error' | 'off'`. */
    this.logLevel = logLevel;
    const log = { logger, logLevel, wantsRecords: wantsCallLogs(logLevel) };
    /** Invoke actions and stream or query invocation status and events. */
    this.invocations = new Invocations(native, log);
  }

  /**
   * A new client with these options over this one's; it shares the connection pool.
   * @example const quick = client.withOptions({ timeout: 5_000, maxRetries: 0 });
   */
  withOptions(options) {
    const overrides = checkObject('options', options, CLIENT_OPTIONS, { keys: 'bare' });
    const merged = { ...this.#options, ...overrides };
    // A new baseURL or environment replaces the old choice of URL.
    if ('environment' in overrides && !('baseURL' in overrides)) merged.baseURL = null;
    return new this.constructor(merged);
  }

  /** The API key; a getter, so `util.inspect(client)` and `JSON.stringify` never show it. */
  get apiKey() {
    return this.#apiKey;
  }
}

Kernel.DEFAULT_TIMEOUT = DEFAULTS.timeoutMs;
Kernel.Kernel = Kernel;
Kernel.default = Kernel;
Object.assign(Kernel, errorClasses, { APIPromise, PagePromise, OffsetPagination, Stream, Invocations });

module.exports = { Kernel };
