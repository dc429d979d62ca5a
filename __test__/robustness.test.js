'use strict';
// Robustness against real servers on 127.0.0.1: event streams always close their connection
// and leave no listener on the caller's signal; answers with values this version does not know
// come back as sent (but non-JSON stays an error); many or broken response headers; secrets in
// per-request headers stay out of logs; ids that cannot be sent are refused before sending;
// a paging walk that does not move forward stops; and the Stream surface (tee, a second loop).

const { test } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const util = require('node:util');
const { getEventListeners, setMaxListeners } = require('node:events');

const Kernel = require('kernel-native');
const { KernelError, APIUserAbortError } = Kernel;
const { API_KEY, sendJson, startServer, startRawServer, listenOnLoopback, within, rejection } = require('./helpers/server');

/** Budgets, not speed checks: nothing here should hang the suite. */
const BUDGET = { timeout: 20_000 };
/** The stream scenarios run 260 streams each. */
const STREAM_BUDGET = { timeout: 60_000 };

/** Sequential runs, then concurrent ones, of each stream scenario. */
const SEQUENTIAL = 60;
const CONCURRENT = 200;

/** A complete invocation, as the spec of these tests writes it. */
const FULL = Object.freeze({
  id: 'inv',
  app_name: 'a',
  action_name: 'b',
  started_at: '2026-01-01T00:00:00Z',
  status: 'running',
  version: '1',
});

const HEARTBEAT = { event: 'sse_heartbeat', timestamp: '2026-01-01T00:00:00Z' };
const sse = (event) => `data: ${typeof event === 'string' ? event : JSON.stringify(event)}\n\n`;

function kernelFor(url, options = {}) {
  return new Kernel({ apiKey: API_KEY, baseURL: url, maxRetries: 0, ...options });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `read()` until it returns `wanted` or `ms` pass; returns the last value read. */
async function pollUntil(read, wanted, ms = 3000) {
  const deadline = Date.now() + ms;
  let value = read();
  while (value !== wanted && Date.now() < deadline) {
    await sleep(20);
    value = read();
  }
  return value;
}

/** Iterates `stream` to its end; resolves with the events, or rejects with what the loop threw. */
async function collect(stream) {
  const events = [];
  for await (const event of stream) events.push(event);
  return events;
}

/** Runs `scenario(i)` SEQUENTIAL times one after the other, then CONCURRENT times at once. */
async function sequentialThenConcurrent(scenario) {
  for (let i = 0; i < SEQUENTIAL; i++) await scenario(i);
  await Promise.all(Array.from({ length: CONCURRENT }, (_, i) => scenario(SEQUENTIAL + i)));
}

/**
 * An HTTP server answering `GET /invocations/<id>/events` with an endless event stream (a
 * heartbeat every 1 ms until the client goes away). `openSockets()` counts the connections
 * the server still holds: only the client closing a connection can bring it back to 0.
 */
async function endlessStreamServer() {
  let open = 0;
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || !/^\/invocations\/[^/]+\/events(\?|$)/.test(req.url)) {
      sendJson(res, 404, { message: `unexpected ${req.method} ${req.url}` });
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.flushHeaders();
    const timer = setInterval(() => res.write(sse(HEARTBEAT)), 1);
    res.on('close', () => clearInterval(timer));
  });
  server.on('connection', (socket) => {
    open++;
    socket.on('close', () => open--);
  });
  const port = await listenOnLoopback(server);
  return {
    url: `http://127.0.0.1:${port}`,
    openSockets: () => open,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Asserts the server's connections all go away within 3 s (no GC involved: the client closes them). */
async function assertAllSocketsClosed(server, what) {
  const open = await pollUntil(() => server.openSockets(), 0);
  assert.equal(open, 0, `${what}: ${open} connection(s) still open on the server 3 s after every stream ended`);
}

/**
 * A server answering every request with 200, `content-type` and `body` (a string is sent as
 * is), then ending the response. Requests are recorded in `requests`.
 */
function answering(body, { contentType = 'application/json', headers = {} } = {}) {
  return startServer((req, res) => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(200, { 'content-type': contentType, ...headers });
    res.end(text);
  });
}

/** A server answering every request with an event stream of `events`, then ending it. */
function finiteStreamServer(events) {
  return answering(events.map(sse).join(''), { contentType: 'text/event-stream' });
}

