'use strict';
// Retries: which failures are retried, how often, and how long the client waits. Status
// bursts, retry headers and dropped connections come from emulator faults (requests counted
// with a sentinel fault, see helpers/emulator.js); checks that must see each request, or a
// retry-after date, use a bespoke server.

const { test } = require('node:test');
const assert = require('node:assert/strict');

const Kernel = require('kernel-native');
const { APIConnectionError, APIUserAbortError, InternalServerError, RateLimitError } = Kernel;
const { API_KEY, invocation, sendJson, startServer, rejection } = require('./helpers/server');
const { emulator, clientFor, createInvocation, storedInvocation, sentinel, countPatches } = require('./helpers/emulator');

/** Budgets, not speed checks: nothing here should hang the suite. */
const BUDGET = { timeout: 10_000 };

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

const update = (client, id, options) => client.invocations.update(id, { status: 'succeeded' }, options);

const FAST = { 'retry-after-ms': '1' };

/**
 * The next `times` PATCH requests get `status` with `headers` and a `{code, message}` body
 * (code `status_<status>` unless `body` is given).
 */
function patchFault(emu, status, { headers, times, body } = {}) {
  emu.fault({
    method: 'PATCH',
    status,
    headers,
    times,
    body: body ?? { code: `status_${status}`, message: `status ${status}` },
  });
}

/** The update went through: the answer and the stored invocation say succeeded. */
async function assertSucceeded(emu, result, id) {
  assert.equal(result.id, id);
  assert.equal(result.status, 'succeeded');
  assert.equal((await storedInvocation(emu, id)).status, 'succeeded');
}

/** No request got past the faults: the invocation is still running. */
async function assertUntouched(emu, id) {
  assert.equal((await storedInvocation(emu, id)).status, 'running');
}

// ---------------------------------------------------------------------------------------------
// On the emulator

test('503 twice then 200 succeeds on the third request', BUDGET, async (t) => {
  const emu = await emulator(t);
  const { id } = await createInvocation(emu);
  patchFault(emu, 503, { headers: FAST, times: 2 });
  const assertExactly = countPatches(emu, 1);
  const result = await update(clientFor(emu), id);
  await assertSucceeded(emu, result, id);
  await assertExactly(id);
});

test('429 with retry-after: 0 is retried', BUDGET, async (t) => {
  const emu = await emulator(t);
  const { id } = await createInvocation(emu);
  patchFault(emu, 429, { headers: { 'retry-after': '0' } });
  const assertExactly = countPatches(emu, 1);
  const result = await update(clientFor(emu), id);
  await assertSucceeded(emu, result, id);
  await assertExactly(id);
});

test('429 that persists ends as a RateLimitError after maxRetries', BUDGET, async (t) => {
  const emu = await emulator(t);
  const { id } = await createInvocation(emu);
  patchFault(emu, 429, { headers: { 'retry-after': '0' }, times: 3 });
  // A fourth request would meet the sentinel (a 400) instead of a 429.
  const assertReached = sentinel(emu);
  const err = await rejection(update(clientFor(emu), id));
  assert.ok(err instanceof RateLimitError, `${err.name}: ${err.message}`);
  assert.equal(err.error.code, 'status_429');
  await assertReached(id);
  await assertUntouched(emu, id);
});

test('408, 409, 500, 502 and 504 are retried', BUDGET, async (t) => {
  const emu = await emulator(t);
  for (const status of [408, 409, 500, 502, 504]) {
    const { id } = await createInvocation(emu);
    patchFault(emu, status, { headers: FAST });
    const assertExactly = countPatches(emu, 1);
    const result = await update(clientFor(emu), id);
    await assertSucceeded(emu, result, id);
    await assertExactly(id);
  }
});

test('400, 401, 403, 404 and 422 are not retried', BUDGET, async (t) => {
  const emu = await emulator(t);
  for (const status of [400, 401, 403, 404, 422]) {
    const { id } = await createInvocation(emu);
    patchFault(emu, status, { headers: FAST });
    // A retry would meet the sentinel and end in its 400 instead.
    const assertReached = sentinel(emu);
    const err = await rejection(update(clientFor(emu), id));
    assert.equal(err.status, status);
    assert.equal(err.error?.code, `status_${status}`, `${status}: ${err.message}`);
    await assertReached(id);
    await assertUntouched(emu, id);
  }
});

