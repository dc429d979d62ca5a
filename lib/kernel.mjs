// ES module entry: the default export and the named exports of kernel-native. The CommonJS
// implementation (the bundle dist/kernel.js, built from lib/ by scripts/bundle.js) is loaded
// with require(): cheaper than importing it, which makes Node parse it for named exports first.
import { createRequire } from 'node:module';

const Kernel = createRequire(import.meta.url)('../dist/kernel.js');

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
