'use strict';
// Type checks for what callers pass, so every mistake is a KernelError naming the field and
// nothing is sent. Checks of meaning (status values, ranges) are made by the Rust core.

const { KernelError } = require('./errors');

/**
 * The code of a bad argument, the same as the core's `Error::InvalidInput` carries across
 * (errors.test.js checks that they agree).
 */
const INVALID_INPUT = 'ERR_KERNEL_INVALID_INPUT';

function describe(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? `the string ${JSON.stringify(value)}` : `a ${typeof value}`;
}

/** The error for a value of the wrong JS type; `field` names it as the caller spells it. */
function invalid(field, expected, value) {
  return invalidInput(field, `expected ${expected}, got ${describe(value)}`);
}

function invalidInput(field, reason) {
  const error = new KernelError(`Invalid ${field}: ${reason}`);
  error.code = INVALID_INPUT;
  error.field = field;
  return error;
}

function isPlainObject(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Throws unless `value` is undefined or a plain object with only `allowed` keys. An unknown
 * key is the field at fault: `params.appName`, or the bare name for the top-level options
 * objects (`keys: 'bare'`), whose keys are the option names themselves.
 */
function checkObject(field, value, allowed, { required = false, keys = 'nested' } = {}) {
  if ((value === undefined || value === null) && !required) return {};
  if (!isPlainObject(value)) throw invalid(field, 'an object', value);
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      const error = invalidInput(field, `unknown field ${JSON.stringify(key)} (known: ${allowed.join(', ')})`);
      error.field = keys === 'bare' ? key : `${field}.${key}`;
      throw error;
    }
  }
  return value;
}

function checkOptional(field, value, type) {
  if (value !== undefined && typeof value !== type) throw invalid(field, `a ${type}`, value);
}

function checkOptionalString(field, value) {
  if (value !== undefined && value !== null && typeof value !== 'string') {
    throw invalid(field, 'a string', value);
  }
}

// A UTF-16 half with no other half: the binding would turn it into U+FFFD, a different id.
const LONE_SURROGATE = /\p{Surrogate}/u;

/**
 * A well-formed string; whether it is a usable id (not empty, not `.`, not too long) the core
 * decides. Well-formedness is a property of JS strings, which the core never sees.
 */
function checkId(id) {
  if (typeof id !== 'string') throw invalid('id', 'a non-empty string', id);
  if (LONE_SURROGATE.test(id)) {
    throw invalidInput('id', 'it holds a lone UTF-16 surrogate, which no URL can carry (it would become U+FFFD, another id)');
  }
  return id;
}

/**
 * Normalises a HeadersLike (plain object, `Headers`, or `[name, value]` pairs) into an object
 * with lower-case names; `null` values are kept, meaning "remove this header".
 */
function normalizeHeaders(field, headers) {
  if (headers === undefined || headers === null) return undefined;
  let entries;
  if (typeof Headers !== 'undefined' && headers instanceof Headers) {
    entries = [...headers.entries()];
  } else if (Array.isArray(headers)) {
    entries = headers.map((pair, index) => {
      if (!Array.isArray(pair) || pair.length !== 2) {
        throw invalid(`${field}[${index}]`, 'a [name, value] pair', pair);
      }
      return pair;
    });
  } else if (isPlainObject(headers)) {
    entries = Object.entries(headers);
  } else {
    throw invalid(field, 'an object, a Headers or an array of [name, value] pairs', headers);
  }
  const normalized = {};
  for (const [name, value] of entries) {
    if (typeof name !== 'string') throw invalid(field, 'header names that are strings', name);
    if (value === undefined) continue;
    if (value !== null && typeof value !== 'string') {
      throw invalid(`${field}[${JSON.stringify(name)}]`, 'a string or null', value);
    }
    normalized[name.toLowerCase()] = value;
  }
  return normalized;
}

function isAbortSignal(value) {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof value.aborted === 'boolean' &&
    typeof value.addEventListener === 'function' &&
    typeof value.removeEventListener === 'function'
  );
}

const REQUEST_OPTIONS = ['timeout', 'maxRetries', 'headers', 'signal', 'idempotencyKey'];

/** Splits request options into what the binding takes and the signal the JS layer handles. */
const NO_OPTIONS = Object.freeze({ nativeOptions: undefined, signal: undefined });

function checkRequestOptions(options) {
  if (options === undefined || options === null) return NO_OPTIONS;
  const given = checkObject('options', options, REQUEST_OPTIONS);
  checkOptional('options.timeout', given.timeout, 'number');
  checkOptional('options.maxRetries', given.maxRetries, 'number');
  const signal = given.signal ?? undefined;
  if (signal !== undefined && !isAbortSignal(signal)) {
    throw invalid('options.signal', 'an AbortSignal', signal);
  }
  const headers = normalizeHeaders('options.headers', given.headers);
  const idempotencyKey = given.idempotencyKey ?? undefined;
  checkOptionalString('options.idempotencyKey', idempotencyKey);
  if (
    given.timeout === undefined &&
    given.maxRetries === undefined &&
    headers === undefined &&
    idempotencyKey === undefined
  ) {
    return { nativeOptions: undefined, signal };
  }
  return {
    nativeOptions: { timeout: given.timeout, maxRetries: given.maxRetries, headers, idempotencyKey },
    signal,
  };
}

module.exports = {
  checkObject,
  checkOptional,
  checkOptionalString,
  checkId,
  checkRequestOptions,
  normalizeHeaders,
  invalid,
  invalidInput,
};
