'use strict';
// Faults on the wire, each ending in its documented result within its time budget: status
// bursts, resets at every stage of the exchange, stalled, trickling, truncated, non-UTF-8 and
// oversize bodies (maxResponseBytes), malformed response heads, a server that never reads,
// and a DNS failure. Every error is also checked for its class chain and for the API key.
//
// The budgets (`within`) are not speed checks: they are far above what each fault needs and
// only prove that no fault hangs the call.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const util = require('node:util');

const Kernel = require('kernel-native');
const {
  KernelError,
  APIError,
  APIConnectionError,
  APIConnectionTimeoutError,
  BadRequestError,
  InternalServerError,
  RateLimitError,
} = Kernel;
const {
  API_KEY,
  invocation,
  sendJson,
  startServer,
  startRawServer,
  startSocketServer,
  within,
  rejection,
} = require('./helpers/server');

/** Per-test ceiling for node:test; each call also has its own, smaller budget. */
const TEST_BUDGET = { timeout: 15_000 };
/** A call with a short timeout and few retries must settle well within this. */
const CALL_BUDGET = 5000;

const client = (baseURL, options = {}) => new Kernel({ apiKey: API_KEY, baseURL, maxRetries: 0, ...options });
const update = (kernel, params = { status: 'succeeded' }) => kernel.invocations.update('inv_1', params);

/** `call` settles within the budget; resolves with its rejection (fails if it resolves). */
const failsWithin = (ms, call, what) => within(ms, rejection(call), what);

/**
 * `err` is an `ErrorClass` and a KernelError, named after its class, and the API key shows up
 * in none of its renderings.
 */
function assertFault(err, ErrorClass, what) {
  assert.ok(err instanceof ErrorClass, `${what}: expected ${ErrorClass.name}, got ${util.inspect(err)}`);
  assert.ok(err instanceof Kernel.KernelError, `${what}: not a KernelError: ${util.inspect(err)}`);
  assert.equal(err.name, ErrorClass.name, what);
  for (const text of [err.message, String(err), util.inspect(err), util.inspect(err, { showHidden: true, depth: Infinity })]) {
    assert.ok(!text.includes(API_KEY), `${what}: the API key appears in ${text}`);
  }
}

/** A KernelError raised by the client itself (not an APIError, nor a raw TypeError/SyntaxError). */
function assertPlainKernelError(err, what) {
  assertFault(err, KernelError, what);
  assert.ok(!(err instanceof APIError), `${what}: should not be an APIError: ${util.inspect(err)}`);
  assert.equal(Object.getPrototypeOf(err), KernelError.prototype, `${what}: ${util.inspect(err)}`);
}

/** The body of a complete invocation as JSON, and the value it stands for. */
const INVOCATION = invocation({ id: 'inv_1' });
const INVOCATION_JSON = JSON.stringify(INVOCATION);

/** A raw HTTP/1.1 200 head; `extra` lines are added as given. */
function head200({ length, chunked = false, extra = [] } = {}) {
  const lines = ['HTTP/1.1 200 OK', 'Content-Type: application/json'];
  if (length !== undefined) lines.push(`Content-Length: ${length}`);
  if (chunked) lines.push('Transfer-Encoding: chunked');
  return `${[...lines, ...extra].join('\r\n')}\r\n\r\n`;
}

/** One HTTP/1.1 chunk. */
const chunk = (data) => `${Buffer.byteLength(data).toString(16)}\r\n${data}\r\n`;

/**
 * Writes an endless chunked body, one `size`-byte chunk every few ms, until the client goes
 * away; `socket` must already have had the head written.
 */
function writeEndlessChunks(socket, size = 1024) {
  const piece = chunk('a'.repeat(size));
  const timer = setInterval(() => {
    if (socket.destroyed || socket.writableEnded) clearInterval(timer);
    else socket.write(piece);
  }, 2);
  socket.on('close', () => clearInterval(timer));
}

/** A server answering the n-th request with `script[n]` ([status, body, headers]), the last one after. */
function scriptedServer(script) {
  let count = 0;
  return startServer((req, res) => {
    const [status, body, headers] = script[Math.min(count++, script.length - 1)];
    sendJson(res, status, body, headers);
  });
}

const busy = (status, headers) => [status, { code: `status_${status}`, message: `busy (${status})` }, headers];

// ---------------------------------------------------------------------------------------------
// Bursts of 429 and 503 with retry headers

