// The whole invocations resource, pagination, streams, raw responses, withOptions and logging,
// typed under `--strict` and `moduleResolution: nodenext` (ES module).
import Kernel, {
  type APIPromise,
  KernelError,
  NotFoundError,
  APIUserAbortError,
  type OffsetPagination,
  type PagePromise,
  type Stream,
  type ClientOptions,
  type RequestOptions,
  type Invocation,
  type InvocationStatus,
  type InvocationCreateParams,
  type InvocationCreateResponse,
  type InvocationRetrieveResponse,
  type InvocationUpdateResponse,
  type InvocationListParams,
  type InvocationListResponse,
  type InvocationListResponsesOffsetPagination,
  type InvocationFollowParams,
  type InvocationFollowResponse,
  type InvocationListBrowsersResponse,
  type InvocationBrowser,
  type LogEvent,
  type InvocationStateEvent,
  type ErrorEvent,
  type HeartbeatEvent,
  type LogLevel,
  type Logger,
} from 'kernel-native';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(_: T): void {}

const client = new Kernel({ apiKey: 'k', baseURL: 'http://127.0.0.1:1', timeout: 1000, maxRetries: 0 });

// --- create -----------------------------------------------------------------------------
const createParams: InvocationCreateParams = {
  app_name: 'a',
  action_name: 'b',
  version: '1',
  payload: '{"q":1}',
  async: true,
  async_timeout_seconds: 60,
};
const created: InvocationCreateResponse = await client.invocations.create(createParams);
const createdId: string = created.id;
const createdAction: string = created.action_name;
const createdStatus: InvocationStatus = created.status;
const createdOutput: string | undefined = created.output;
const createdReason: string | undefined = created.status_reason;
const createPromise: APIPromise<InvocationCreateResponse> = client.invocations.create(
  { app_name: 'a', action_name: 'b', version: '1' },
  { timeout: 5, maxRetries: 1, headers: { 'x-a': 'b', 'x-removed': null }, signal: AbortSignal.timeout(5) },
);
// @ts-expect-error action_name and version are required
await client.invocations.create({ app_name: 'a' });
// @ts-expect-error params are required
await client.invocations.create();
// @ts-expect-error app_name is a string
await client.invocations.create({ app_name: 5, action_name: 'b', version: '1' });
// @ts-expect-error async is a boolean
await client.invocations.create({ app_name: 'a', action_name: 'b', version: '1', async: 'yes' });
// @ts-expect-error payload is a JSON string, not an object
await client.invocations.create({ app_name: 'a', action_name: 'b', version: '1', payload: {} });
// @ts-expect-error unknown param
await client.invocations.create({ app_name: 'a', action_name: 'b', version: '1', appName: 'x' });
// @ts-expect-error unknown request option
await client.invocations.create(createParams, { retries: 1 });
// @ts-expect-error timeout is a number
await client.invocations.create(createParams, { timeout: '5' });

// --- retrieve / update ------------------------------------------------------------------
const retrieved: InvocationRetrieveResponse = await client.invocations.retrieve('id');
const retrievedInvocation: Invocation = retrieved;
const finishedAt: string | null | undefined = retrievedInvocation.finished_at;
assertType<Equal<InvocationRetrieveResponse, Invocation>>(true);
const updated: InvocationUpdateResponse = await client.invocations.update('id', { status: 'failed' }, { maxRetries: 0 });
assertType<Equal<typeof updated, Invocation>>(true);
// @ts-expect-error the id is a string
await client.invocations.retrieve(5);
// @ts-expect-error the id is required
await client.invocations.retrieve();
// @ts-expect-error 'queued' is not an update status
await client.invocations.update('id', { status: 'queued' });

