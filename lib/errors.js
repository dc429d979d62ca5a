'use strict';
// The error classes of @onkernel/sdk, and the one place native failures become them.

class KernelError extends Error {}

/**
 * The message of an APIError, `"<status> <server message>"`, as @onkernel/sdk makes it. The
 * core builds it (`api_error_message`), for its own failures and for errors JS code makes.
 * Outside the class: a class that names itself in its body loses its name in the bundle.
 */
function apiErrorMessage(status, error, message) {
  // Loaded here, not at the top: native.js needs this module to report a missing binary.
  const native = require('./native');
  return native.apiErrorMessage(typeof status === 'number' ? status : undefined, error ?? undefined, message ?? undefined);
}

class APIError extends KernelError {
  /**
   * Same signature as @onkernel/sdk: the message is `"<status> <server message>"`.
   */
  constructor(status, error, message, headers) {
    super(apiErrorMessage(status, error, message));
    /** HTTP status for the response that caused the error. */
    this.status = status;
    /** HTTP headers for the response that caused the error. */
    this.headers = headers;
    /** JSON body of the response that caused the error. */
    this.error = error;
  }

  static makeMessage(status, error, message) {
    return apiErrorMessage(status, error, message);
  }
}

class APIUserAbortError extends APIError {
  constructor({ message } = {}) {
    super(undefined, undefined, message || 'Request was aborted.', undefined);
  }
}

class APIConnectionError extends APIError {
  constructor({ message, cause } = {}) {
    super(undefined, undefined, message || 'Connection error.', undefined);
    if (cause) this.cause = cause;
  }
}

class APIConnectionTimeoutError extends APIConnectionError {
  constructor({ message } = {}) {
    super({ message: message ?? 'Request timed out.' });
  }
}

class BadRequestError extends APIError {}
class AuthenticationError extends APIError {}
class PermissionDeniedError extends APIError {}
class NotFoundError extends APIError {}
class ConflictError extends APIError {}
class UnprocessableEntityError extends APIError {}
class RateLimitError extends APIError {}
class InternalServerError extends APIError {}

const errorClasses = {
  KernelError,
  APIError,
  APIUserAbortError,
  APIConnectionError,
  APIConnectionTimeoutError,
  BadRequestError,
  AuthenticationError,
  PermissionDeniedError,
  NotFoundError,
  ConflictError,
  UnprocessableEntityError,
  RateLimitError,
  InternalServerError,
};

// `err.name` is the class name, on the prototype so it is not an own property of each error.
for (const [name, cls] of Object.entries(errorClasses)) {
  Object.defineProperty(cls.prototype, 'name', { value: name, writable: true, configurable: true });
}

const byStatus = {
  400: BadRequestError,
  401: AuthenticationError,
  403: PermissionDeniedError,
  404: NotFoundError,
  409: ConflictError,
  422: UnprocessableEntityError,
  429: RateLimitError,
};

function apiErrorClass(status) {
  return byStatus[status] ?? (status >= 500 ? InternalServerError : APIError);
}

/** Turns a `NativeFailure` from the binding into the public error it stands for. */
function errorFromFailure(failure) {
  const error = publicError(failure);
  error.code = failure.code;
  const field = failure.field;
  if (field !== null && field !== undefined) error.field = field;
  return error;
}

function publicError(failure) {
  const message = failure.message;
  switch (failure.kind) {
    case 'APIError': {
      const status = failure.status;
      const ErrorClass = apiErrorClass(status);
      return new ErrorClass(status, failure.body ?? undefined, failure.text ?? undefined, new Headers(failure.headers));
    }
    case 'APIConnectionError':
      return new APIConnectionError({ message });
    case 'APIConnectionTimeoutError':
      return new APIConnectionTimeoutError({ message });
    case 'APIUserAbortError':
      return new APIUserAbortError({ message });
    default:
      return new KernelError(message);
  }
}

/** A throw or rejection from the binding itself (a contained Rust panic, a conversion bug). */
function internalError(cause) {
  const detail = cause instanceof Error ? cause.message : String(cause);
  const error = new KernelError(`Internal error in kernel-native: ${detail}`, { cause });
  error.code = 'ERR_KERNEL_INTERNAL';
  return error;
}

module.exports = { ...errorClasses, errorClasses, errorFromFailure, internalError };
