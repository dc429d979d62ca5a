// ES module entry: the default export and the named exports of kernel-native.
import Kernel from './kernel.js';

export default Kernel;
export { Kernel };
export const {
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
  APIPromise,
  PagePromise,
  OffsetPagination,
  Stream,
  Invocations,
} = Kernel;
