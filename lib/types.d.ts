// Public TypeScript declarations of kernel-native. The data shapes (Invocation, the params and
// the status unions) are generated from the Rust definitions into ../index.d.ts and re-exported
// here; this file declares the hand-written JS layer around them.
import type {
  Invocation,
  InvocationStatus,
  InvocationUpdateParams,
  InvocationUpdateStatus,
} from '../index.js';

export type { Invocation, InvocationStatus, InvocationUpdateParams, InvocationUpdateStatus };

/** The result of `client.invocations.update()`, named as in @onkernel/sdk. */
export type InvocationUpdateResponse = Invocation;

/** Headers as a plain object, a `Headers` or `[name, value]` pairs; `null` removes a header. */
export type HeadersLike =
  | Headers
  | ReadonlyArray<readonly [string, string | null | undefined]>
  | Record<string, string | null | undefined>;

export interface ClientOptions {
  /** Defaults to `process.env['KERNEL_API_KEY']`. */
  apiKey?: string | undefined;
  /**
   * Override the default base URL for the API, e.g. `"https://api.example.com/v2/"`; a path
   * prefix is kept. Defaults to `process.env['KERNEL_BASE_URL']`, else the environment's URL.
   * Pass `null` to ignore `KERNEL_BASE_URL` and use `environment`.
   */
  baseURL?: string | null | undefined;
  /**
   * - `production`: `https://api.onkernel.com/` (the default)
   * - `development`: `https://localhost:3001/`
   */
  environment?: 'production' | 'development' | undefined;
  /**
   * Time limit in milliseconds for one attempt (connect, headers and the whole body). Timed
   * out attempts are retried. Default 60 000.
   * @unit milliseconds
   */
  timeout?: number | undefined;
  /** Retries after the first attempt for connection errors, timeouts, 408, 409, 429, 5xx. Default 2. */
  maxRetries?: number | undefined;
  /** Headers sent with every request; per-request `headers` win over them. */
  defaultHeaders?: HeadersLike | undefined;
  /** Sent as `X-Kernel-Project-Id`. */
  projectID?: string | null | undefined;
}

export interface RequestOptions {
  /** Per-attempt time limit in milliseconds for this call. */
  timeout?: number | undefined;
  /** Retries for this call. */
  maxRetries?: number | undefined;
  /** Headers for this call; they win over `defaultHeaders`. `null` removes a header. */
  headers?: HeadersLike | undefined;
  /** Aborting rejects the call with `APIUserAbortError` and closes its connection. */
  signal?: AbortSignal | null | undefined;
}

export declare class KernelError extends Error {}

export declare class APIError<
  TStatus extends number | undefined = number | undefined,
  THeaders extends Headers | undefined = Headers | undefined,
  TError extends Object | undefined = Object | undefined,
> extends KernelError {
  /** HTTP status for the response that caused the error. */
  readonly status: TStatus;
  /** HTTP headers for the response that caused the error. */
  readonly headers: THeaders;
  /** JSON body of the response that caused the error. */
  readonly error: TError;
  constructor(status: TStatus, error: TError, message: string | undefined, headers: THeaders);
}

export declare class APIUserAbortError extends APIError<undefined, undefined, undefined> {
  constructor(options?: { message?: string | undefined });
}
export declare class APIConnectionError extends APIError<undefined, undefined, undefined> {
  constructor(options?: { message?: string | undefined; cause?: Error | undefined });
}
export declare class APIConnectionTimeoutError extends APIConnectionError {
  constructor(options?: { message?: string | undefined });
}
export declare class BadRequestError extends APIError<400, Headers> {}
export declare class AuthenticationError extends APIError<401, Headers> {}
export declare class PermissionDeniedError extends APIError<403, Headers> {}
export declare class NotFoundError extends APIError<404, Headers> {}
export declare class ConflictError extends APIError<409, Headers> {}
export declare class UnprocessableEntityError extends APIError<422, Headers> {}
export declare class RateLimitError extends APIError<429, Headers> {}
export declare class InternalServerError extends APIError<number, Headers> {}

/** Invoke actions and stream or query invocation status and events. */
export declare class Invocations {
  private constructor();
  /**
   * Update an invocation's status or output. This can be used to cancel an invocation by
   * setting the status to "failed".
   *
   * @example
   * ```ts
   * const invocation = await client.invocations.update('id', { status: 'succeeded' });
   * ```
   */
  update(id: string, params: InvocationUpdateParams, options?: RequestOptions): Promise<Invocation>;
}

/** API client for the Kernel API, backed by a Rust core. */
export declare class Kernel {
  /**
   * @example
   * ```ts
   * const client = new Kernel({ apiKey: 'My API Key' });
   * ```
   */
  constructor(options?: ClientOptions);
  /** The API key in use (a getter: never shown by `util.inspect` or `JSON.stringify`). */
  readonly apiKey: string;
  readonly baseURL: string;
  readonly timeout: number;
  readonly maxRetries: number;
  /** Invoke actions and stream or query invocation status and events. */
  readonly invocations: Invocations;

  static readonly Kernel: typeof Kernel;
  static readonly default: typeof Kernel;
  static readonly DEFAULT_TIMEOUT: number;
  static readonly KernelError: typeof KernelError;
  static readonly APIError: typeof APIError;
  static readonly APIConnectionError: typeof APIConnectionError;
  static readonly APIConnectionTimeoutError: typeof APIConnectionTimeoutError;
  static readonly APIUserAbortError: typeof APIUserAbortError;
  static readonly NotFoundError: typeof NotFoundError;
  static readonly ConflictError: typeof ConflictError;
  static readonly RateLimitError: typeof RateLimitError;
  static readonly BadRequestError: typeof BadRequestError;
  static readonly AuthenticationError: typeof AuthenticationError;
  static readonly InternalServerError: typeof InternalServerError;
  static readonly PermissionDeniedError: typeof PermissionDeniedError;
  static readonly UnprocessableEntityError: typeof UnprocessableEntityError;
}
