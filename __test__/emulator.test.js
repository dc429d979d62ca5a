'use strict';
// kernel-native/emulator: starting and closing it, its rules over raw HTTP, and the client
// driven against it, faults included.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');

const { startEmulator, Emulator } = require('kernel-native/emulator');
const Kernel = require('kernel-native');
const {
  KernelError,
  APIConnectionError,
  APIConnectionTimeoutError,
  AuthenticationError,
  ConflictError,
  InternalServerError,
  NotFoundError,
  RateLimitError,
  UnprocessableEntityError,
} = Kernel;
const { closedPort, within, rejection, thrown } = require('./helpers/server');
const { EMU_KEY, emulator, clientFor, createInvocation, countPatches } = require('./helpers/emulator');

/** Budgets, not speed checks: nothing here should hang the suite. */
const BUDGET = { timeout: 10_000 };
/** RFC 3339 in UTC with nine fractional digits, as the API writes times. */
const NANOS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z$/;
const MIB = 1024 * 1024;

const portOf = (emu) => Number(new URL(emu.url).port);

/**
 * A raw request: `json` is sent as JSON, `raw` as is; `key` is the bearer token (null: none).
 * Resolves with { status, headers, body } where body is parsed JSON, or text when not JSON.
 */
async function api(emu, method, path, { json, raw, key = emu.apiKey } = {}) {
  const headers = {};
  if (key !== null) headers.authorization = `Bearer ${key}`;
  let body;
  if (json !== undefined || raw !== undefined) {
    headers['content-type'] = 'application/json';
    body = raw ?? JSON.stringify(json);
  }
  const res = await fetch(emu.url + path, { method, headers, body });
  const text = await res.text();
  let parsed = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

/** Asserts the answer is the `{code, message}` error body with this status and code. */
function assertApiError(res, status, code) {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.equal(res.body.code, code, JSON.stringify(res.body));
  assert.equal(typeof res.body.message, 'string');
}

/** Server-Sent Events of a fetch response, one { event, data } at a time (data parsed). */
async function* sseEvents(res) {
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of res.body) {
    buffered += decoder.decode(chunk, { stream: true });
    let end;
    while ((end = buffered.search(/\r?\n\r?\n/)) !== -1) {
      const block = buffered.slice(0, end);
      buffered = buffered.slice(end).replace(/^\r?\n\r?\n/, '');
      const event = { event: 'message', data: '' };
      for (const line of block.split(/\r?\n/)) {
        if (line.startsWith('event:')) event.event = line.slice(6).trim();
        else if (line.startsWith('data:')) event.data += line.slice(5).trim();
      }
      if (event.data) event.data = JSON.parse(event.data);
      yield event;
    }
  }
  assert.equal(buffered.trim(), '', 'the stream ended inside an event');
}

const listen = (server, port) =>
  new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });

// ---------------------------------------------------------------------------------------------
// Starting and closing

