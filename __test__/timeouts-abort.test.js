'use strict';
// Timeouts and AbortSignal: stalled servers fail within a budget, aborts drop the connection.
// A server that answers late (or not within the test) is an emulator delay fault, with requests
// counted by a sentinel fault (helpers/emulator.js); stalled bodies and watching the server side
// of a connection close need bespoke servers.

const { test } = require('node:test');
const assert = require('node:assert/strict');

const Kernel = require('kernel-native');
const { APIConnectionError, APIConnectionTimeoutError, APIUserAbortError, APIError, KernelError, NotFoundError } = Kernel;
const { getEventListeners } = require('node:events');

const { API_KEY, startServer, startRawServer, within, rejection } = require('./helpers/server');
const { emulator, clientFor, createInvocation, storedInvocation, sentinel, countPatches } = require('./helpers/emulator');

/** Budgets, not speed checks: a stalled call must fail well within these. */
const BUDGET = { timeout: 5000 };

function client(baseURL, options = {}) {
  return new Kernel({ apiKey: API_KEY, baseURL, ...options });
}

/** The call on a bespoke server (any id does). */
const update = (kernel, options) => kernel.invocations.update('inv_1', { status: 'succeeded' }, options);
/** The call on an emulator invocation. */
const updateOn = (kernel, id, options) => kernel.invocations.update(id, { status: 'succeeded' }, options);

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/**
 * The next `times` PATCH requests are held for `delayMs` (longer than any test here waits:
 * to the client, a server that does not answer). Closing the emulator ends them.
 */
function holdPatches(emu, times = 1, delayMs = 4000) {
  emu.fault({ method: 'PATCH', delayMs, times });
}

/** Long enough for a call started now to have reached the emulator over loopback. */
const ARRIVAL_MS = 100;

const neverAnswers = () => {};

// ---------------------------------------------------------------------------------------------
// On the emulator

test('a server that answers too late ends in APIConnectionTimeoutError', BUDGET, async (t) => {
  const emu = await emulator(t);
  const { id } = await createInvocation(emu);
  holdPatches(emu);
  const assertReached = sentinel(emu);
  const kernel = clientFor(emu, { timeout: 200, maxRetries: 0 });
  const err = await within(3000, rejection(updateOn(kernel, id)), 'the timeout');
  assert.ok(err instanceof APIConnectionTimeoutError, String(err));
  assert.ok(err instanceof APIConnectionError);
  assert.ok(err instanceof APIError);
  assert.ok(err instanceof KernelError);
  assert.equal(err.name, 'APIConnectionTimeoutError');
  // Exactly one request: the held one.
  await assertReached(id);
});

test('a timed-out attempt is retried, and the retry can succeed', BUDGET, async (t) => {
  const emu = await emulator(t);
  const { id } = await createInvocation(emu);
  holdPatches(emu);
  const assertExactly = countPatches(emu, 1);
  const result = await updateOn(clientFor(emu, { timeout: 200, maxRetries: 1 }), id);
  assert.equal(result.id, id);
  assert.equal(result.status, 'succeeded');
  assert.equal((await storedInvocation(emu, id)).status, 'succeeded');
  await assertExactly(id);
});

test('timeouts use up retries: maxRetries 1 makes two attempts, then times out', BUDGET, async (t) => {
  const emu = await emulator(t);
  const { id } = await createInvocation(emu);
  holdPatches(emu, 2);
  const assertReached = sentinel(emu);
  const err = await rejection(updateOn(clientFor(emu, { maxRetries: 1 }), id, { timeout: 200 }));
  assert.ok(err instanceof APIConnectionTimeoutError, String(err));
  await assertReached(id);
});

test('listeners the caller put on the signal still fire', BUDGET, async (t) => {
  const emu = await emulator(t);
  const { id } = await createInvocation(emu);
  holdPatches(emu);
  const assertReached = sentinel(emu);
  const controller = new AbortController();
  const { signal } = controller;
  const calls = [];
  signal.addEventListener('abort', () => calls.push('listener'));
  signal.onabort = () => calls.push('onabort');
  const call = updateOn(clientFor(emu, { maxRetries: 0 }), id, { signal });
  signal.addEventListener('abort', () => calls.push('late listener'));
  await sleep(ARRIVAL_MS);
  controller.abort();
  const err = await rejection(call);
  assert.ok(err instanceof APIUserAbortError, String(err));
  assert.deepEqual(calls.sort(), ['late listener', 'listener', 'onabort']);
  assert.equal(typeof signal.onabort, 'function');
  // The request had reached the emulator: the abort came mid-flight.
  await assertReached(id);
});

