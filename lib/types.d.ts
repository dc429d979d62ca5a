// Public TypeScript declarations of kernel-native. The data shapes (Invocation, the params and
// the status unions) are generated from the Rust definitions into ../index.d.ts and re-exported
// here; this file declares the hand-written JS layer around them.
import type {
  Invocation,
  InvocationStatus,
  InvocationUpdateParams,
  InvocationUpdateStatus,
  InvocationCreateParams,
  InvocationCreateResponse,
  InvocationListParams,
  InvocationFollowParams,
  InvocationBrowser,
  InvocationListBrowsersResponse,
  LogEvent,
  InvocationStateEvent,
  ErrorEvent,
  ErrorModel,
  ErrorDetail,
  HeartbeatEvent,
} from '../index.js';

export type {
  Invocation,
  InvocationStatus,
  InvocationUpdateParams,
  InvocationUpdateStatus,
  InvocationCreateParams,
  InvocationCreateResponse,
  InvocationListParams,
  InvocationFollowParams,
  InvocationBrowser,
  InvocationListBrowsersResponse,
  LogEvent,
  InvocationStateEvent,
  ErrorEvent,
  ErrorModel,
  ErrorDetail,
  HeartbeatEvent,
};

/** The result of `client.invocations.update()`, named as in @onkernel/sdk. */
export type InvocationUpdateResponse = Invocation;
/** The result of `client.invocations.retrieve()`, named as in @onkernel/sdk. */
export type InvocationRetrieveResponse = Invocation;
/** An item of `client.invocations.list()`, named as in @onkernel/sdk. */
export type InvocationListResponse = Invocation;
/** One event of `client.invocations.follow()`. */
export type InvocationFollowResponse = LogEvent | InvocationStateEvent | ErrorEvent | HeartbeatEvent;

/** `'debug' | 'info' | 'warn' | 'error' | 'off'`: the least severe level that is logged. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'off';

/** Where log lines go; `console` by default. */
export interface Logger {
  debug(message: string, ...rest: unknown[]): void;
  info(message: string, ...rest: unknown[]): void;
  warn(message: string, ...rest: unknown[]): void;
  error(message: string, ...rest: unknown[]): void;
}

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
  /**
   * Requests, responses and retries are logged at `debug`/`info` (credentials redacted).
   * Defaults to `process.env['KERNEL_LOG']`, else `'warn'`.
   */
  logLevel?: LogLevel | undefined;
  /** Defaults to `globalThis.console`. */
  logger?: Logger | undefined;
  /**
   * Largest response body read, in bytes. A bigger success body fails the call with a
   * `KernelError` and reading stops there; an error answer's body is cut at the limit, so the
   * error keeps its status. Default 33 554 432 (32 MiB).
   */
  maxResponseBytes?: number | undefined;
  /**
   * PEM certificates to trust in addition to the default roots (a private CA). The defaults are
   * Node's: Mozilla's root store plus `NODE_EXTRA_CA_CERTS`, and `SSL_CERT_FILE`/`SSL_CERT_DIR`
   * when set. Certificates are always verified; there is no option to turn that off.
   */
  ca?: string | Uint8Array | ReadonlyArray<string | Uint8Array> | undefined;
  /**
   * Send every request through this `http://` or `https://` proxy (credentials in the URL are
   * used, never shown). By default `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY`
   * are honoured; `null` connects directly whatever they say.
   */
  proxy?: string | null | undefined;
  /**
   * Send a fresh `Idempotency-Key` header with every create, update and delete, the same on
   * each retry of that call. Default `false`.
   */
  idempotencyKeys?: boolean | undefined;
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
  /**
   * Sent as the `Idempotency-Key` header on every attempt of this call, so a server that
   * honours it applies the call at most once however often it is retried.
   */
  idempotencyKey?: string | undefined;
}

/** The codes of kernel-native's errors (see the README's Errors section). */
export type KernelErrorCode =
  | 'ERR_KERNEL_INVALID_INPUT'
  | 'ERR_KERNEL_CONFIG'
  | 'ERR_KERNEL_API'
  | 'ERR_KERNEL_CONNECTION'
  | 'ERR_KERNEL_TIMEOUT'
  | 'ERR_KERNEL_ABORTED'
  | 'ERR_KERNEL_STREAM'
  | 'ERR_KERNEL_RESPONSE_TOO_LARGE'
  | 'ERR_KERNEL_DECODE'
  | 'ERR_KERNEL_EMULATOR_LISTEN'
  | 'ERR_KERNEL_EMULATOR_CLOSED'
  | 'ERR_KERNEL_NATIVE_BINARY'
  | 'ERR_KERNEL_NATIVE_RUNTIME'
  | 'ERR_KERNEL_INTERNAL';

export declare class KernelError extends Error {
  /** What failed, to branch on; set on every error kernel-native raises (not on ones you construct). */
  code?: KernelErrorCode;
  /** The argument or option at fault, for `ERR_KERNEL_INVALID_INPUT`. */
  field?: string;
}

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

/**
 * A promise of `T` that also gives the HTTP response, as in @onkernel/sdk.
 */