test('x-should-retry: false on a 503 stops retries', BUDGET, async (t) => {
  const emu = await emulator(t);
  const { id } = await createInvocation(emu);
  patchFault(emu, 503, { headers: { ...FAST, 'x-should-retry': 'false' } });
  const assertReached = sentinel(emu);
  const err = await rejection(update(clientFor(emu), id));
  assert.ok(err instanceof InternalServerError, `${err.name}: ${err.message}`);
  assert.equal(err.headers.get('x-should-retry'), 'false');
  await assertReached(id);
  await assertUntouched(emu, id);
});

test('x-should-retry: true on a 400 makes it retried', BUDGET, async (t) => {
  const emu = await emulator(t);
  const { id } = await createInvocation(emu);
  patchFault(emu, 400, { headers: { ...FAST, 'x-should-retry': 'true' } });
  const assertExactly = countPatches(emu, 1);
  const result = await update(clientFor(emu), id);
  await assertSucceeded(emu, result, id);
  await assertExactly(id);
});

test('per-request maxRetries: 0 sends one request', BUDGET, async (t) => {
  const emu = await emulator(t);
  const { id } = await createInvocation(emu);
  patchFault(emu, 503, { headers: FAST });
  const assertReached = sentinel(emu);
  const err = await rejection(update(clientFor(emu, { maxRetries: 5 }), id, { maxRetries: 0 }));
  assert.ok(err instanceof InternalServerError, `${err.name}: ${err.message}`);
  await assertReached(id);
  await assertUntouched(emu, id);
});

test('client maxRetries: 1 sends two requests, and the last answer is the error', BUDGET, async (t) => {
  const emu = await emulator(t);
  const { id } = await createInvocation(emu);
  patchFault(emu, 503, { headers: FAST, body: { code: 'first', message: 'first' } });
  patchFault(emu, 500, { headers: { ...FAST, 'x-request-id': 'req_2' }, body: { code: 'second', message: 'second' } });
  const assertReached = sentinel(emu);
  const err = await rejection(update(clientFor(emu, { maxRetries: 1 }), id));
  assert.ok(err instanceof InternalServerError, `${err.name}: ${err.message}`);
  assert.equal(err.status, 500);
  assert.equal(err.message, '500 second');
  assert.equal(err.headers.get('x-request-id'), 'req_2');
  await assertReached(id);
  await assertUntouched(emu, id);
});

test('the default maxRetries is 2: three requests in all', BUDGET, async (t) => {
  const emu = await emulator(t);
  const { id } = await createInvocation(emu);
  patchFault(emu, 503, { headers: FAST, times: 3 });
  const assertReached = sentinel(emu);
  const err = await rejection(update(clientFor(emu), id));
  assert.ok(err instanceof InternalServerError, `${err.name}: ${err.message}`);
  assert.equal(err.error.code, 'status_503');
  await assertReached(id);
  await assertUntouched(emu, id);
});

test('per-request maxRetries raises the client one', BUDGET, async (t) => {
  const emu = await emulator(t);
  const { id } = await createInvocation(emu);
  patchFault(emu, 503, { headers: FAST, times: 3 });
  const assertExactly = countPatches(emu, 1);
  const result = await update(clientFor(emu, { maxRetries: 0 }), id, { maxRetries: 3 });
  await assertSucceeded(emu, result, id);
  await assertExactly(id);
});

test('a dropped connection is retried (default backoff), and the retry succeeds', BUDGET, async (t) => {
  const emu = await emulator(t);
  const { id } = await createInvocation(emu);
  emu.fault({ method: 'PATCH', drop: true });
  const assertExactly = countPatches(emu, 1);
  const started = performance.now();
  const result = await update(clientFor(emu, { maxRetries: 1 }), id);
  // The default backoff is 0.5 s less up to 25 % jitter; both attempts are quick on loopback.
  const elapsed = performance.now() - started;
  await assertSucceeded(emu, result, id);
  await assertExactly(id);
  assert.ok(elapsed >= 300, `the call took ${elapsed} ms: no backoff before the retry`);
});

