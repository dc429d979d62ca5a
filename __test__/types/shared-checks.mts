// The result's fields and the error classes are typed precisely.
import Kernel, {
  APIError,
  APIUserAbortError,
  APIConnectionError,
  APIConnectionTimeoutError,
  BadRequestError,
  AuthenticationError,
  PermissionDeniedError,
  ConflictError,
  UnprocessableEntityError,
  type Invocation,
  type InvocationStatus,
} from 'kernel-native';

declare const invocation: Invocation;
const status: 'queued' | 'running' | 'succeeded' | 'failed' = invocation.status;
const statusAlias: InvocationStatus = status;
const finished: string | null | undefined = invocation.finished_at;
const fields: [string, string, string, string, string] = [
  invocation.id,
  invocation.app_name,
  invocation.action_name,
  invocation.started_at,
  invocation.version,
];
const optional: [string | undefined, string | undefined, string | undefined] = [
  invocation.payload,
  invocation.output,
  invocation.status_reason,
];
// @ts-expect-error wire names stay snake_case
invocation.appName;
// @ts-expect-error status is a closed union
const wrong: Invocation['status'] = 'done';

const classes = [
  APIError,
  APIUserAbortError,
  APIConnectionError,
  APIConnectionTimeoutError,
  BadRequestError,
  AuthenticationError,
  PermissionDeniedError,
  ConflictError,
  UnprocessableEntityError,
] as const;
const abort: APIError<undefined, undefined, undefined> = new APIUserAbortError();
const timeout: APIConnectionError = new APIConnectionTimeoutError();
const staticMatches: typeof Kernel.ConflictError = ConflictError;
console.log(statusAlias, finished, fields, optional, wrong, classes, abort, timeout, staticMatches);
