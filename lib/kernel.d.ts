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
  export type Invocations = types.Invocations;
  export type KernelError = types.KernelError;
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