test('after a call finishes, onabort and listeners on its signal work as usual', BUDGET, async (t) => {
  const emu = await emulator(t);
  const { id } = await createInvocation(emu);
  const assertExactly = countPatches(emu, 1);
  const controller = new AbortController();
  const { signal } = controller;
  const result = await updateOn(clientFor(emu), id, { signal });
  assert.equal(result.id, id);
  assert.equal(result.status, 'succeeded');
  let fired = 0;
  signal.onabort = () => fired++;
  let listened = 0;
  signal.addEventListener('abort', () => listened++);
  controller.abort();
  assert.equal(fired, 1);
  assert.equal(listened, 1);
  await assertExactly(id);
});

test('an abort is not retried', BUDGET, async (t) => {
  const emu = await emulator(t);
  const { id } = await createInvocation(emu);
  holdPatches(emu);
  // A retry would use up the sentinel.
  const assertReached = sentinel(emu);
  const controller = new AbortController();
  const call = updateOn(clientFor(emu, { maxRetries: 3 }), id, { signal: controller.signal });
  await sleep(ARRIVAL_MS);
  controller.abort();
  const err = await rejection(call);
  assert.ok(err instanceof APIUserAbortError, String(err));
  // Longer than the first backoff (<= 0.5 s): a retry would have arrived by now.
  await sleep(600);
  await assertReached(id);
  assert.equal((await storedInvocation(emu, id)).status, 'running');
});

test('one signal aborts every call that holds it', BUDGET, async (t) => {
  const emu = await emulator(t);
  const { id } = await createInvocation(emu);
  holdPatches(emu, 5);
  const assertReached = sentinel(emu);
  const controller = new AbortController();
  const kernel = clientFor(emu, { maxRetries: 0 });
  const calls = Array.from({ length: 5 }, () => updateOn(kernel, id, { signal: controller.signal }));
  await sleep(ARRIVAL_MS);
  controller.abort();
  const errors = await Promise.all(calls.map(rejection));
  for (const err of errors) assert.ok(err instanceof APIUserAbortError, String(err));
  // All five were in flight (each took one held slot), and none was sent again.
  await assertReached(id);
});

test('AbortSignal.timeout works as a signal and yields APIUserAbortError', BUDGET, async (t) => {
  const emu = await emulator(t);
  const { id } = await createInvocation(emu);
  holdPatches(emu);
  const err = await within(
    3000,
    rejection(updateOn(clientFor(emu, { maxRetries: 0 }), id, { signal: AbortSignal.timeout(100) })),
    'the abort',
  );
  assert.ok(err instanceof APIUserAbortError, String(err));
});

test('aborting a call leaves the client usable for the next one', BUDGET, async (t) => {
  const emu = await emulator(t);
  const { id } = await createInvocation(emu);
  holdPatches(emu);
  const assertExactly = countPatches(emu, 1);
  const kernel = clientFor(emu, { maxRetries: 0 });
  const controller = new AbortController();
  const first = updateOn(kernel, id, { signal: controller.signal });
  await sleep(ARRIVAL_MS);
  controller.abort();
  assert.ok((await rejection(first)) instanceof APIUserAbortError);
  // Had the first call not been held, this one would be (for 4 s): it must pass at once.
  const result = await within(2000, updateOn(kernel, id, { signal: new AbortController().signal }), 'the next call');
  assert.equal(result.id, id);
  assert.equal(result.status, 'succeeded');
  await assertExactly(id);
});

test('the library removes its abort listener when a call settles', BUDGET, async (t) => {
  const emu = await emulator(t);
  const { id } = await createInvocation(emu);
  const kernel = clientFor(emu, { maxRetries: 0 });
  const { signal } = new AbortController();
  const mine = () => {};
  signal.addEventListener('abort', mine);
  // The first update finishes the invocation; repeating the terminal status is a 200 too.
  for (let i = 0; i < 20; i++) assert.equal((await updateOn(kernel, id, { signal })).status, 'succeeded');
  for (let i = 0; i < 5; i++) {
    const missing = await rejection(kernel.invocations.update('missing', { status: 'succeeded' }, { signal }));
    assert.ok(missing instanceof NotFoundError, `${missing.name}: ${missing.message}`);
    await rejection(kernel.invocations.update('x', { status: 'bogus' }, { signal }));
  }
  assert.deepEqual(getEventListeners(signal, 'abort'), [mine]);
});

// ---------------------------------------------------------------------------------------------
// On bespoke servers: stalled bodies, and the server seeing the connection close

