'use strict';
// Retries: which failures are retried, how often, and how long the client waits.

const { test } = require('node:test');
const assert = require('node:assert/strict');

const Kernel = require('kernel-native');
const {
  APIConnectionError,
  APIUserAbortError,
  NotFoundError,
  InternalServerError,
  RateLimitError,
} = Kernel;
const { API_KEY, invocation, sendJson, startServer, startRawServer, rejection } = require('./helpers/server');

function client(baseURL, options = {}) {
  return new Kernel({ apiKey: API_KEY, baseURL, ...options });
}

const update = (kernel, options) => kernel.invocations.update('inv_1', { status: 'succeeded' }, options);

/**
 * A server that answers the n-th request (from 0) with `answers[n]` ([status, body, headers]),
 * and with the last entry once they run out; every request's arrival time is recorded.
 */
async function scriptedServer(answers) {
  const times = [];
  const server = await startServer((req, res) => {
    times.push(performance.now());
    const [status, body, headers] = answers[Math.min(times.length - 1, answers.length - 1)];
    sendJson(res, status, body, headers);
  });
  return Object.assign(server, { times });
}

const FAST = { 'retry-after-ms': '1' };
const OK = [200, invocation({ id: 'inv_1' })];

test('503 twice then 200 succeeds after 3 identical requests', async () => {
  const server = await scriptedServer([
    [503, { message: 'busy 1' }, FAST],
    [503, { message: 'busy 2' }, FAST],
    OK,
  ]);
  try {
    const result = await update(client(server.url));
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

test('429 with retry-after: 0 is retried', async () => {
  const server = await scriptedServer([[429, { message: 'slow down' }, { 'retry-after': '0' }], OK]);
  try {
    const result = await update(client(server.url));
    assert.equal(result.id, 'inv_1');
    assert.equal(server.requests.length, 2);
  } finally {
    await server.close();
  }
});

test('429 that persists ends as a RateLimitError after maxRetries', async () => {
  const server = await scriptedServer([[429, { message: 'slow down' }, { 'retry-after': '0' }]]);
  try {
    const err = await rejection(update(client(server.url)));
    assert.ok(err instanceof RateLimitError);
    assert.equal(server.requests.length, 3);
  } finally {
    await server.close();
  }
});

test('408, 409, 500, 502 and 504 are retried', async () => {
  for (const status of [408, 409, 500, 502, 504]) {
    const server = await scriptedServer([[status, { message: `status ${status}` }, FAST], OK]);
    try {
      const result = await update(client(server.url));
      assert.equal(result.id, 'inv_1', `${status}`);
      assert.equal(server.requests.length, 2, `${status}`);
    } finally {
      await server.close();
    }
  }
});

test('400, 401, 403, 404 and 422 are not retried', async () => {
  for (const status of [400, 401, 403, 404, 422]) {
    const server = await scriptedServer([[status, { message: `status ${status}` }, FAST], OK]);
    try {
      const err = await rejection(update(client(server.url)));
      assert.equal(err.status, status);
      assert.equal(server.requests.length, 1, `${status}`);
    } finally {
      await server.close();
    }
  }
});

test('x-should-retry: false on a 503 stops retries', async () => {
  const server = await scriptedServer([[503, { message: 'no' }, { ...FAST, 'x-should-retry': 'false' }], OK]);
  try {
    const err = await rejection(update(client(server.url)));
    assert.ok(err instanceof InternalServerError);
    assert.equal(err.headers.get('x-should-retry'), 'false');
    assert.equal(server.requests.length, 1);
  } finally {
    await server.close();
  }
});

test('x-should-retry: true on a 400 makes it retried', async () => {
  const server = await scriptedServer([[400, { message: 'again' }, { ...FAST, 'x-should-retry': 'true' }], OK]);
  try {
    const result = await update(client(server.url));
    assert.equal(result.id, 'inv_1');
    assert.equal(server.requests.length, 2);
  } finally {
    await server.close();
  }
});

test('per-request maxRetries: 0 sends one request', async () => {
  const server = await scriptedServer([[503, { message: 'busy' }, FAST], OK]);
  try {
    const err = await rejection(update(client(server.url, { maxRetries: 5 }), { maxRetries: 0 }));
    assert.ok(err instanceof InternalServerError);
    assert.equal(server.requests.length, 1);
  } finally {
    await server.close();
  }
});

test('client maxRetries: 1 sends two requests, and the last answer is the error', async () => {
  const server = await scriptedServer([
    [503, { message: 'first' }, FAST],
    [500, { message: 'second' }, { ...FAST, 'x-request-id': 'req_2' }],
    OK,
  ]);
  try {
    const err = await rejection(update(client(server.url, { maxRetries: 1 })));
    assert.ok(err instanceof InternalServerError);
    assert.equal(err.status, 500);
    assert.equal(err.message, '500 second');
    assert.equal(err.headers.get('x-request-id'), 'req_2');
    assert.equal(server.requests.length, 2);
  } finally {
    await server.close();
  }
});

test('the default maxRetries is 2: three requests in all', async () => {
  const server = await scriptedServer([[503, { message: 'busy' }, FAST]]);
  try {
    const err = await rejection(update(client(server.url)));
    assert.ok(err instanceof InternalServerError);
    assert.equal(server.requests.length, 3);
  } finally {
    await server.close();
  }
});

test('per-request maxRetries raises the client one', async () => {
  const server = await scriptedServer([
    [503, { message: 'busy' }, FAST],
    [503, { message: 'busy' }, FAST],
    [503, { message: 'busy' }, FAST],
    OK,
  ]);
  try {
    const result = await update(client(server.url, { maxRetries: 0 }), { maxRetries: 3 });
    assert.equal(result.id, 'inv_1');
    assert.equal(server.requests.length, 4);
  } finally {
    await server.close();
  }
});

test('retry-after as an HTTP date about a second ahead is honoured', async () => {
  const server = await startServer((req, res) => {
    server.times ??= [];
    server.times.push(Date.now());
    if (server.times.length === 1) {
      // At least one whole second ahead, rounded up to the next second (dates have no ms).
      const at = new Date(Math.ceil(Date.now() / 1000) * 1000 + 1000);
      sendJson(res, 503, { message: 'later' }, { 'retry-after': at.toUTCString() });
    } else {
      sendJson(res, 200, invocation({ id: 'inv_1' }));
    }
  });
  try {
    const result = await update(client(server.url));
    assert.equal(result.id, 'inv_1');
    assert.equal(server.requests.length, 2);
    const waited = server.times[1] - server.times[0];
    assert.ok(waited >= 700, `the retry came after ${waited} ms; the server asked for >= 1000 ms`);
  } finally {
    await server.close();
  }
});

test('a dropped connection is retried (default backoff), and the retry succeeds', async () => {
  const body = JSON.stringify(invocation({ id: 'inv_1' }));
  const times = [];
  const server = await startRawServer((socket, index) => {
    times.push(performance.now());
    if (index === 0) {
      socket.destroy();
      return;
    }
    socket.end(
      `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
  try {
    const result = await update(client(server.url, { maxRetries: 1 }));
    assert.equal(result.id, 'inv_1');
    assert.equal(server.connections.length, 2);
    // The default backoff is 0.5 s less up to 25 % jitter.
    const waited = times[1] - times[0];
    assert.ok(waited >= 300, `the retry came after ${waited} ms`);
  } finally {
    await server.close();
  }
});

test('connection errors end as APIConnectionError when retries run out', async () => {
  const server = await startRawServer((socket) => socket.destroy());
  try {
    const err = await rejection(update(client(server.url, { maxRetries: 0 })));
    assert.ok(err instanceof APIConnectionError);
    assert.equal(server.connections.length, 1);
  } finally {
    await server.close();
  }
});

test('an abort during the retry wait ends the call, with no further request', async () => {
  let firstAnswered;
  const answered = new Promise((resolve) => {
    firstAnswered = resolve;
  });
  const server = await startServer((req, res) => {
    sendJson(res, 503, { message: 'busy' }, { 'retry-after-ms': '400' });
    res.on('finish', firstAnswered);
  });
  try {
    const controller = new AbortController();
    const call = update(client(server.url, { maxRetries: 3 }), { signal: controller.signal });
    await answered;
    await new Promise((resolve) => setTimeout(resolve, 50));
    controller.abort();
    const err = await rejection(call);
    assert.ok(err instanceof APIUserAbortError, String(err));
    // Longer than the retry wait: a retry, if any, would have arrived by now.
    await new Promise((resolve) => setTimeout(resolve, 600));
    assert.equal(server.requests.length, 1);
  } finally {
    await server.close();
  }
});