/** Runs `fn(server)` against `server`, then closes it whatever happens. */
async function using(serverPromise, fn) {
  const server = await serverPromise;
  try {
    return await fn(server);
  } finally {
    await server.close();
  }
}

/** A short description of an error for assertion messages (a message can hold a 70 000-character id). */
function describe(err) {
  if (!(err instanceof Error)) return util.inspect(err);
  const message = err.message.length > 300 ? `${err.message.slice(0, 300)}... (${err.message.length} chars)` : err.message;
  return `${err.name} (code ${err.code}, field ${err.field}): ${message}`;
}

function assertKernelError(err, code, what) {
  assert.ok(err instanceof KernelError, `${what}: expected a KernelError, got ${describe(err)}`);
  assert.equal(err.code, code, `${what}: ${describe(err)}`);
}

// ---------------------------------------------------------------------------------------------
// A. Streams always close their connection, however the loop ends

test('A(a): aborting the call signal while iterating throws APIUserAbortError and closes the connection', STREAM_BUDGET, async () => {
  await using(endlessStreamServer(), async (server) => {
    const client = kernelFor(server.url);
    await sequentialThenConcurrent(async (i) => {
      const controller = new AbortController();
      const stream = await client.invocations.follow('inv', {}, { signal: controller.signal });
      setTimeout(() => controller.abort(), 3);
      const loop = (async () => {
        for await (const event of stream) assert.equal(event.event, 'sse_heartbeat');
      })();
      const err = await within(5000, rejection(loop), `stream ${i}: the loop after abort()`);
      assert.ok(err instanceof APIUserAbortError, `stream ${i}: ${describe(err)}`);
    });
    await assertAllSocketsClosed(server, 'aborted by the call signal');
  });
});

test('A(b): stream.controller.abort() ends the loop quietly and closes the connection', STREAM_BUDGET, async () => {
  await using(endlessStreamServer(), async (server) => {
    const client = kernelFor(server.url);
    await sequentialThenConcurrent(async (i) => {
      const stream = await client.invocations.follow('inv', {});
      setTimeout(() => stream.controller.abort(), 3);
      await within(
        5000,
        (async () => {
          for await (const event of stream) assert.equal(event.event, 'sse_heartbeat');
        })(),
        `stream ${i}: the loop after stream.controller.abort()`,
      );
    });
    await assertAllSocketsClosed(server, 'closed by stream.controller');
  });
});

/** Reads heartbeats and leaves the loop with `break` after the third; returns how many it saw. */
async function readThreeThenBreak(stream, i) {
  let seen = 0;
  await within(
    5000,
    (async () => {
      for await (const event of stream) {
        assert.equal(event.event, 'sse_heartbeat');
        if (++seen === 3) break;
      }
    })(),
    `stream ${i}: the loop with break`,
  );
  return seen;
}

test('A(c): break after 3 events closes the connection', STREAM_BUDGET, async () => {
  await using(endlessStreamServer(), async (server) => {
    const client = kernelFor(server.url);
    await sequentialThenConcurrent(async (i) => {
      const stream = await client.invocations.follow('inv', {});
      assert.equal(await readThreeThenBreak(stream, i), 3);
    });
    await assertAllSocketsClosed(server, 'ended by break');
  });
});

test('A(d): one shared signal, streams ended by break: no listener left on it, every connection closed', STREAM_BUDGET, async () => {
  await using(endlessStreamServer(), async (server) => {
    const client = kernelFor(server.url);
    const shared = new AbortController();
    // 200 streams at once legitimately listen at once; the warning would only be noise.
    setMaxListeners(CONCURRENT * 4, shared.signal);
    await sequentialThenConcurrent(async (i) => {
      const stream = await client.invocations.follow('inv', {}, { signal: shared.signal });
      await readThreeThenBreak(stream, i);
    });
    const left = getEventListeners(shared.signal, 'abort').length;
    assert.equal(left, 0, `${left} abort listener(s) left on the shared signal after every stream ended`);
    await assertAllSocketsClosed(server, 'ended by break, shared signal');
  });
});

// ---------------------------------------------------------------------------------------------
// B. A stream read to its end lets go of the caller's signal