// --- list and pagination ----------------------------------------------------------------
const listParams: InvocationListParams = {
  app_name: 'a',
  action_name: 'b',
  status: 'running',
  version: '1',
  deployment_id: 'd',
  since: '5m',
  query: 'q',
  limit: 20,
  offset: 40,
};
const listPromise: PagePromise<InvocationListResponsesOffsetPagination, InvocationListResponse> =
  client.invocations.list(listParams);
const page: OffsetPagination<Invocation> = await listPromise;
const items: Invocation[] = page.items;
const hasMore: boolean | null = page.has_more;
const nextOffset: number | null = page.next_offset;
const more: boolean = page.hasNextPage();
const nextPage: OffsetPagination<Invocation> = await page.getNextPage();
const pageItems: Invocation[] = nextPage.getPaginatedItems();
for await (const p of page.iterPages()) {
  const ps: OffsetPagination<Invocation> = p;
  console.log(ps.items.length);
}
for await (const inv of client.invocations.list()) {
  assertType<Equal<typeof inv, Invocation>>(true);
  const status: InvocationStatus = inv.status;
  console.log(status);
}
for await (const inv of page) {
  assertType<Equal<typeof inv, Invocation>>(true);
}
await client.invocations.list(null);
await client.invocations.list({}, { signal: new AbortController().signal });
// @ts-expect-error 'done' is not a status
client.invocations.list({ status: 'done' });
// @ts-expect-error limit is a number
client.invocations.list({ limit: '20' });
// @ts-expect-error unknown filter
client.invocations.list({ app: 'a' });
// @ts-expect-error a page's items are invocations
const wrongItems: string[] = page.items;

// --- follow and events ------------------------------------------------------------------
const followParams: InvocationFollowParams = { since: '2026-01-01T00:00:00Z' };
const stream: Stream<InvocationFollowResponse> = await client.invocations.follow('id', followParams, { timeout: 300 });
const controller: AbortController = stream.controller;
const raw: ReadableStream<Uint8Array> = stream.toReadableStream();
for await (const event of stream) {
  assertType<Equal<typeof event, LogEvent | InvocationStateEvent | ErrorEvent | HeartbeatEvent>>(true);
  if (event.event === 'invocation_state') {
    const state: InvocationStatus = event.invocation.status;
    const inv: Invocation = event.invocation;
    console.log(state, inv.id);
  } else if (event.event === 'log') {
    const message: string = event.message;
    console.log(message);
  } else if (event.event === 'error') {
    const code: string = event.error.code;
    const detail: string | undefined = event.error.details?.[0]?.message;
    console.log(code, detail);
  } else {
    assertType<Equal<typeof event, HeartbeatEvent>>(true);
    const timestamp: string = event.timestamp;
    console.log(timestamp);
  }
  // @ts-expect-error the invocation is only on invocation_state events
  console.log(event.invocation);
}
await client.invocations.follow('id');
await client.invocations.follow('id', null, { signal: controller.signal });
// @ts-expect-error since is a string
client.invocations.follow('id', { since: 5 });
// @ts-expect-error unknown follow param
client.invocations.follow('id', { until: 'x' });
// @ts-expect-error 'metrics' is not an event type
const wrongEvent: InvocationFollowResponse['event'] = 'metrics';

// --- browsers ---------------------------------------------------------------------------
const browsers: InvocationListBrowsersResponse = await client.invocations.listBrowsers('id');
const browserList: InvocationBrowser[] = browsers.browsers;
const cdp: string | undefined = browserList[0]?.cdp_ws_url;
const deleted: void = await client.invocations.deleteBrowsers('id', { headers: [['x-a', 'b']] });
const deletePromise: APIPromise<void> = client.invocations.deleteBrowsers('id');
assertType<Equal<Awaited<typeof deletePromise>, void>>(true);
// @ts-expect-error deleteBrowsers resolves to nothing
const notData: { browsers: unknown[] } = await client.invocations.deleteBrowsers('id');

