'use strict';
// Timeouts and AbortSignal: stalled servers fail within a budget, aborts drop the connection.

const { test } = require('node:test');
const assert = require('node:assert/strict');

const Kernel = require('kernel-native');
const { APIConnectionError, APIConnectionTimeoutError, APIUserAbortError, APIError, KernelError } = Kernel;
const { getEventListeners } = require('node:events');

const { API_KEY, invocation, startServer, startRawServer, rejection } = require('./helpers/server');

/** Budgets, not speed checks: a stalled call must fail well within these. */
const BUDGET = { timeout: 5000 };

function client(baseURL, options = {}) {
  return new Kernel({ apiKey: API_KEY, baseURL, ...options });
}

const update = (kernel, options) => kernel.invocations.update('inv_1', { status: 'succeeded' }, options);

/** Rejects with a clear message if `promise` has not settled within `ms`. */
function within(ms, promise, what) {
  let timer;
  const limit = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

const neverAnswers = () => {};

function okResponse(id = 'inv_1') {
  const body = JSON.stringify(invocation({ id }));
  return `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

test('a server that never answers ends in APIConnectionTimeoutError', BUDGET, async () => {
  const server = await startRawServer(neverAnswers);
  try {
    const err = await within(3000, rejection(update(client(server.url, { timeout: 200, maxRetries: 0 }))), 'the timeout');
    assert.ok(err instanceof APIConnectionTimeoutError, String(err));
    assert.ok(err instanceof APIConnectionError);
    assert.ok(err instanceof APIError);
    assert.ok(err instanceof KernelError);
    assert.equal(err.name, 'APIConnectionTimeoutError');
    assert.equal(server.connections.length, 1);
    // The timed-out attempt's connection is dropped.
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

test('a timed-out attempt is retried, and the retry can succeed', BUDGET, async () => {
  const server = await startRawServer((socket, index) => {
    if (index === 0) return; // stall the first attempt
    socket.end(okResponse());
  });
  try {
    const result = await update(client(server.url, { timeout: 300, maxRetries: 1 }));
    assert.equal(result.id, 'inv_1');
    assert.equal(server.connections.length, 2);
  } finally {
    await server.close();
  }
});

test('timeouts use up retries: maxRetries 1 makes two attempts, then times out', BUDGET, async () => {
  const server = await startRawServer(neverAnswers);
  try {
    const err = await rejection(update(client(server.url, { maxRetries: 1 }), { timeout: 200 }));
    assert.ok(err instanceof APIConnectionTimeoutError, String(err));
    assert.equal(server.connections.length, 2);
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

test('listeners the caller put on the signal still fire', BUDGET, async () => {
  let arrived;
  const requestArrived = new Promise((resolve) => {
    arrived = resolve;
  });
  const server = await startRawServer(() => arrived());
  try {
    const controller = new AbortController();
    const { signal } = controller;
    const calls = [];
    signal.addEventListener('abort', () => calls.push('listener'));
    signal.onabort = () => calls.push('onabort');
    const call = update(client(server.url, { maxRetries: 0 }), { signal });
    signal.addEventListener('abort', () => calls.push('late listener'));
    await within(3000, requestArrived, 'the request');
    controller.abort();
    const err = await rejection(call);
    assert.ok(err instanceof APIUserAbortError, String(err));
    assert.deepEqual(calls.sort(), ['late listener', 'listener', 'onabort']);
    assert.equal(typeof signal.onabort, 'function');
  } finally {
    await server.close();
  }
});

test('after a call finishes, onabort and listeners on its signal work as usual', async () => {
  const server = await startServer();
  try {
    const controller = new AbortController();
    const { signal } = controller;
    const result = await update(client(server.url), { signal });
    assert.equal(result.id, 'inv_1');
    let fired = 0;
    signal.onabort = () => fired++;
    let listened = 0;
    signal.addEventListener('abort', () => listened++);
    controller.abort();
    assert.equal(fired, 1);
    assert.equal(listened, 1);
    assert.equal(server.requests.length, 1);
  } finally {
    await server.close();
  }
});

test('an abort is not retried', BUDGET, async () => {
  let arrived;
  const requestArrived = new Promise((resolve) => {
    arrived = resolve;
  });
  const server = await startRawServer(() => arrived());
  try {
    const controller = new AbortController();
    const call = update(client(server.url, { maxRetries: 3 }), { signal: controller.signal });
    await within(3000, requestArrived, 'the request');
    controller.abort();
    const err = await rejection(call);
    assert.ok(err instanceof APIUserAbortError, String(err));
    // Longer than the first backoff (<= 0.5 s): a retry would have connected by now.
    await new Promise((resolve) => setTimeout(resolve, 700));
    assert.equal(server.connections.length, 1);
  } finally {
    await server.close();
  }
});

test('one signal aborts every call that holds it', BUDGET, async () => {
  const server = await startRawServer(neverAnswers);
  try {
    const controller = new AbortController();
    const kernel = client(server.url, { maxRetries: 0 });
    const calls = Array.from({ length: 5 }, () => update(kernel, { signal: controller.signal }));
    while (server.connections.length < 5) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort();
    const errors = await Promise.all(calls.map(rejection));
    for (const err of errors) assert.ok(err instanceof APIUserAbortError, String(err));
  } finally {
    await server.close();
  }
});

test('AbortSignal.timeout works as a signal and yields APIUserAbortError', BUDGET, async () => {
  const server = await startRawServer(neverAnswers);
  try {
    const err = await within(
      3000,
      rejection(update(client(server.url, { maxRetries: 0 }), { signal: AbortSignal.timeout(100) })),
      'the abort',
    );
    assert.ok(err instanceof APIUserAbortError, String(err));
  } finally {
    await server.close();
  }
});

test('aborting a call leaves the client usable for the next one', BUDGET, async () => {
  let count = 0;
  const server = await startRawServer((socket) => {
    count++;
    if (count === 1) return; // stall the first
    socket.end(okResponse('inv_1'));
  });
  try {
    const kernel = client(server.url, { maxRetries: 0 });
    const controller = new AbortController();
    const first = update(kernel, { signal: controller.signal });
    while (server.connections.length < 1 || count < 1) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort();
    assert.ok((await rejection(first)) instanceof APIUserAbortError);
    const result = await update(kernel, { signal: new AbortController().signal });
    assert.equal(result.id, 'inv_1');
  } finally {
    await server.close();
  }
});

test('the library removes its abort listener when a call settles', async () => {
  const server = await startServer((req, res) => {
    if (req.url.endsWith('/missing')) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"message":"gone"}');
    } else {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(invocation({ id: 'inv_1' })));
    }
  });
  try {
    const kernel = client(server.url, { maxRetries: 0 });
    const { signal } = new AbortController();
    const mine = () => {};
    signal.addEventListener('abort', mine);
    for (let i = 0; i < 20; i++) await update(kernel, { signal });
    for (let i = 0; i < 5; i++) {
      await rejection(kernel.invocations.update('missing', { status: 'succeeded' }, { signal }));
      await rejection(kernel.invocations.update('x', { status: 'bogus' }, { signal }));
    }
    assert.deepEqual(getEventListeners(signal, 'abort'), [mine]);
  } finally {
    await server.close();
  }
});