test('B: 100 streams read to their end leave no listener on the shared signal', BUDGET, async () => {
  const events = [HEARTBEAT, { ...HEARTBEAT, timestamp: '2026-01-01T00:00:01Z' }];
  await using(finiteStreamServer(events), async (server) => {
    const client = kernelFor(server.url);
    const shared = new AbortController();
    for (let i = 0; i < 100; i++) {
      const stream = await client.invocations.follow('inv', {}, { signal: shared.signal });
      assert.deepEqual(await within(5000, collect(stream), `stream ${i}`), events);
    }
    const left = getEventListeners(shared.signal, 'abort').length;
    assert.equal(left, 0, `${left} abort listener(s) left on the shared signal after 100 streams ended`);
  });
});

test('B: streams ended by stream.controller.abort() before any loop leave no listener on the shared signal', STREAM_BUDGET, async () => {
  await using(endlessStreamServer(), async (server) => {
    const client = kernelFor(server.url);
    const shared = new AbortController();
    for (let i = 0; i < 20; i++) {
      const stream = await client.invocations.follow('inv', {}, { signal: shared.signal });
      stream.controller.abort();
    }
    const left = getEventListeners(shared.signal, 'abort').length;
    assert.equal(left, 0, `${left} abort listener(s) left on the shared signal by streams never iterated`);
    await assertAllSocketsClosed(server, 'aborted before iterating');
  });
});

// ---------------------------------------------------------------------------------------------
// C. Forward-compatible answers: values and shapes this version does not know come back as sent

/** `object` without `key` (an answer missing a field). */
function withoutKey(object, key) {
  const copy = { ...object };
  delete copy[key];
  return copy;
}

const FORWARD_COMPATIBLE = [
  ['update() answered with status "cancelled"', { ...FULL, status: 'cancelled' }, (c) => c.invocations.update('inv', { status: 'succeeded' })],
  ['retrieve() answered with status "timed_out"', { ...FULL, status: 'timed_out' }, (c) => c.invocations.retrieve('inv')],
  ['retrieve() answered without version', withoutKey(FULL, 'version'), (c) => c.invocations.retrieve('inv')],
  ['retrieve() answered with started_at null', { ...FULL, started_at: null }, (c) => c.invocations.retrieve('inv')],
  ['retrieve() answered with an object payload', { ...FULL, payload: { a: 1 } }, (c) => c.invocations.retrieve('inv')],
  // The key must stay, with null: not dropped, not made a string.
  ['retrieve() answered with output null', { ...FULL, output: null }, (c) => c.invocations.retrieve('inv')],
  [
    'create() answered with only id and status',
    { id: 'inv', status: 'running' },
    (c) => c.invocations.create({ app_name: 'a', action_name: 'b', version: '1' }),
  ],
  [
    'listBrowsers() answered with a browser without webdriver_ws_url',
    {
      browsers: [
        { cdp_ws_url: 'ws://x', created_at: 't', headless: true, session_id: 's', stealth: false, timeout_seconds: null },
      ],
    },
    (c) => c.invocations.listBrowsers('inv'),
  ],
];

for (const [what, sent, call] of FORWARD_COMPATIBLE) {
  test(`C: ${what} comes back exactly as sent`, BUDGET, async () => {
    await using(answering(sent), async (server) => {
      const result = await call(kernelFor(server.url));
      assert.deepEqual(result, sent);
      assert.equal(server.requests.length, 1);
    });
  });
}

test('C: list() whose item has status "archived" comes back exactly as sent', BUDGET, async () => {
  const sent = [{ ...FULL, status: 'archived' }];
  await using(answering(sent, { headers: { 'x-has-more': 'false' } }), async (server) => {
    const page = await kernelFor(server.url).invocations.list();
    assert.deepEqual(page.items, sent);
  });
});

test('C: follow() passes a "paused" state and a log without timestamp as sent, and skips an unknown event', BUDGET, async () => {
  const state = { event: 'invocation_state', timestamp: '2026-01-01T00:00:00Z', invocation: { ...FULL, status: 'paused' } };
  const log = { event: 'log', message: 'hi' };
  await using(finiteStreamServer([state, log, { event: 'brand_new' }]), async (server) => {
    const stream = await kernelFor(server.url).invocations.follow('inv');
    const events = await within(5000, collect(stream), 'the stream');
    assert.deepEqual(events, [state, log]);
  });
});