// --- raw responses ----------------------------------------------------------------------
const withCreate = await client.invocations.create(createParams).withResponse();
const createData: InvocationCreateResponse = withCreate.data;
const response: Response = withCreate.response;
const requestId: string | null = withCreate.request_id;
assertType<Equal<typeof withCreate, { data: InvocationCreateResponse; response: Response; request_id: string | null }>>(
  true,
);
const withList = await client.invocations.list().withResponse();
const listData: OffsetPagination<Invocation> = withList.data;
const withFollow = await client.invocations.follow('id').withResponse();
const followData: Stream<InvocationFollowResponse> = withFollow.data;
const withDelete = await client.invocations.deleteBrowsers('id').withResponse();
assertType<Equal<typeof withDelete.data, void>>(true);
const rawResponse: Response = await client.invocations.retrieve('id').asResponse();
const rawFollow: Response = await client.invocations.follow('id').asResponse();
const rawBody: ReadableStream<Uint8Array> | null = rawFollow.body;
const chained: Promise<string> = client.invocations.retrieve('id').then((inv) => inv.id);
const caught: Promise<Invocation | undefined> = client.invocations.retrieve('id').catch(() => undefined);
const finallyDone: Promise<Invocation> = client.invocations.retrieve('id').finally(() => {});
// @ts-expect-error request_id may be null
const idNotNull: string = withCreate.request_id;

try {
  await client.invocations.retrieve('id');
} catch (err) {
  if (err instanceof NotFoundError) {
    const status: 404 = err.status;
    const errorRequestId: string | null = err.headers.get('x-request-id');
    console.log(status, errorRequestId);
  } else if (err instanceof APIUserAbortError) {
    const noStatus: undefined = err.status;
    console.log(noStatus);
  } else if (err instanceof KernelError) {
    console.log(err.message);
  }
}

// --- withOptions ------------------------------------------------------------------------
const derived: Kernel = client.withOptions({ timeout: 5000, maxRetries: 0, defaultHeaders: { 'x-a': 'b' } });
const rebased: Kernel = client.withOptions({ baseURL: 'http://127.0.0.1:2' });
const derivedTimeout: number = derived.timeout;
// @ts-expect-error unknown client option
client.withOptions({ retries: 1 });
// @ts-expect-error timeout is a number
client.withOptions({ timeout: '5' });

// --- logging ----------------------------------------------------------------------------
const lines: string[] = [];
const logger: Logger = {
  debug: (message) => lines.push(message),
  info: (message) => lines.push(message),
  warn: (message) => lines.push(message),
  error: (message) => lines.push(message),
};
const level: LogLevel = 'debug';
const options: ClientOptions = { apiKey: 'k', logLevel: level, logger };
const logged = new Kernel(options);
const currentLevel: LogLevel = logged.logLevel;
const currentLogger: Logger = logged.logger;
new Kernel({ apiKey: 'k', logger: console, logLevel: 'off' });
// @ts-expect-error 'loud' is not a log level
new Kernel({ apiKey: 'k', logLevel: 'loud' });
// @ts-expect-error a logger needs all four methods
new Kernel({ apiKey: 'k', logger: { debug() {}, info() {}, warn() {} } });
// @ts-expect-error 'loud' is not a log level
client.withOptions({ logLevel: 'loud' });
const requestOptions: RequestOptions = { timeout: 1, maxRetries: 0, headers: new Headers(), signal: null };

console.log(
  createdId,
  createdAction,
  createdStatus,
  createdOutput,
  createdReason,
  createPromise,
  finishedAt,
  items,
  hasMore,
  nextOffset,
  more,
  pageItems,
  wrongItems,
  raw,
  wrongEvent,
  cdp,
  deleted,
  notData,
  createData,
  response,
  requestId,
  listData,
  followData,
  rawResponse,
  rawBody,
  chained,
  caught,
  finallyDone,
  idNotNull,
  rebased,
  derivedTimeout,
  currentLevel,
  currentLogger,
  requestOptions,
);