test('a burst of five 429s with retry-after: 0 is waited out: success on the sixth request', TEST_BUDGET, async () => {
  const server = await scriptedServer([...Array(5).fill(busy(429, { 'retry-after': '0' })), [200, INVOCATION]]);
  try {
    const result = await within(CALL_BUDGET, update(client(server.url, { maxRetries: 5 })), 'the call');
    assert.deepEqual(result, INVOCATION);
    assert.equal(server.requests.length, 6);
  } finally {
    await server.close();
  }
});

test('a mixed burst of 503 (retry-after-ms) and 429 (retry-after) ends in success once it passes', TEST_BUDGET, async () => {
  const server = await scriptedServer([
    busy(503, { 'retry-after-ms': '1' }),
    busy(429, { 'retry-after': '0' }),
    busy(503, { 'retry-after-ms': '2' }),
    [200, INVOCATION],
  ]);
  try {
    const result = await within(CALL_BUDGET, update(client(server.url, { maxRetries: 3 })), 'the call');
    assert.deepEqual(result, INVOCATION);
    assert.equal(server.requests.length, 4);
    for (const req of server.requests) assert.equal(req.body, '{"status":"succeeded"}');
  } finally {
    await server.close();
  }
});

test('a 429 burst that outlasts maxRetries: RateLimitError after exactly maxRetries + 1 requests', TEST_BUDGET, async () => {
  const server = await scriptedServer([busy(429, { 'retry-after-ms': '1' })]);
  try {
    for (const maxRetries of [0, 1, 3]) {
      const before = server.requests.length;
      const err = await failsWithin(CALL_BUDGET, update(client(server.url, { maxRetries })), `maxRetries ${maxRetries}`);
      assertFault(err, RateLimitError, `maxRetries ${maxRetries}`);
      assert.equal(err.status, 429);
      assert.equal(err.message, '429 busy (429)');
      assert.equal(err.headers.get('retry-after-ms'), '1');
      assert.equal(server.requests.length - before, maxRetries + 1, `maxRetries ${maxRetries}`);
    }
  } finally {
    await server.close();
  }
});

test('a 503 burst that outlasts maxRetries: InternalServerError after exactly maxRetries + 1 requests', TEST_BUDGET, async () => {
  const server = await scriptedServer([busy(503, { 'retry-after': '0' })]);
  try {
    const err = await failsWithin(CALL_BUDGET, update(client(server.url, { maxRetries: 4 })), 'the call');
    assertFault(err, InternalServerError, '503 burst');
    assert.equal(err.status, 503);
    assert.deepEqual(err.error, { code: 'status_503', message: 'busy (503)' });
    assert.equal(server.requests.length, 5);
  } finally {
    await server.close();
  }
});

// ---------------------------------------------------------------------------------------------
// Connection resets at each stage

test('a reset before the request is read: APIConnectionError, each attempt on a new connection', TEST_BUDGET, async () => {
  const server = await startSocketServer((socket) => socket.resetAndDestroy());
  try {
    // One retry: the default backoff before it is about half a second.
    const err = await failsWithin(CALL_BUDGET, update(client(server.url, { maxRetries: 1 })), 'the call');
    assertFault(err, APIConnectionError, 'reset on connect');
    assert.ok(!(err instanceof APIConnectionTimeoutError), String(err));
    assert.match(err.message, /reset|closed/i);
    assert.equal(server.connections.length, 2);
  } finally {
    await server.close();
  }
});

test('a reset while a large request body is being sent (after a few KB): APIConnectionError', TEST_BUDGET, async () => {
  const output = JSON.stringify('x'.repeat(4 * 1024 * 1024));
  let received = 0;
  const server = await startRawServer((socket) => {
    socket.on('data', (data) => {
      received += data.length;
      if (received >= 4096 && !socket.destroyed) socket.resetAndDestroy();
    });
  });
  try {
    const err = await failsWithin(CALL_BUDGET, update(client(server.url), { status: 'succeeded', output }), 'the call');
    assertFault(err, APIConnectionError, 'reset mid-body');
    assert.ok(!(err instanceof APIConnectionTimeoutError), String(err));
    assert.equal(server.connections.length, 1);
    assert.ok(received < output.length, `the server read ${received} of ${output.length} bytes: it reset too late`);
  } finally {
    await server.close();
  }
});

test('a reset after the whole request was read: APIConnectionError, the server had the full body', TEST_BUDGET, async () => {
  const server = await startServer((req) => req.socket.resetAndDestroy());
  try {
    const err = await failsWithin(CALL_BUDGET, update(client(server.url), { status: 'failed', output: '"half"' }), 'the call');
    assertFault(err, APIConnectionError, 'reset after body');
    assert.equal(server.requests.length, 1);
    assert.deepEqual(JSON.parse(server.requests[0].body), { status: 'failed', output: '"half"' });
  } finally {
    await server.close();
  }
});