// Still strict where it matters: a success body that is not JSON, or not the right kind of JSON.
for (const [what, body] of [
  ['a body that is not JSON', 'not json'],
  ['a JSON array where an object is due', JSON.stringify([FULL])],
]) {
  test(`C: retrieve() answered 200 with ${what} rejects with ERR_KERNEL_DECODE`, BUDGET, async () => {
    await using(answering(body), async (server) => {
      const err = await rejection(kernelFor(server.url).invocations.retrieve('inv'));
      assertKernelError(err, 'ERR_KERNEL_DECODE', what);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// D. Response heads: many header lines, and one that cannot be parsed

test('D: an answer with 1 000 extra header lines resolves, after exactly 1 request', BUDGET, async () => {
  const body = JSON.stringify(FULL);
  const extra = Array.from({ length: 1000 }, (_, i) => `x-h-${i}: v\r\n`).join('');
  const head =
    'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n' +
    `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n${extra}\r\n`;
  await using(startRawServer((socket) => socket.end(head + body)), async (server) => {
    const result = await within(10_000, kernelFor(server.url).invocations.retrieve('inv'), 'retrieve()');
    assert.deepEqual(result, FULL);
    assert.equal(server.connections.length, 1);
    assert.match(server.connections[0].head, /^GET \/invocations\/inv HTTP\/1\.1/);
  });
});

test('D: a create() whose answer head cannot be parsed is not retried without an idempotency key', BUDGET, async () => {
  // The request reached the server: a retry could create the invocation twice.
  const broken = 'HTTP/1.1 200 OK\r\nthis line is broken\r\ncontent-length: 2\r\n\r\n{}';
  await using(startRawServer((socket) => socket.end(broken)), async (server) => {
    const client = kernelFor(server.url, { idempotencyKeys: false, maxRetries: 2 });
    const err = await within(
      15_000,
      rejection(client.invocations.create({ app_name: 'a', action_name: 'b', version: '1' })),
      'create()',
    );
    assert.ok(err instanceof KernelError, describe(err));
    const posts = server.connections.filter((c) => c.head.startsWith('POST ')).length;
    assert.equal(posts, 1, `the server received ${posts} POSTs (${server.connections.length} connections)`);
    assert.equal(server.connections.length, 1);
  });
});

// ---------------------------------------------------------------------------------------------
// E. Credentials in per-request headers never reach a log line

test('E: cookie, proxy-authorization and set-cookie are redacted from debug logs', BUDGET, async () => {
  const lines = [];
  const logger = {};
  for (const level of ['debug', 'info', 'warn', 'error']) logger[level] = (...args) => lines.push(util.format(...args));
  await using(answering(FULL), async (server) => {
    const client = kernelFor(server.url, { logLevel: 'debug', logger });
    await client.invocations.retrieve('inv', {
      headers: {
        cookie: 'session=secret-cookie-1',
        'proxy-authorization': 'Basic secret-proxy-2',
        'set-cookie': 'a=secret-set-3',
      },
    });
    // The headers were sent: only the log hides them.
    assert.equal(server.requests[0].headers.cookie, 'session=secret-cookie-1');
  });
  const text = lines.join('\n');
  assert.ok(lines.length > 0, 'nothing was logged at debug');
  for (const secret of ['secret-cookie-1', 'secret-proxy-2', 'secret-set-3']) {
    assert.ok(!text.includes(secret), `${secret} reached the log:\n${text}`);
  }
  assert.ok(text.includes('cookie: ***'), `no line shows "cookie: ***":\n${text}`);
});

// ---------------------------------------------------------------------------------------------
// F. Ids that cannot be sent are bad input: refused at once, never retried, nothing sent

test('F: a 70 000-character id is refused naming its length, without echoing it, nothing sent', BUDGET, async () => {
  await using(startRawServer((socket) => socket.end(`HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}`)), async (server) => {
    // Default maxRetries: a refusal must not be treated as a failed attempt and retried.
    const client = new Kernel({ apiKey: API_KEY, baseURL: server.url });
    const err = await within(10_000, rejection(client.invocations.retrieve('a'.repeat(70_000))), 'retrieve()');
    assertKernelError(err, 'ERR_KERNEL_INVALID_INPUT', 'a 70 000-character id');
    assert.equal(err.field, 'id', describe(err));
    assert.ok(err.message.includes('70000'), `the message should give the length: ${err.message.slice(0, 300)}`);
    assert.ok(!err.message.includes('a'.repeat(100)), `the message echoes the id (${err.message.length} chars)`);
    assert.equal(server.connections.length, 0, 'a connection reached the server');
  });
});

test('F: an id with a lone surrogate is refused, nothing sent', BUDGET, async () => {
  await using(startRawServer((socket) => socket.end(`HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}`)), async (server) => {
    const client = new Kernel({ apiKey: API_KEY, baseURL: server.url });
    const err = await within(10_000, rejection(client.invocations.retrieve('\uD800abc')), 'retrieve()');
    assertKernelError(err, 'ERR_KERNEL_INVALID_INPUT', 'a lone surrogate');
    assert.equal(err.field, 'id', describe(err));
    assert.equal(server.connections.length, 0, `a request reached the server: ${server.connections[0]?.head}`);
  });
});

// ---------------------------------------------------------------------------------------------
// G. A paging walk whose offset does not move forward ends in an error, not a loop

/**
 * A server answering every `GET /invocations` with 2 items, `x-has-more: true` and
 * `x-next-offset: nextOffset(n)`, where n counts the requests from 0.
 */
function pagingServer(nextOffset) {
  let count = 0;
  return startServer((req, res) => {
    const n = count++;
    const items = [
      { ...FULL, id: `inv_${n}_a` },
      { ...FULL, id: `inv_${n}_b` },
    ];
    sendJson(res, 200, items, { 'x-has-more': 'true', 'x-next-offset': String(nextOffset(n)) });
  });
}

/** Walks list({ limit: 2 }); a walk past 20 items is the loop the guard must prevent. */
async function walk(client) {
  let seen = 0;
  for await (const inv of client.invocations.list({ limit: 2 })) {
    assert.equal(typeof inv.id, 'string');
    if (++seen >= 20) throw new Error(`the walk did not stop: ${seen} items and counting`);
  }
  return seen;
}

for (const [what, nextOffset] of [
  ['stays the same', () => 2],
  ['goes backwards', (n) => (n === 0 ? 4 : 2)],
]) {
  test(`G: a next offset that ${what} ends the walk with ERR_KERNEL_DECODE`, BUDGET, async () => {
    await using(pagingServer(nextOffset), async (server) => {
      const err = await within(10_000, rejection(walk(kernelFor(server.url))), 'the walk');
      assertKernelError(err, 'ERR_KERNEL_DECODE', `an offset that ${what}`);
      assert.match(err.message, /offset/i);
      assert.ok(server.requests.length <= 3, `${server.requests.length} requests`);
      for (const request of server.requests) assert.match(request.url, /^\/invocations\?/);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// H. The Stream surface: tee(), and a second loop over a consumed stream

const THREE = [1, 2, 3].map((n) => ({ event: 'log', timestamp: `2026-01-01T00:00:0${n}Z`, message: `line ${n}` }));

test('H: tee() gives two streams with the same events, read one after the other', BUDGET, async () => {
  await using(finiteStreamServer(THREE), async (server) => {
    const stream = await kernelFor(server.url).invocations.follow('inv');
    const [left, right] = stream.tee();
    assert.deepEqual(await within(5000, collect(left), 'the left stream'), THREE);
    assert.deepEqual(await within(5000, collect(right), 'the right stream'), THREE);
  });
});

test('H: tee() gives two streams with the same events, read concurrently', BUDGET, async () => {
  await using(finiteStreamServer(THREE), async (server) => {
    const stream = await kernelFor(server.url).invocations.follow('inv');
    const [left, right] = stream.tee();
    const [a, b] = await within(5000, Promise.all([collect(left), collect(right)]), 'both streams');
    assert.deepEqual(a, THREE);
    assert.deepEqual(b, THREE);
  });
});

test('H: a second loop over a consumed stream throws a KernelError', BUDGET, async () => {
  await using(finiteStreamServer(THREE), async (server) => {
    const stream = await kernelFor(server.url).invocations.follow('inv');
    assert.deepEqual(await within(5000, collect(stream), 'the first loop'), THREE);
    const err = await within(5000, rejection(collect(stream)), 'the second loop');
    assert.ok(err instanceof KernelError, `expected a KernelError, got ${describe(err)}`);
  });
});