// The emulator gives no sign of a client going away, so only a raw server shows the drop.
test('a timed-out attempt drops its connection', BUDGET, async () => {
  const server = await startRawServer(neverAnswers);
  try {
    const err = await within(3000, rejection(update(client(server.url, { timeout: 100, maxRetries: 0 }))), 'the timeout');
    assert.ok(err instanceof APIConnectionTimeoutError, String(err));
    assert.equal(server.connections.length, 1);
    await within(2000, server.connections[0].closedPromise, 'closing the timed-out connection');
  } finally {
    await server.close();
  }
});

test('headers followed by a stalled body end in APIConnectionTimeoutError', BUDGET, async () => {
  const server = await startRawServer((socket) => {
    socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"id":"inv_1",');
  });
  try {
    const err = await within(3000, rejection(update(client(server.url, { timeout: 200, maxRetries: 0 }))), 'the timeout');
    assert.ok(err instanceof APIConnectionTimeoutError, String(err));
  } finally {
    await server.close();
  }
});

test('the timeout covers the whole body: a trickling body still times out', BUDGET, async () => {
  const server = await startRawServer((socket) => {
    socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n');
    const timer = setInterval(() => {
      if (socket.destroyed) clearInterval(timer);
      else socket.write(' ');
    }, 20);
    socket.on('close', () => clearInterval(timer));
  });
  try {
    const err = await within(3000, rejection(update(client(server.url, { timeout: 300, maxRetries: 0 }))), 'the timeout');
    assert.ok(err instanceof APIConnectionTimeoutError, String(err));
  } finally {
    await server.close();
  }
});


test('an abort mid-flight rejects with APIUserAbortError and closes the connection', BUDGET, async () => {
  let arrived;
  const requestArrived = new Promise((resolve) => {
    arrived = resolve;
  });
  const server = await startRawServer(() => arrived());
  try {
    const controller = new AbortController();
    const call = update(client(server.url, { maxRetries: 0 }), { signal: controller.signal });
    await within(3000, requestArrived, 'the request');
    controller.abort();
    const err = await within(3000, rejection(call), 'the rejection');
    assert.ok(err instanceof APIUserAbortError, String(err));
    assert.ok(err instanceof APIError);
    assert.ok(!(err instanceof APIConnectionError));
    assert.equal(err.name, 'APIUserAbortError');
    await within(2000, server.connections[0].closedPromise, 'the server seeing the connection close');
    assert.equal(server.connections[0].closed, true);
  } finally {
    await server.close();
  }
});

test('an abort mid-flight closes the request on a node:http server', BUDGET, async () => {
  let seen;
  const closed = new Promise((resolve) => {
    seen = resolve;
  });
  const server = await startServer((req, res) => {
    res.on('close', () => seen(res.writableFinished));
    // never answers
  });
  try {
    const controller = new AbortController();
    const call = update(client(server.url, { maxRetries: 0 }), { signal: controller.signal });
    while (server.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort();
    const err = await rejection(call);
    assert.ok(err instanceof APIUserAbortError, String(err));
    const finished = await within(2000, closed, 'the server seeing the request close');
    assert.equal(finished, false, 'the response was never finished: the client went away');
  } finally {
    await server.close();
  }
});

test('an abort while the body is arriving rejects with APIUserAbortError', BUDGET, async () => {
  let headersSent;
  const sent = new Promise((resolve) => {
    headersSent = resolve;
  });
  const server = await startRawServer((socket) => {
    socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"id":', headersSent);
  });
  try {
    const controller = new AbortController();
    const call = update(client(server.url, { maxRetries: 0 }), { signal: controller.signal });
    await within(3000, sent, 'the response head');
    await new Promise((resolve) => setTimeout(resolve, 50));
    controller.abort();
    const err = await within(3000, rejection(call), 'the rejection');
    assert.ok(err instanceof APIUserAbortError, String(err));
    await within(2000, server.connections[0].closedPromise, 'the server seeing the connection close');
  } finally {
    await server.close();
  }
});

test('an already-aborted signal rejects at once and nothing is sent', async () => {
  const server = await startServer();
  const raw = await startRawServer(neverAnswers);
  try {
    const err = await rejection(update(client(server.url), { signal: AbortSignal.abort() }));
    assert.ok(err instanceof APIUserAbortError, String(err));
    const err2 = await rejection(update(client(raw.url), { signal: AbortSignal.abort(new Error('why')) }));
    assert.ok(err2 instanceof APIUserAbortError, String(err2));
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(server.requests.length, 0);
    assert.equal(raw.connections.length, 0);
  } finally {
    await server.close();
    await raw.close();
  }
});

