// CommonJS types: `require('kernel-native')` is the Kernel class, which also carries every
// named export; the namespace below carries the types.
import * as types from './types.js';

declare class Kernel extends types.Kernel {}

declare namespace Kernel {
  export type ClientOptions = types.ClientOptions;
  export type RequestOptions = types.RequestOptions;
  export type HeadersLike = types.HeadersLike;
  export type Invocation = types.Invocation;
  export type InvocationStatus = types.InvocationStatus;
  export type InvocationUpdateParams = types.InvocationUpdateParams;
  export type InvocationUpdateStatus = types.InvocationUpdateStatus;
  export type InvocationUpdateResponse = types.InvocationUpdateResponse;
  export type InvocationRetrieveResponse = types.InvocationRetrieveResponse;
  export type InvocationListResponse = types.InvocationListResponse;
  export type InvocationCreateParams = types.InvocationCreateParams;
  export type InvocationCreateResponse = types.InvocationCreateResponse;
  export type InvocationListParams = types.InvocationListParams;
  export type InvocationFollowParams = types.InvocationFollowParams;
  export type InvocationFollowResponse = types.InvocationFollowResponse;
  export type InvocationBrowser = types.InvocationBrowser;
  export type InvocationListBrowsersResponse = types.InvocationListBrowsersResponse;
  export type LogEvent = types.LogEvent;
  export type InvocationStateEvent = types.InvocationStateEvent;
  export type ErrorEvent = types.ErrorEvent;
  export type ErrorModel = types.ErrorModel;
  export type ErrorDetail = types.ErrorDetail;
  export type HeartbeatEvent = types.HeartbeatEvent;
  export type LogLevel = types.LogLevel;
  export type Logger = types.Logger;
  export type APIPromise<T> = types.APIPromise<T>;
  export type OffsetPagination<Item> = types.OffsetPagination<Item>;
  export type PagePromise<Page extends types.OffsetPagination<Item>, Item> = types.PagePromise<Page, Item>;
  export type Stream<Item> = types.Stream<Item>;
  export type InvocationListResponsesOffsetPagination = types.InvocationListResponsesOffsetPagination;
  export type Invocations = types.Invocations;
  export type KernelError = types.KernelError;
  export type KernelErrorCode = types.KernelErrorCode;
  export type APIError = types.APIError;
  export type APIConnectionError = types.APIConnectionError;
  export type APIConnectionTimeoutError = types.APIConnectionTimeoutError;
  export type APIUserAbortError = types.APIUserAbortError;
  export type BadRequestError = types.BadRequestError;
  export type AuthenticationError = types.AuthenticationError;
  export type PermissionDeniedError = types.PermissionDeniedError;
  export type NotFoundError = types.NotFoundError;
  export type ConflictError = types.ConflictError;
  export type UnprocessableEntityError = types.UnprocessableEntityError;
  export type RateLimitError = types.RateLimitError;
  export type InternalServerError = types.InternalServerError;
}

export = Kernel;
