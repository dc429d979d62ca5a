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

// Reliability options: size cap, extra CAs, proxy, idempotency keys.
const hardened = new Kernel({
  apiKey: 'k',
  maxResponseBytes: 1_048_576,
  ca: ['-----BEGIN CERTIFICATE-----', new Uint8Array(0)],
  proxy: null,
  idempotencyKeys: true,
});
new Kernel({ apiKey: 'k', ca: 'pem', proxy: 'http://proxy.internal:3128' });
await hardened.invocations.update('id', { status: 'failed' }, { idempotencyKey: 'job-42' });
// @ts-expect-error proxy is a URL string or null
new Kernel({ apiKey: 'k', proxy: 3128 });
// @ts-expect-error idempotencyKeys is a boolean
new Kernel({ apiKey: 'k', idempotencyKeys: 'yes' });
// @ts-expect-error idempotencyKey is a string
await hardened.invocations.update('id', { status: 'failed' }, { idempotencyKey: 42 });