test('a reset after the request was read, then a good answer: the retry succeeds', TEST_BUDGET, async () => {
  let count = 0;
  const server = await startServer((req, res) => {
    if (count++ === 0) req.socket.resetAndDestroy();
    else sendJson(res, 200, INVOCATION);
  });
  try {
    const result = await within(CALL_BUDGET, update(client(server.url, { maxRetries: 1 })), 'the call');
    assert.deepEqual(result, INVOCATION);
    assert.equal(server.requests.length, 2);
  } finally {
    await server.close();
  }
});

// ---------------------------------------------------------------------------------------------
// Response bodies: stalled, trickling, truncated, not UTF-8

test('a chunked body that stalls halfway: APIConnectionTimeoutError on every attempt, within budget', TEST_BUDGET, async () => {
  const server = await startRawServer((socket) => {
    socket.write(head200({ chunked: true }) + chunk(INVOCATION_JSON.slice(0, 40)));
  });
  try {
    const err = await failsWithin(CALL_BUDGET, update(client(server.url, { timeout: 300, maxRetries: 1 })), 'the call');
    assertFault(err, APIConnectionTimeoutError, 'stalled chunked body');
    assert.ok(err instanceof APIConnectionError);
    assert.equal(server.connections.length, 2);
  } finally {
    await server.close();
  }
});

test('a response that arrives byte by byte with small delays is read whole, to the exact value', TEST_BUDGET, async () => {
  const body = Buffer.from(JSON.stringify(invocation({ id: 'inv_1', output: '{"text":"é🚀 byte by byte"}' })));
  const bytes = Buffer.concat([Buffer.from(head200({ length: body.length, extra: ['X-Request-Id: req_trickle'] })), body]);
  const server = await startRawServer((socket) => {
    socket.setNoDelay(true);
    let at = 0;
    const next = () => {
      if (socket.destroyed) return;
      if (at === bytes.length) return socket.end();
      socket.write(bytes.subarray(at, at + 1));
      at += 1;
      setTimeout(next, 1);
    };
    next();
  });
  try {
    const { data, request_id } = await within(
      10_000,
      update(client(server.url, { timeout: 10_000 })).withResponse(),
      'the trickled answer',
    );
    assert.deepEqual(data, JSON.parse(body.toString('utf8')));
    assert.equal(data.output, '{"text":"é🚀 byte by byte"}');
    assert.equal(request_id, 'req_trickle');
  } finally {
    await server.close();
  }
});

test('a body cut short of its Content-Length: APIConnectionError', TEST_BUDGET, async () => {
  const server = await startRawServer((socket) => {
    socket.end(head200({ length: INVOCATION_JSON.length + 100 }) + INVOCATION_JSON);
  });
  try {
    const err = await failsWithin(CALL_BUDGET, update(client(server.url)), 'the call');
    assertFault(err, APIConnectionError, 'short body');
    assert.ok(!(err instanceof APIConnectionTimeoutError), String(err));
  } finally {
    await server.close();
  }
});

test('a chunked body cut short (no last chunk): APIConnectionError', TEST_BUDGET, async () => {
  const server = await startRawServer((socket) => {
    socket.end(head200({ chunked: true }) + chunk(INVOCATION_JSON.slice(0, 30)) + '40\r\n{"more":');
  });
  try {
    const err = await failsWithin(CALL_BUDGET, update(client(server.url)), 'the call');
    assertFault(err, APIConnectionError, 'short chunked body');
    assert.ok(!(err instanceof APIConnectionTimeoutError), String(err));
  } finally {
    await server.close();
  }
});

test('a 200 body that is not UTF-8 is a KernelError saying it could not be parsed (not a TypeError or SyntaxError)', TEST_BUDGET, async () => {
  // A valid invocation with two bytes of its id replaced by 0xff 0xfe.
  const body = Buffer.from(INVOCATION_JSON);
  const at = body.indexOf('inv_1');
  body[at] = 0xff;
  body[at + 1] = 0xfe;
  const server = await startRawServer((socket) => {
    socket.write(head200({ length: body.length }));
    socket.end(body);
  });
  try {
    const err = await failsWithin(CALL_BUDGET, update(client(server.url)), 'the call');
    assertPlainKernelError(err, 'non-UTF-8 body');
    assert.ok(!(err instanceof TypeError) && !(err instanceof SyntaxError));
    assert.match(err.message, /could not parse the response body/i);
    assert.equal(server.connections.length, 1, 'a body that cannot be parsed is not retried');
  } finally {
    await server.close();
  }
});