test('startEmulator resolves with the url and key it was given', BUDGET, async (t) => {
  const emu = await emulator(t, { apiKey: EMU_KEY, port: 0 });
  assert.ok(emu instanceof Emulator);
  assert.match(emu.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.ok(portOf(emu) > 0);
  assert.equal(emu.apiKey, EMU_KEY);
});

test('without options a random key is generated, different for each emulator', BUDGET, async (t) => {
  const first = await emulator(t, undefined);
  const second = await emulator(t, {});
  for (const emu of [first, second]) {
    assert.equal(typeof emu.apiKey, 'string');
    assert.ok(emu.apiKey.length > 0);
    assert.match(emu.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  }
  assert.notEqual(first.apiKey, second.apiKey);
  assert.notEqual(first.url, second.url);
  // The generated key is the one it accepts.
  const created = await createInvocation(first);
  assert.equal(created.status, 'running');
  assertApiError(await api(first, 'GET', `/invocations/${created.id}`, { key: second.apiKey }), 401, 'unauthorized');
});

test('an explicit free port is used', BUDGET, async (t) => {
  const port = await closedPort();
  const emu = await emulator(t, { port });
  assert.equal(emu.url, `http://127.0.0.1:${port}`);
});

test('close() frees the port, and requests afterwards are connection errors', BUDGET, async (t) => {
  const emu = await emulator(t);
  const client = clientFor(emu, { maxRetries: 0 });
  const { id } = await createInvocation(emu);
  await client.invocations.update(id, { status: 'succeeded' });
  await emu.close();

  const server = net.createServer();
  await listen(server, portOf(emu));
  await new Promise((resolve) => server.close(resolve));

  const err = await rejection(client.invocations.update(id, { status: 'succeeded' }));
  assert.ok(err instanceof APIConnectionError, `${err.name}: ${err.message}`);
  assert.ok(!(err instanceof APIConnectionTimeoutError));
  // Closing again is harmless; adding a fault to a closed emulator is refused.
  await emu.close();
  assert.ok(thrown(() => emu.fault({ status: 500 })) instanceof KernelError);
});

test('close() ends a pending request instead of letting it wait out its delay', BUDGET, async (t) => {
  const emu = await emulator(t);
  const { id } = await createInvocation(emu);
  emu.fault({ delayMs: 5000 });
  const started = performance.now();
  const pending = rejection(clientFor(emu, { maxRetries: 0 }).invocations.update(id, { status: 'succeeded' }));
  // Let the request reach the emulator and start waiting.
  await new Promise((resolve) => setTimeout(resolve, 150));
  await within(2000, emu.close(), 'close() with a pending request');
  const err = await within(2000, pending, 'the pending request ending');
  assert.ok(err instanceof APIConnectionError, `${err.name}: ${err.message}`);
  assert.ok(performance.now() - started < 2500, 'the request waited for its delay');
});

test('close() ends an open event stream', BUDGET, async (t) => {
  const emu = await emulator(t);
  const { id } = await createInvocation(emu);
  const res = await fetch(`${emu.url}/invocations/${id}/events`, { headers: { authorization: `Bearer ${EMU_KEY}` } });
  const events = sseEvents(res);
  const first = await events.next();
  assert.equal(first.value.event, 'invocation_state');
  await emu.close();
  // The stream ends, cleanly or with an error, but it does not stay open.
  const next = await within(2000, events.next().catch((err) => ({ error: err })), 'the stream ending');
  assert.ok(next.done || next.error, `got another event: ${JSON.stringify(next.value)}`);
});

test('wrong option types reject with KernelError and start nothing', BUDGET, async () => {
  const cases = [
    { port: 'x' },
    { port: -1 },
    { port: 1.5 },
    { port: 70000 },
    { port: NaN },
    { apiKey: 5 },
    { host: 1 },
    { heartbeatMs: 0 },
    { heartbeatMs: '50' },
    { bogus: true },
    5,
    'key',
    [],
  ];
  for (const options of cases) {
    const err = await rejection(startEmulator(options));
    assert.ok(err instanceof KernelError, `${JSON.stringify(options)}: ${err.name}: ${err.message}`);
  }
});

test('out-of-range numbers are refused, not wrapped to 32 bits', BUDGET, async () => {
  const problems = [];
  // 2 ** 32 must not silently become port 0 (nor 2 ** 32 + 1 port 1, and so on).
  try {
    const emu = await startEmulator({ port: 2 ** 32 });
    problems.push(`port 2 ** 32 listened on ${emu.url}`);
    await emu.close();
  } catch (err) {
    assert.ok(err instanceof KernelError, `${err.name}: ${err.message}`);
  }
  for (const [options, given] of [
    [{ port: 1e20 }, /1e\+?20|100000000000000000000/],
    [{ heartbeatMs: 2 ** 32 }, /4294967296/],
  ]) {
    const err = await rejection(startEmulator(options));
    assert.ok(err instanceof KernelError, `${err.name}: ${err.message}`);
    if (!given.test(err.message)) problems.push(`${JSON.stringify(options)}: the message names another value: ${err.message}`);
  }
  assert.deepEqual(problems, []);
});

test('a port already in use rejects with KernelError', BUDGET, async (t) => {
  const server = net.createServer();
  await listen(server, 0);
  t.after(() => new Promise((resolve) => server.close(resolve)));
  const err = await rejection(startEmulator({ port: server.address().port }));
  assert.ok(err instanceof KernelError, `${err.name}: ${err.message}`);
  assert.equal(err.code, 'ERR_KERNEL_EMULATOR_LISTEN');

  const emu = await emulator(t);
  const again = await rejection(startEmulator({ port: portOf(emu) }));
  assert.ok(again instanceof KernelError, `${again.name}: ${again.message}`);
  // The running one is unharmed.
  assert.equal((await createInvocation(emu)).status, 'running');
});

test('emulator failures carry a code (and the field at fault), as the client failures do', BUDGET, async () => {
  const outOfRange = await rejection(startEmulator({ port: 70000 }));
  assert.equal(outOfRange.code, 'ERR_KERNEL_INVALID_INPUT');
  assert.equal(outOfRange.field, 'port');
  assert.equal((await rejection(startEmulator({ apiKey: '  ' }))).field, 'apiKey');
  const wrongType = await rejection(startEmulator({ heartbeatMs: 'soon' }));
  assert.deepEqual([wrongType.code, wrongType.field], ['ERR_KERNEL_INVALID_INPUT', 'heartbeatMs']);

  const emu = await startEmulator();
  const badFault = thrown(() => emu.fault({ status: 99 }));
  assert.ok(badFault instanceof KernelError);
  assert.deepEqual([badFault.code, badFault.field], ['ERR_KERNEL_INVALID_INPUT', 'fault']);
  await emu.close();
  for (const [what, use] of [
    ['fault', () => emu.fault({ status: 500 })],
    ['journal', () => emu.journal()],
    ['faultsFired', () => emu.faultsFired],
  ]) {
    const closed = thrown(use);
    assert.ok(closed instanceof KernelError, `${what}: ${closed}`);
    assert.equal(closed.code, 'ERR_KERNEL_EMULATOR_CLOSED', what);
  }
});

// ---------------------------------------------------------------------------------------------
// The lifecycle, driven through the client

test('update moves a running invocation to succeeded, with finished_at in nanoseconds', BUDGET, async (t) => {
  const emu = await emulator(t);
  const client = clientFor(emu);
  const created = await createInvocation(emu, { payload: '{"q":1}' });
  assert.match(created.id, /^[a-z0-9]{24}$/);
  assert.equal(created.status, 'running');
  assert.equal(created.action_name, 'analyze');

  const output = JSON.stringify({ answer: 42 });
  const updated = await client.invocations.update(created.id, { status: 'succeeded', output });
  assert.equal(updated.id, created.id);
  assert.equal(updated.status, 'succeeded');
  assert.equal(updated.output, output);
  assert.equal(updated.app_name, 'my-app');
  assert.equal(updated.action_name, 'analyze');
  assert.equal(updated.version, '1.0.0');
  assert.equal(updated.payload, '{"q":1}');
  assert.match(updated.started_at, NANOS);
  assert.match(updated.finished_at, NANOS);
  assert.ok(updated.finished_at >= updated.started_at);
  assert.equal(typeof updated.status_reason, 'string');
  assert.ok(updated.status_reason.length > 0);

  // Repeating the terminal status changes nothing, not even the output.
  const again = await client.invocations.update(created.id, { status: 'succeeded', output: '"other"' });
  assert.deepEqual(again, updated);
  const stored = await api(emu, 'GET', `/invocations/${created.id}`);
  assert.equal(stored.status, 200);
  assert.deepEqual(stored.body, updated);
});

test('a new invocation has finished_at null until it is updated', BUDGET, async (t) => {
  const emu = await emulator(t);
  const { id } = await createInvocation(emu);
  const res = await api(emu, 'GET', `/invocations/${id}`);
  assert.equal(res.status, 200);
  assert.equal(res.body.status, 'running');
  assert.equal(res.body.finished_at, null);
  assert.match(res.body.started_at, NANOS);
});

test('the other terminal status is a ConflictError, retried by default then still a conflict', BUDGET, async (t) => {
  const emu = await emulator(t);
  const { id } = await createInvocation(emu);
  const done = await clientFor(emu).invocations.update(id, { status: 'succeeded' });

  const err = await rejection(clientFor(emu, { maxRetries: 0 }).invocations.update(id, { status: 'failed' }));
  assert.ok(err instanceof ConflictError, `${err.name}: ${err.message}`);
  assert.equal(err.status, 409);
  assert.equal(err.error.code, 'conflict');

  // 409 is retried: with the default maxRetries (2) three PATCHes are made, all conflicts.
  const assertExactly = countPatches(emu, 3);
  const retried = await rejection(clientFor(emu).invocations.update(id, { status: 'failed' }));
  assert.ok(retried instanceof ConflictError, `${retried.name}: ${retried.message}`);
  await assertExactly(id);

  const stored = await api(emu, 'GET', `/invocations/${id}`);
  assert.deepEqual(stored.body, done);
});

test('an unknown id is a NotFoundError with code not_found', BUDGET, async (t) => {
  const emu = await emulator(t);
  const err = await rejection(clientFor(emu).invocations.update('abcdefghijklmnopqrstuvwx', { status: 'succeeded' }));
  assert.ok(err instanceof NotFoundError, `${err.name}: ${err.message}`);
  assert.equal(err.status, 404);
  assert.equal(err.error.code, 'not_found');
  assert.equal(typeof err.error.message, 'string');
});

test('a wrong key is an AuthenticationError and changes nothing', BUDGET, async (t) => {
  const emu = await emulator(t);
  const { id } = await createInvocation(emu);
  const client = new Kernel({ baseURL: emu.url, apiKey: 'wrong-key' });
  const err = await rejection(client.invocations.update(id, { status: 'succeeded' }));
  assert.ok(err instanceof AuthenticationError, `${err.name}: ${err.message}`);
  assert.equal(err.status, 401);
  assert.equal(err.error.code, 'unauthorized');
  assert.equal((await api(emu, 'GET', `/invocations/${id}`)).body.status, 'running');
});

test('async: true creates a queued invocation that an update can finish', BUDGET, async (t) => {
  const emu = await emulator(t);
  const created = await createInvocation(emu, { async: true, async_timeout_seconds: 60 });
  assert.equal(created.status, 'queued');
  assert.equal((await api(emu, 'GET', `/invocations/${created.id}`)).body.status, 'queued');
  const failed = await clientFor(emu).invocations.update(created.id, { status: 'failed', output: '"boom"' });
  assert.equal(failed.status, 'failed');
  assert.equal(failed.output, '"boom"');
  assert.match(failed.finished_at, NANOS);
});

// ---------------------------------------------------------------------------------------------
// Faults, seen through the client

test('503 twice with retry-after-ms: the update succeeds on the third request', BUDGET, async (t) => {
  const emu = await emulator(t);
  const { id } = await createInvocation(emu);
  const client = clientFor(emu);
  emu.fault({ status: 503, times: 2, headers: { 'retry-after-ms': '10' } });
  const assertExactly = countPatches(emu, 1);
  const started = performance.now();
  const result = await client.invocations.update(id, { status: 'succeeded' });
  assert.equal(result.status, 'succeeded');
  // retry-after-ms: 10 is honoured, not the 0.5 s default backoff.
  assert.ok(performance.now() - started < 1000, 'the retries waited for the default backoff');
  await assertExactly(id);
});

test('503 twice with maxRetries: 1 ends in InternalServerError after two requests', BUDGET, async (t) => {
  const emu = await emulator(t);
  const { id } = await createInvocation(emu);
  emu.fault({ status: 503, times: 2, headers: { 'retry-after-ms': '10' } });
  const err = await rejection(clientFor(emu, { maxRetries: 1 }).invocations.update(id, { status: 'succeeded' }));
  assert.ok(err instanceof InternalServerError, `${err.name}: ${err.message}`);
  assert.equal(err.status, 503);
  assert.equal(err.error.code, 'injected_fault');
  // Both fault uses were spent: the next request goes through.
  const done = await clientFor(emu, { maxRetries: 0 }).invocations.update(id, { status: 'succeeded' });
  assert.equal(done.status, 'succeeded');
});

test('a 429 fault is a RateLimitError carrying the fault headers', BUDGET, async (t) => {
  const emu = await emulator(t);
  const { id } = await createInvocation(emu);
  emu.fault({ status: 429, headers: { 'retry-after-ms': '10', 'X-Request-Id': 'req_emu' } });
  const err = await rejection(clientFor(emu, { maxRetries: 0 }).invocations.update(id, { status: 'succeeded' }));
  assert.ok(err instanceof RateLimitError, `${err.name}: ${err.message}`);
  assert.equal(err.status, 429);
  assert.equal(err.headers.get('retry-after-ms'), '10');
  assert.equal(err.headers.get('x-request-id'), 'req_emu');
});

test('a custom fault body is the error body', BUDGET, async (t) => {
  const emu = await emulator(t);
  const { id } = await createInvocation(emu);
  const body = { code: 'custom', message: 'nope', detail: [1, { two: 2 }] };
  emu.fault({ status: 422, body });
  const err = await rejection(clientFor(emu, { maxRetries: 0 }).invocations.update(id, { status: 'succeeded' }));
  assert.ok(err instanceof UnprocessableEntityError, `${err.name}: ${err.message}`);
  assert.deepEqual(err.error, body);
  assert.equal(err.message, '422 nope');
});

test('drop: true is a connection error, and one retry gets through', BUDGET, async (t) => {
  const emu = await emulator(t);
  const { id } = await createInvocation(emu);
  emu.fault({ drop: true });
  const err = await rejection(clientFor(emu, { maxRetries: 0 }).invocations.update(id, { status: 'succeeded' }));
  assert.ok(err instanceof APIConnectionError, `${err.name}: ${err.message}`);
  assert.ok(!(err instanceof APIConnectionTimeoutError));

  emu.fault({ drop: true });
  const assertExactly = countPatches(emu, 1);
  const client = clientFor(emu, { maxRetries: 1 });
  const result = await client.invocations.update(id, { status: 'succeeded' });
  assert.equal(result.status, 'succeeded');
  await assertExactly(id);
});

test('a delay longer than the client timeout is an APIConnectionTimeoutError', BUDGET, async (t) => {
  const emu = await emulator(t);
  const { id } = await createInvocation(emu);
  emu.fault({ delayMs: 500 });
  const started = performance.now();
  const client = clientFor(emu, { timeout: 100, maxRetries: 0 });
  const err = await rejection(client.invocations.update(id, { status: 'succeeded' }));
  assert.ok(err instanceof APIConnectionTimeoutError, `${err.name}: ${err.message}`);
  assert.ok(performance.now() - started < 450, 'the client waited for the delay');
});

test('a delay alone lets the request proceed afterwards', BUDGET, async (t) => {
  const emu = await emulator(t);
  const { id } = await createInvocation(emu);
  emu.fault({ delayMs: 150 });
  const started = performance.now();
  const result = await clientFor(emu, { maxRetries: 0 }).invocations.update(id, { status: 'succeeded' });
  assert.equal(result.status, 'succeeded');
  assert.ok(performance.now() - started >= 140, 'the delay was not applied');
});

test('method and path narrow which requests a fault hits', BUDGET, async (t) => {
  const emu = await emulator(t);
  const a = await createInvocation(emu);
  const b = await createInvocation(emu);
  const client = clientFor(emu, { maxRetries: 0 });

  // A PATCH-only fault (any case) skips a GET and a POST.
  emu.fault({ method: 'patch', status: 500 });
  assert.equal((await api(emu, 'GET', `/invocations/${a.id}`)).status, 200);
  await createInvocation(emu);
  const err = await rejection(client.invocations.update(a.id, { status: 'succeeded' }));
  assert.ok(err instanceof InternalServerError, `${err.name}: ${err.message}`);

  // A path prefix: only requests under it are hit.
  emu.fault({ path: `/invocations/${b.id}`, status: 500 });
  assert.equal((await client.invocations.update(a.id, { status: 'succeeded' })).status, 'succeeded');
  const onB = await rejection(client.invocations.update(b.id, { status: 'succeeded' }));
  assert.ok(onB instanceof InternalServerError, `${onB.name}: ${onB.message}`);
  assert.equal((await client.invocations.update(b.id, { status: 'succeeded' })).status, 'succeeded');

  // '/invocations/' matches /invocations/{id} but not POST /invocations.
  emu.fault({ path: '/invocations/', status: 500 });
  await createInvocation(emu);
  assert.equal((await api(emu, 'GET', `/invocations/${b.id}`)).status, 500);
});

test('faults fire in the order they were added', BUDGET, async (t) => {
  const emu = await emulator(t);
  const { id } = await createInvocation(emu);
  emu.fault({ status: 500 });
  emu.fault({ status: 502, times: 2 });
  const statuses = [];
  for (let i = 0; i < 4; i++) statuses.push((await api(emu, 'GET', `/invocations/${id}`)).status);
  assert.deepEqual(statuses, [500, 502, 502, 200]);
});

test('x-should-retry: false on a 503 fault is not retried', BUDGET, async (t) => {
  const emu = await emulator(t);
  const { id } = await createInvocation(emu);
  emu.fault({ status: 503, headers: { 'x-should-retry': 'false', 'retry-after-ms': '1' } });
  // Default retries: a retry would have succeeded.
  const err = await rejection(clientFor(emu).invocations.update(id, { status: 'succeeded' }));
  assert.ok(err instanceof InternalServerError, `${err.name}: ${err.message}`);
  assert.equal(err.headers.get('x-should-retry'), 'false');
  assert.equal((await api(emu, 'GET', `/invocations/${id}`)).body.status, 'running');
});

test('invalid fault specs throw KernelError synchronously and add nothing', BUDGET, async (t) => {
  const emu = await emulator(t);
  const specs = [
    {},
    { status: 99 },
    { status: 600 },
    { times: 0, status: 500 },
    { times: 1.5, status: 500 },
    { delayMs: -1 },
    { drop: false },
    { drop: 'yes' },
    { bogus: 1, status: 500 },
    { status: '503' },
    { status: 500, method: 5 },
    { status: 500, headers: { 'x-bad': 'a\nb' } },
    { status: 500, headers: 'x' },
    { status: 503, rate: 0 },
    { status: 503, rate: 1.5 },
    { status: 503, rate: Number.NaN },
    { status: 503, rate: '0.5' },
    { dropAfter: 'true' },
    { status: 500, dropAfter: true },
    { drop: true, dropAfter: true },
    null,
    'status',
  ];
  for (const spec of specs) {
    const err = thrown(() => emu.fault(spec));
    assert.ok(err instanceof KernelError, `${JSON.stringify(spec)}: ${err.name}: ${err.message}`);
  }
  const { id } = await createInvocation(emu);
  assert.equal((await api(emu, 'GET', `/invocations/${id}`)).status, 200);
});

test('out-of-range fault numbers are refused, not wrapped to 32 bits', BUDGET, async (t) => {
  const emu = await emulator(t);
  const problems = [];
  for (const spec of [{ status: 2 ** 32 + 503 }, { delayMs: 2 ** 32 }, { status: 500, times: 2 ** 32 + 1 }]) {
    try {
      emu.fault(spec);
      problems.push(`emu.fault(${JSON.stringify(spec)}) was accepted`);
    } catch (err) {
      assert.ok(err instanceof KernelError, `${err.name}: ${err.message}`);
    }
  }
  // Refused, but the message should name the value given.
  for (const [spec, given] of [
    [{ status: 70000 }, /70000/],
    [{ status: 503, times: 2 ** 32 }, /4294967296/],
  ]) {
    const err = thrown(() => emu.fault(spec));
    assert.ok(err instanceof KernelError, `${err.name}: ${err.message}`);
    if (!given.test(err.message)) problems.push(`${JSON.stringify(spec)}: the message names another value: ${err.message}`);
  }
  assert.deepEqual(problems, []);
});

test('faults over HTTP: POST /_emulator/faults, DELETE clears them', BUDGET, async (t) => {
  const emu = await emulator(t);
  const { id } = await createInvocation(emu);
  const added = await api(emu, 'POST', '/_emulator/faults', { json: { status: 500 }, key: null });
  assert.equal(added.status, 204);
  assertApiError(await api(emu, 'GET', `/invocations/${id}`), 500, 'injected_fault');
  assert.equal((await api(emu, 'GET', `/invocations/${id}`)).status, 200);

  // Same fields as emu.fault, camelCase included, seen by the client.
  const spec = { method: 'PATCH', status: 429, headers: { 'retry-after-ms': '5' }, times: 1 };
  assert.equal((await api(emu, 'POST', '/_emulator/faults', { json: spec })).status, 204);
  const err = await rejection(clientFor(emu, { maxRetries: 0 }).invocations.update(id, { status: 'succeeded' }));
  assert.ok(err instanceof RateLimitError, `${err.name}: ${err.message}`);
  assert.equal(err.headers.get('retry-after-ms'), '5');

  // Invalid faults are 400.
  for (const json of [{}, { status: 99 }, { status: 500, bogus: 1 }, { status: '500' }, [1]]) {
    assertApiError(await api(emu, 'POST', '/_emulator/faults', { json }), 400, 'bad_request');
  }
  assertApiError(await api(emu, 'POST', '/_emulator/faults', { raw: '{' }), 400, 'bad_request');

  // DELETE clears pending faults, even one that matches every request.
  assert.equal((await api(emu, 'POST', '/_emulator/faults', { json: { status: 500, times: 5 } })).status, 204);
  assert.equal((await api(emu, 'DELETE', '/_emulator/faults', { key: null })).status, 204);
  assert.equal((await api(emu, 'GET', `/invocations/${id}`)).status, 200);
});

// ---------------------------------------------------------------------------------------------
// The rules, over raw HTTP

test('bodies that are not a JSON object, unknown statuses and fields are 400', BUDGET, async (t) => {
  const emu = await emulator(t);
  const { id } = await createInvocation(emu);
  const patch = `/invocations/${id}`;
  const bad = [
    { raw: 'not json' },
    { raw: '' },
    { raw: '[]' },
    { raw: '"succeeded"' },
    { json: {} },
    { json: { status: 'done' } },
    { json: { status: 'running' } },
    { json: { status: 5 } },
    { json: { status: 'succeeded', output: { a: 1 } } },
    { json: { status: 'succeeded', output: 5 } },
    { json: { status: 'succeeded', extra: 1 } },
  ];
  for (const request of bad) {
    assertApiError(await api(emu, 'PATCH', patch, request), 400, 'bad_request');
  }
  // None of them changed the invocation.
  assert.equal((await api(emu, 'GET', patch)).body.status, 'running');

  const base = { app_name: 'a', action_name: 'b', version: '1' };
  const badCreates = [
    { raw: '{' },
    { json: { ...base, extra: 1 } },
    { json: { ...base, app_name: 5 } },
    { json: { action_name: 'b', version: '1' } },
    { json: { ...base, version: '' } },
    { json: { ...base, async: 'yes' } },
    { json: { ...base, async_timeout_seconds: 0 } },
    { json: { ...base, payload: { a: 1 } } },
  ];
  for (const request of badCreates) {
    assertApiError(await api(emu, 'POST', '/invocations', request), 400, 'bad_request');
  }
  assertApiError(await api(emu, 'GET', '/invocations?status=done'), 400, 'bad_request');
  assertApiError(await api(emu, 'GET', '/invocations?bogus=1'), 400, 'bad_request');
  assertApiError(await api(emu, 'GET', '/invocations?limit=0'), 400, 'bad_request');
  assertApiError(await api(emu, 'GET', '/invocations?limit=101'), 400, 'bad_request');
});

test('unknown routes and methods answer with a {code, message} error body', BUDGET, async (t) => {
  const emu = await emulator(t);
  const { id } = await createInvocation(emu);
  assertApiError(await api(emu, 'GET', '/nope'), 404, 'not_found');
  // The README: "every error body is { "code": "...", "message": "..." }".
  for (const [method, path] of [
    ['PUT', `/invocations/${id}`],
    ['DELETE', `/invocations/${id}`],
    ['POST', `/invocations/${id}/events`],
  ]) {
    const res = await api(emu, method, path);
    assert.equal(res.status, 405, `${method} ${path}`);
    assert.equal(typeof res.body?.code, 'string', `${method} ${path}: body ${JSON.stringify(res.body)}`);
    assert.equal(typeof res.body?.message, 'string', `${method} ${path}: body ${JSON.stringify(res.body)}`);
  }
});

test('a missing or wrong bearer token is 401 on every endpoint', BUDGET, async (t) => {
  const emu = await emulator(t);
  const { id } = await createInvocation(emu);
  const routes = [
    ['POST', '/invocations', { app_name: 'a', action_name: 'b', version: '1' }],
    ['GET', '/invocations'],
    ['GET', `/invocations/${id}`],
    ['PATCH', `/invocations/${id}`, { status: 'succeeded' }],
    ['GET', `/invocations/${id}/events`],
    ['GET', `/invocations/${id}/browsers`],
    ['DELETE', `/invocations/${id}/browsers`],
  ];
  for (const [method, path, json] of routes) {
    for (const key of [null, 'wrong-key', '', `${EMU_KEY}x`, EMU_KEY.slice(0, -1)]) {
      assertApiError(await api(emu, method, path, { json, key }), 401, 'unauthorized');
    }
  }
  // A raw "Basic" or bare token is not a bearer token.
  for (const authorization of [EMU_KEY, `Basic ${EMU_KEY}`]) {
    const res = await fetch(`${emu.url}/invocations/${id}`, { headers: { authorization } });
    assert.equal(res.status, 401, authorization);
  }
  assert.equal((await api(emu, 'GET', `/invocations/${id}`)).body.status, 'running');
});

test('a body over 10 MiB is 413; one just under is accepted', BUDGET, async (t) => {
  const emu = await emulator(t);
  const { id } = await createInvocation(emu);
  const prefix = '{"status":"succeeded","output":"';
  const suffix = '"}';
  const body = (size) => prefix + 'x'.repeat(size - prefix.length - suffix.length) + suffix;

  assertApiError(await api(emu, 'PATCH', `/invocations/${id}`, { raw: body(10 * MIB + 1) }), 413, 'payload_too_large');
  assert.equal((await api(emu, 'GET', `/invocations/${id}`)).body.status, 'running');

  const res = await api(emu, 'PATCH', `/invocations/${id}`, { raw: body(10 * MIB) });
  assert.equal(res.status, 200);
  assert.equal(res.body.status, 'succeeded');
  assert.equal(res.body.output.length, 10 * MIB - prefix.length - suffix.length);
});

test('GET /invocations pages a filter with x-has-more and x-next-offset', BUDGET, async (t) => {
  const emu = await emulator(t);
  const paged = [];
  for (let i = 0; i < 45; i++) {
    paged.push((await createInvocation(emu, { app_name: 'paged' })).id);
    if (i % 9 === 0) await createInvocation(emu, { app_name: 'other' });
  }
  const pages = [];
  for (const offset of [0, 20, 40]) {
    const res = await api(emu, 'GET', `/invocations?app_name=paged&limit=20&offset=${offset}`);
    assert.equal(res.status, 200);
    pages.push({
      ids: res.body.map((inv) => inv.id),
      apps: new Set(res.body.map((inv) => inv.app_name)),
      hasMore: res.headers.get('x-has-more'),
      next: res.headers.get('x-next-offset'),
    });
  }
  assert.deepEqual(
    pages.map((p) => [p.ids.length, p.hasMore, p.next]),
    [
      [20, 'true', '20'],
      [20, 'true', '40'],
      [5, 'false', '0'],
    ],
  );
  for (const page of pages) assert.deepEqual([...page.apps], ['paged']);
  // Newest first, each invocation exactly once.
  assert.deepEqual(
    pages.flatMap((p) => p.ids),
    [...paged].reverse(),
  );
  // Past the end: empty, nothing more.
  const past = await api(emu, 'GET', '/invocations?app_name=paged&offset=45');
  assert.deepEqual(past.body, []);
  assert.equal(past.headers.get('x-has-more'), 'false');
  // No filter: all 50, default limit 20.
  const all = await api(emu, 'GET', '/invocations');
  assert.equal(all.body.length, 20);
  assert.equal(all.headers.get('x-next-offset'), '20');
  // The status filter and query.
  await clientFor(emu).invocations.update(paged[3], { status: 'failed' });
  const failed = await api(emu, 'GET', '/invocations?status=failed');
  assert.deepEqual(
    failed.body.map((inv) => inv.id),
    [paged[3]],
  );
  const query = await api(emu, 'GET', `/invocations?query=${paged[7]}`);
  assert.deepEqual(
    query.body.map((inv) => inv.id),
    [paged[7]],
  );
  assert.deepEqual((await api(emu, 'GET', '/invocations?deployment_id=dep_1')).body, []);
});

test('browsers: GET lists none, DELETE is 204, an unknown id is 404', BUDGET, async (t) => {
  const emu = await emulator(t);
  const { id } = await createInvocation(emu);
  const listed = await api(emu, 'GET', `/invocations/${id}/browsers`);
  assert.equal(listed.status, 200);
  assert.deepEqual(listed.body, { browsers: [] });
  const deleted = await api(emu, 'DELETE', `/invocations/${id}/browsers`);
  assert.equal(deleted.status, 204);
  assert.equal(deleted.body, '');
  for (const [method, path] of [
    ['GET', '/invocations/nope/browsers'],
    ['DELETE', '/invocations/nope/browsers'],
    ['GET', '/invocations/nope'],
    ['GET', '/invocations/nope/events'],
  ]) {
    assertApiError(await api(emu, method, path), 404, 'not_found');
  }
});

// ---------------------------------------------------------------------------------------------
// Event streams

test('events: the state now, the state after an update, then the end of the stream', BUDGET, async (t) => {
  const emu = await emulator(t);
  const { id } = await createInvocation(emu);
  const res = await fetch(`${emu.url}/invocations/${id}/events`, { headers: { authorization: `Bearer ${EMU_KEY}` } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/event-stream/);
  const events = sseEvents(res);

  const first = await within(2000, events.next(), 'the first event');
  assert.equal(first.value.event, 'invocation_state');
  assert.equal(first.value.data.event, 'invocation_state');
  assert.equal(first.value.data.invocation.id, id);
  assert.equal(first.value.data.invocation.status, 'running');
  assert.match(first.value.data.timestamp, NANOS);

  const [updated, second] = await Promise.all([
    clientFor(emu).invocations.update(id, { status: 'succeeded', output: '"done"' }),
    within(2000, events.next(), 'the second event'),
  ]);
  assert.equal(second.value.event, 'invocation_state');
  assert.deepEqual(second.value.data.invocation, updated);
  assert.equal(second.value.data.invocation.status, 'succeeded');

  const end = await within(2000, events.next(), 'the end of the stream');
  assert.equal(end.done, true, `another event: ${JSON.stringify(end.value)}`);
});

test('events of a terminal invocation: one state, then the end', BUDGET, async (t) => {
  const emu = await emulator(t);
  const { id } = await createInvocation(emu);
  await clientFor(emu).invocations.update(id, { status: 'failed' });
  const res = await fetch(`${emu.url}/invocations/${id}/events?since=5m`, { headers: { authorization: `Bearer ${EMU_KEY}` } });
  assert.equal(res.status, 200);
  const all = [];
  for await (const event of sseEvents(res)) all.push(event);
  assert.deepEqual(
    all.map((e) => [e.event, e.data.invocation.status]),
    [['invocation_state', 'failed']],
  );
  assertApiError(await api(emu, 'GET', `/invocations/${id}/events?since=yesterday`), 400, 'bad_request');
});

test('heartbeatMs: sse_heartbeat events while the invocation runs', BUDGET, async (t) => {
  const emu = await emulator(t, { apiKey: EMU_KEY, heartbeatMs: 50 });
  const { id } = await createInvocation(emu);
  const res = await fetch(`${emu.url}/invocations/${id}/events`, { headers: { authorization: `Bearer ${EMU_KEY}` } });
  const events = sseEvents(res);
  assert.equal((await events.next()).value.event, 'invocation_state');
  for (let i = 0; i < 2; i++) {
    // The default interval is 5 s: two within a second come from heartbeatMs.
    const { value } = await within(1000, events.next(), `heartbeat ${i + 1}`);
    assert.equal(value.event, 'sse_heartbeat');
    assert.equal(value.data.event, 'sse_heartbeat');
    assert.match(value.data.timestamp, NANOS);
  }
  await clientFor(emu).invocations.update(id, { status: 'succeeded' });
  let last;
  for await (const event of events) last = event;
  assert.equal(last.event, 'invocation_state');
  assert.equal(last.data.invocation.status, 'succeeded');
});

// ---------------------------------------------------------------------------------------------
// Concurrency

test('500 concurrent creates and 500 concurrent updates are all applied once', BUDGET, async (t) => {
  const emu = await emulator(t);
  const client = clientFor(emu);
  const created = await Promise.all(
    Array.from({ length: 500 }, (_, i) => createInvocation(emu, { app_name: 'bulk', payload: String(i) })),
  );
  const ids = created.map((inv) => inv.id);
  assert.equal(new Set(ids).size, 500);

  const statusOf = (i) => (i % 3 === 0 ? 'failed' : 'succeeded');
  const updated = await Promise.all(
    ids.map((id, i) => client.invocations.update(id, { status: statusOf(i), output: JSON.stringify({ i }) })),
  );
  const stored = await Promise.all(ids.map((id) => api(emu, 'GET', `/invocations/${id}`)));
  ids.forEach((id, i) => {
    assert.equal(stored[i].status, 200, id);
    assert.deepEqual(stored[i].body, updated[i], id);
    assert.equal(stored[i].body.status, statusOf(i));
    assert.equal(stored[i].body.payload, String(i));
    assert.equal(stored[i].body.output, JSON.stringify({ i }));
    assert.match(stored[i].body.finished_at, NANOS);
  });

  // The list holds each exactly once.
  const listed = [];
  for (let offset = 0; ; ) {
    const res = await api(emu, 'GET', `/invocations?app_name=bulk&limit=100&offset=${offset}`);
    listed.push(...res.body.map((inv) => inv.id));
    offset = Number(res.headers.get('x-next-offset'));
    if (res.headers.get('x-has-more') !== 'true') break;
  }
  assert.deepEqual([...listed].sort(), [...ids].sort());
});

test('concurrent conflicting updates of one invocation: one status wins, once', BUDGET, async (t) => {
  const emu = await emulator(t);
  const { id } = await createInvocation(emu);
  const client = clientFor(emu, { maxRetries: 0 });
  const results = await Promise.allSettled(
    Array.from({ length: 50 }, (_, i) =>
      client.invocations.update(id, { status: i % 2 ? 'failed' : 'succeeded', output: String(i) }),
    ),
  );
  const stored = (await api(emu, 'GET', `/invocations/${id}`)).body;
  for (const result of results) {
    if (result.status === 'fulfilled') {
      assert.deepEqual(result.value, stored);
    } else {
      assert.ok(result.reason instanceof ConflictError, `${result.reason.name}: ${result.reason.message}`);
    }
  }
  const winners = results.filter((r) => r.status === 'fulfilled');
  assert.ok(winners.length >= 1);
  // Every update asking for the winning status succeeded; every other one conflicted.
  const winningParity = stored.status === 'failed' ? 1 : 0;
  results.forEach((result, i) => {
    assert.equal(result.status === 'fulfilled', i % 2 === winningParity, `update ${i}`);
  });
});