test('connection errors end as APIConnectionError when retries run out', BUDGET, async (t) => {
  const emu = await emulator(t);
  const { id } = await createInvocation(emu);
  emu.fault({ method: 'PATCH', drop: true });
  const assertReached = sentinel(emu);
  const err = await rejection(update(clientFor(emu, { maxRetries: 0 }), id));
  assert.ok(err instanceof APIConnectionError, `${err.name}: ${err.message}`);
  await assertReached(id);
  await assertUntouched(emu, id);
});

test('an abort during the retry wait ends the call, with no further request', BUDGET, async (t) => {
  const emu = await emulator(t);
  const { id } = await createInvocation(emu);
  patchFault(emu, 503, { headers: { 'retry-after-ms': '500' } });
  const assertReached = sentinel(emu);
  const controller = new AbortController();
  const started = performance.now();
  const call = update(clientFor(emu, { maxRetries: 3 }), id, { signal: controller.signal });
  // The 503 is back within a few ms on loopback: 150 ms in, the client is waiting to retry.
  await sleep(150);
  controller.abort();
  const err = await rejection(call);
  assert.ok(err instanceof APIUserAbortError, String(err));
  // Well past the retry time: a retry, if any, would have used up the sentinel by now.
  await sleep(850 - (performance.now() - started));
  await assertReached(id);
  await assertUntouched(emu, id);
});

// ---------------------------------------------------------------------------------------------
// On bespoke servers: what the emulator cannot show

/**
 * A server that answers the n-th request (from 0) with `answers[n]` ([status, body, headers]),
 * and with the last entry once they run out; every request is recorded.
 */
async function scriptedServer(answers) {
  let count = 0;
  return startServer((req, res) => {
    const [status, body, headers] = answers[Math.min(count++, answers.length - 1)];
    sendJson(res, status, body, headers);
  });
}

const client = (baseURL, options = {}) => new Kernel({ apiKey: API_KEY, baseURL, ...options });

// The emulator keeps no request log: only a recording server shows what each retry sent.
test('every retry sends the same method, path, body and headers', async () => {
  const server = await scriptedServer([
    [503, { message: 'busy 1' }, FAST],
    [503, { message: 'busy 2' }, FAST],
    [200, invocation({ id: 'inv_1' })],
  ]);
  try {
    const result = await update(client(server.url), 'inv_1');
    assert.equal(result.id, 'inv_1');
    assert.equal(server.requests.length, 3);
    for (const req of server.requests) {
      assert.equal(req.method, 'PATCH');
      assert.equal(req.url, '/invocations/inv_1');
      assert.equal(req.body, '{"status":"succeeded"}');
      assert.equal(req.headers.authorization, `Bearer ${API_KEY}`);
      assert.equal(req.headers['content-type'], 'application/json');
    }
  } finally {
    await server.close();
  }
});

// Fault headers are fixed when the fault is added, and the delay is measured between arrivals.
test('retry-after as an HTTP date about a second ahead is honoured', async () => {
  const times = [];
  const server = await startServer((req, res) => {
    times.push(Date.now());
    if (times.length === 1) {
      // At least one whole second ahead, rounded up to the next second (dates have no ms).
      const at = new Date(Math.ceil(Date.now() / 1000) * 1000 + 1000);
      sendJson(res, 503, { message: 'later' }, { 'retry-after': at.toUTCString() });
    } else {
      sendJson(res, 200, invocation({ id: 'inv_1' }));
    }
  });
  try {
    const result = await update(client(server.url), 'inv_1');
    assert.equal(result.id, 'inv_1');
    assert.equal(server.requests.length, 2);
    const waited = times[1] - times[0];
    assert.ok(waited >= 700, `the retry came after ${waited} ms; the server asked for >= 1000 ms`);
  } finally {
    await server.close();
  }
});