test('an error body that is not UTF-8 still gives the status error, with the text decoded lossily', TEST_BUDGET, async () => {
  const body = Buffer.concat([Buffer.from('bad '), Buffer.from([0xff, 0xfe]), Buffer.from(' request')]);
  const server = await startRawServer((socket) => {
    socket.write(`HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n`);
    socket.end(body);
  });
  try {
    const err = await failsWithin(CALL_BUDGET, update(client(server.url)), 'the call');
    assertFault(err, BadRequestError, 'non-UTF-8 error body');
    assert.equal(err.status, 400);
    assert.ok(err.message.startsWith('400 bad '), err.message);
    assert.ok(err.message.endsWith(' request'), err.message);
  } finally {
    await server.close();
  }
});

// ---------------------------------------------------------------------------------------------
// Malformed response heads

test('two Content-Length headers with different values: APIConnectionError', TEST_BUDGET, async () => {
  const server = await startRawServer((socket) => {
    const length = INVOCATION_JSON.length;
    socket.end(head200({ length, extra: [`Content-Length: ${length + 7}`] }) + INVOCATION_JSON);
  });
  try {
    const err = await failsWithin(CALL_BUDGET, update(client(server.url)), 'the call');
    assertFault(err, APIConnectionError, 'duplicate content-length');
    assert.match(err.message, /content-length/i);
    assert.equal(server.connections.length, 1);
  } finally {
    await server.close();
  }
});

test('an invalid header line in the response head: APIConnectionError', TEST_BUDGET, async () => {
  const server = await startRawServer((socket) => {
    socket.end(head200({ length: INVOCATION_JSON.length, extra: ['this line is not a header'] }) + INVOCATION_JSON);
  });
  try {
    const err = await failsWithin(CALL_BUDGET, update(client(server.url)), 'the call');
    assertFault(err, APIConnectionError, 'invalid header line');
    assert.match(err.message, /header/i);
  } finally {
    await server.close();
  }
});

// ---------------------------------------------------------------------------------------------
// maxResponseBytes

/** A KernelError from the size cap, naming the limit and the option. */
function assertTooLarge(err, limit, what) {
  assertPlainKernelError(err, what);
  assert.ok(err.message.includes(`${limit}-byte limit`), `${what}: ${err.message}`);
  assert.ok(err.message.includes('larger than'), `${what}: ${err.message}`);
  assert.ok(err.message.includes('maxResponseBytes'), `${what}: ${err.message}`);
}

test('an announced Content-Length over maxResponseBytes fails at once, before the body is read', TEST_BUDGET, async () => {
  // Only the head is sent: a client that waited for the body would time out (in 30 s).
  const server = await startRawServer((socket) => socket.write(head200({ length: 2000 })));
  try {
    const err = await failsWithin(CALL_BUDGET, update(client(server.url, { maxResponseBytes: 1000, timeout: 30_000 })), 'the call');
    assertTooLarge(err, 1000, 'announced length');
    assert.equal(server.connections.length, 1, 'a body over the limit is not retried');
  } finally {
    await server.close();
  }
});

test('the default limit is 32 MiB: an announced 32 MiB + 1 byte body fails before reading', TEST_BUDGET, async () => {
  const server = await startRawServer((socket) => socket.write(head200({ length: 32 * 1024 * 1024 + 1 })));
  try {
    const err = await failsWithin(CALL_BUDGET, update(client(server.url, { timeout: 30_000 })), 'the call');
    assertTooLarge(err, 33554432, 'default limit');
  } finally {
    await server.close();
  }
});

test('an endless chunked body without Content-Length fails once it crosses the limit, and the connection is dropped', TEST_BUDGET, async () => {
  const server = await startRawServer((socket) => {
    socket.write(head200({ chunked: true }));
    writeEndlessChunks(socket);
  });
  try {
    const err = await failsWithin(CALL_BUDGET, update(client(server.url, { maxResponseBytes: 64 * 1024, timeout: 30_000 })), 'the call');
    assertTooLarge(err, 65536, 'endless chunked body');
    // Reading stopped there: the client hung up instead of draining the stream.
    await within(CALL_BUDGET, server.connections[0].closedPromise, 'the client closing the connection');
  } finally {
    await server.close();
  }
});