export declare class APIPromise<T> extends Promise<T> {
  protected constructor();
  /** The raw `Response` (status, headers, body). */
  asResponse(): Promise<Response>;
  /** The data, the raw `Response`, and the server's `x-request-id` (null when not sent). */
  withResponse(): Promise<{ data: T; response: Response; request_id: string | null }>;
}

/** One page of an offset-paginated list. `for await` over it walks this and later pages. */
export declare class OffsetPagination<Item> implements AsyncIterable<Item> {
  private constructor();
  items: Item[];
  /** `X-Has-More`, or null when the server did not send it. */
  has_more: boolean | null;
  /** `X-Next-Offset`: the absolute offset of the next page, 0 on the last; null when absent. */
  next_offset: number | null;
  getPaginatedItems(): Item[];
  hasNextPage(): boolean;
  getNextPage(): Promise<OffsetPagination<Item>>;
  iterPages(): AsyncGenerator<OffsetPagination<Item>>;
  [Symbol.asyncIterator](): AsyncIterator<Item>;
}

/** A promise of the first page that can also be iterated for every item of every page. */
export declare class PagePromise<Page extends OffsetPagination<Item>, Item>
  extends APIPromise<Page>
  implements AsyncIterable<Item>
{
  [Symbol.asyncIterator](): AsyncIterator<Item>;
}

/** Events as they arrive; the iteration ends when the server ends the stream. */
export declare class Stream<Item> implements AsyncIterable<Item> {
  private constructor();
  /** Aborting it closes the stream. */
  controller: AbortController;
  /** Iterate once; a second iteration throws a `KernelError` (use `tee()`). */
  [Symbol.asyncIterator](): AsyncIterator<Item>;
  /** Two streams with the same events, each read at its own pace. */
  tee(): [Stream<Item>, Stream<Item>];
  /** The raw bytes of the stream (for a stream made by `tee()`, its events as JSON lines). */
  toReadableStream(): ReadableStream<Uint8Array>;
}

export type InvocationListResponsesOffsetPagination = OffsetPagination<InvocationListResponse>;

/** Invoke actions and stream or query invocation status and events. */
export declare class Invocations {
  private constructor();
  /**
   * Invoke an action.
   * @example
   * ```ts
   * const invocation = await client.invocations.create({ action_name: 'analyze', app_name: 'my-app', version: '1.0.0' });
   * ```
   */
  create(params: InvocationCreateParams, options?: RequestOptions): APIPromise<InvocationCreateResponse>;
  /**
   * Get details about an invocation's status and output.
   * @example
   * ```ts
   * const invocation = await client.invocations.retrieve('rr33xuugxj9h0bkf1rdt2bet');
   * ```
   */
  retrieve(id: string, options?: RequestOptions): APIPromise<Invocation>;
  /**
   * Update an invocation's status or output. This can be used to cancel an invocation by
   * setting the status to "failed".
   *
   * @example
   * ```ts
   * const invocation = await client.invocations.update('id', { status: 'succeeded' });
   * ```
   */
  update(id: string, params: InvocationUpdateParams, options?: RequestOptions): APIPromise<Invocation>;
  /**
   * List invocations, newest first.
   * @example
   * ```ts
   * for await (const invocation of client.invocations.list({ status: 'running' })) {
   *   console.log(invocation.id);
   * }
   * ```
   */
  list(
    params?: InvocationListParams | null,
    options?: RequestOptions,
  ): PagePromise<InvocationListResponsesOffsetPagination, InvocationListResponse>;
  /**
   * Stream an invocation's logs and state changes until it finishes.
   * @example
   * ```ts
   * const stream = await client.invocations.follow('id');
   * for await (const event of stream) if (event.event === 'invocation_state') console.log(event.invocation.status);
   * ```
   */
  follow(
    id: string,
    params?: InvocationFollowParams | null,
    options?: RequestOptions,
  ): APIPromise<Stream<InvocationFollowResponse>>;
  /**
   * The invocation's active browser sessions.
   * @example
   * ```ts
   * const { browsers } = await client.invocations.listBrowsers('id');
   * ```
   */
  listBrowsers(id: string, options?: RequestOptions): APIPromise<InvocationListBrowsersResponse>;
  /**
   * Delete all browser sessions created within the invocation.
   * @example
   * ```ts
   * await client.invocations.deleteBrowsers('id');
   * ```
   */
  deleteBrowsers(id: string, options?: RequestOptions): APIPromise<void>;
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
  readonly logLevel: LogLevel;
  readonly logger: Logger;
  /** Invoke actions and stream or query invocation status and events. */
  readonly invocations: Invocations;
  /**
   * A new client with these options over this one's; it shares the connection pool.
   * @example
   * ```ts
   * const quick = client.withOptions({ timeout: 5_000, maxRetries: 0 });
   * ```
   */
  withOptions(options: Partial<ClientOptions>): Kernel;

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
  static readonly APIPromise: typeof APIPromise;
  static readonly PagePromise: typeof PagePromise;
  static readonly OffsetPagination: typeof OffsetPagination;
  static readonly Stream: typeof Stream;
  static readonly Invocations: typeof Invocations;
}