test('a body exactly at maxResponseBytes succeeds (Content-Length and chunked); one byte more fails', TEST_BUDGET, async () => {
  // The invocation padded with trailing spaces (still valid JSON) to exactly `size` bytes.
  const padded = (size) => INVOCATION_JSON + ' '.repeat(size - INVOCATION_JSON.length);
  const limit = 4096;
  const server = await startRawServer((socket, index) => {
    // 0: Content-Length at the limit; 1: chunked at the limit in three pieces; 2: chunked, one over.
    const body = padded(index === 2 ? limit + 1 : limit);
    if (index === 0) return socket.end(head200({ length: body.length }) + body);
    const thirds = [body.slice(0, 1000), body.slice(1000, 3000), body.slice(3000)];
    return socket.end(head200({ chunked: true }) + thirds.map(chunk).join('') + '0\r\n\r\n');
  });
  try {
    // A fresh client (and connection) per case: the server answers one request per connection.
    const kernel = () => client(server.url, { maxResponseBytes: limit, defaultHeaders: { connection: 'close' } });
    assert.deepEqual(await within(CALL_BUDGET, update(kernel()), 'Content-Length at the limit'), INVOCATION);
    assert.deepEqual(await within(CALL_BUDGET, update(kernel()), 'chunked at the limit'), INVOCATION);
    const err = await failsWithin(CALL_BUDGET, update(kernel()), 'chunked one byte over');
    assertTooLarge(err, limit, 'one byte over');
    assert.equal(server.connections.length, 3);
  } finally {
    await server.close();
  }
});

test('an error status (500) with an endless body keeps its status: the body is cut at maxResponseBytes and the call retried', TEST_BUDGET, async () => {
  const server = await startRawServer((socket) => {
    socket.write(
      'HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\nretry-after-ms: 1\r\nTransfer-Encoding: chunked\r\n\r\n',
    );
    writeEndlessChunks(socket);
  });
  try {
    const kernel = client(server.url, { maxResponseBytes: 8192, maxRetries: 2, timeout: 30_000 });
    const err = await failsWithin(CALL_BUDGET, update(kernel), 'the call');
    assertFault(err, InternalServerError, '500 with an endless body');
    assert.equal(err.status, 500);
    // The message is built from the first 8192 bytes, never from the endless rest.
    assert.ok(err.message.length <= 8192 + 8, `message of ${err.message.length} chars`);
    assert.equal(server.connections.length, 3, 'an error status is retried as usual');
    for (const connection of server.connections) {
      await within(CALL_BUDGET, connection.closedPromise, 'the client closing each connection');
    }
  } finally {
    await server.close();
  }
});

test('maxResponseBytes must be a positive integer: anything else is a KernelError naming it', () => {
  for (const maxResponseBytes of [0, -1, 1.5, NaN, Infinity, 2 ** 60, '1000', null, true]) {
    let err;
    try {
      client('http://127.0.0.1:9', { maxResponseBytes });
    } catch (caught) {
      err = caught;
    }
    assert.ok(err, `maxResponseBytes ${String(maxResponseBytes)} was accepted`);
    assertPlainKernelError(err, `maxResponseBytes ${String(maxResponseBytes)}`);
    assert.ok(err.message.includes('maxResponseBytes'), err.message);
  }
  // The smallest limit, and the largest exact JS integer, are accepted.
  client('http://127.0.0.1:9', { maxResponseBytes: 1 });
  client('http://127.0.0.1:9', { maxResponseBytes: Number.MAX_SAFE_INTEGER });
});

// ---------------------------------------------------------------------------------------------
// A server that never reads, and a name that does not resolve

test('a server that accepts and never reads while a 16 MiB body is sent: APIConnectionTimeoutError within budget', TEST_BUDGET, async () => {
  // pauseOnConnect, not resumed during the call: the body fills the socket buffers and the
  // client's write blocks.
  const sockets = [];
  const server = await startSocketServer((socket) => sockets.push(socket));
  try {
    const output = JSON.stringify('x'.repeat(16 * 1024 * 1024));
    const err = await failsWithin(
      CALL_BUDGET,
      update(client(server.url, { timeout: 300 }), { status: 'succeeded', output }),
      'the call',
    );
    assertFault(err, APIConnectionTimeoutError, 'never-reading server');
    assert.equal(server.connections.length, 1);
    // A paused socket does not notice its peer leaving: read now, up to the client's close.
    sockets[0].resume();
    await within(CALL_BUDGET, server.connections[0].closedPromise, 'the client closing the connection');
  } finally {
    await server.close();
  }
});

test('a DNS failure (http://kernel-native-test.invalid) is an APIConnectionError, no hang', TEST_BUDGET, async () => {
  const kernel = client('http://kernel-native-test.invalid', { timeout: 3000 });
  const err = await failsWithin(CALL_BUDGET, update(kernel), 'the call');
  // A resolver that does not answer at all would end in the timeout subclass instead.
  assertFault(err, APIConnectionError, 'DNS failure');
  if (!(err instanceof APIConnectionTimeoutError)) assert.match(err.message, /dns|resolve|lookup/i);
});
