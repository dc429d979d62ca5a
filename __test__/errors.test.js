'use strict';
// Failures: which class each becomes, and what it carries. Error statuses with JSON bodies and
// headers, wrong-shaped 2xx bodies and dropped connections come from emulator faults; bodies
// and bytes the emulator cannot send (text, empty, malformed, cut short, repeated or non-UTF-8
// headers) and a refused connection use bespoke servers.

const { test } = require('node:test');
const assert = require('node:assert/strict');

const Kernel = require('kernel-native');
const {
  KernelError,
  APIError,
  APIUserAbortError,
  APIConnectionError,
  APIConnectionTimeoutError,
  BadRequestError,
  AuthenticationError,
  PermissionDeniedError,
  NotFoundError,
  ConflictError,
  UnprocessableEntityError,
  RateLimitError,
  InternalServerError,
} = Kernel;
const {
  API_KEY,
  invocation,
  sendJson,
  startServer,
  startRawServer,
  closedPort,
  rejection,
} = require('./helpers/server');
const { emulator, clientFor, createInvocation, storedInvocation, sentinel } = require('./helpers/emulator');

/** Budgets, not speed checks: nothing here should hang the suite. */
const BUDGET = { timeout: 10_000 };

const STATUS_SUBCLASSES = [
  BadRequestError,
  AuthenticationError,
  PermissionDeniedError,
  NotFoundError,
  ConflictError,
  UnprocessableEntityError,
  RateLimitError,
  InternalServerError,
];

function client(baseURL, options = {}) {
  return new Kernel({ apiKey: API_KEY, baseURL, maxRetries: 0, ...options });
}

/** No retries, as on the bespoke servers: one request per call. */
const emulatorClient = (emu, options = {}) => clientFor(emu, { maxRetries: 0, ...options });

const update = (kernel, id = 'inv_1', options) => kernel.invocations.update(id, { status: 'succeeded' }, options);

// ---------------------------------------------------------------------------------------------
// On the emulator

test('each error status maps to its class, with status, headers, body and message', BUDGET, async (t) => {
  const emu = await emulator(t);
  const { id } = await createInvocation(emu);
  const cases = [
    [400, BadRequestError],
    [401, AuthenticationError],
    [403, PermissionDeniedError],
    [404, NotFoundError],
    [409, ConflictError],
    [422, UnprocessableEntityError],
    [429, RateLimitError],
    [500, InternalServerError],
    [502, InternalServerError],
    [503, InternalServerError],
  ];
  // One fault per case, in order, then the sentinel: one request per case and no more.
  for (const [status] of cases) {
    emu.fault({
      method: 'PATCH',
      status,
      headers: { 'x-request-id': `req_${status}` },
      body: { code: `code_${status}`, message: `server says ${status}`, details: { status } },
    });
  }
  const assertReached = sentinel(emu);
  const kernel = emulatorClient(emu);
  for (const [status, ErrorClass] of cases) {
    const err = await rejection(update(kernel, id));
    assert.ok(err instanceof ErrorClass, `${status}: ${err}`);
    assert.ok(err instanceof APIError, `${status}`);
    assert.ok(err instanceof KernelError, `${status}`);
    assert.ok(err instanceof Error, `${status}`);
    assert.ok(!(err instanceof APIConnectionError), `${status}`);
    assert.equal(err.constructor, ErrorClass);
    assert.equal(err.name, ErrorClass.name);
    assert.equal(err.status, status);
    assert.ok(err.headers instanceof Headers, `${status}: headers should be a Headers`);
    assert.equal(err.headers.get('x-request-id'), `req_${status}`);
    assert.equal(err.headers.get('content-type'), 'application/json');
    assert.deepEqual(err.error, {
      code: `code_${status}`,
      message: `server says ${status}`,
      details: { status },
    });
    assert.equal(err.message, `${status} server says ${status}`);
  }
  await assertReached(id);
  assert.equal((await storedInvocation(emu, id)).status, 'running');
});

test('an unmapped status such as 418 is a plain APIError', BUDGET, async (t) => {
  const emu = await emulator(t);
  const { id } = await createInvocation(emu);
  emu.fault({ method: 'PATCH', status: 418, headers: { 'x-request-id': 'req_tea' }, body: { message: "I'm a teapot" } });
  const err = await rejection(update(emulatorClient(emu), id));
  assert.ok(err instanceof APIError);
  assert.ok(err instanceof KernelError);
  assert.equal(err.constructor, APIError);
  for (const Subclass of STATUS_SUBCLASSES) assert.ok(!(err instanceof Subclass), Subclass.name);
  assert.equal(err.name, 'APIError');
  assert.equal(err.status, 418);
  assert.equal(err.headers.get('x-request-id'), 'req_tea');
  assert.deepEqual(err.error, { message: "I'm a teapot" });
  assert.equal(err.message, "418 I'm a teapot");
});

test('a JSON error body without a message puts the whole body in the message', BUDGET, async (t) => {
  const emu = await emulator(t);
  const { id } = await createInvocation(emu);
  emu.fault({ method: 'PATCH', status: 400, body: { code: 'bad_status' } });
  const err = await rejection(update(emulatorClient(emu), id));
  assert.ok(err instanceof BadRequestError);
  assert.deepEqual(err.error, { code: 'bad_status' });
  assert.equal(err.message, '400 {"code":"bad_status"}');
});

test('a 2xx whose JSON is not an object is a KernelError; new, missing or retyped fields come back as sent', BUDGET, async (t) => {
  const emu = await emulator(t);
  const { id } = await createInvocation(emu);
  // JSON null is on a bespoke server below: a null fault body means the default body.
  const notObjects = [[], 'a string', 5];
  const mayBeNew = [
    { id: 'x' },
    invocation({ id: 5 }),
    invocation({ status: 'done' }),
    (({ version, ...rest }) => rest)(invocation()),
  ];
  for (const body of [...notObjects, ...mayBeNew]) emu.fault({ method: 'PATCH', status: 200, body });
  const assertReached = sentinel(emu);
  const kernel = emulatorClient(emu);
  for (const body of notObjects) {
    const err = await rejection(update(kernel, id));
    assert.ok(err instanceof KernelError, JSON.stringify(body));
    assert.ok(!(err instanceof APIError), `${JSON.stringify(body)}: ${err.name}: ${err.message}`);
    assert.equal(err.code, 'ERR_KERNEL_DECODE', JSON.stringify(body));
  }
  for (const body of mayBeNew) assert.deepEqual(await update(kernel, id), body);
  await assertReached(id);
});

test('a connection closed before any response is an APIConnectionError', BUDGET, async (t) => {
  const emu = await emulator(t);
  const { id } = await createInvocation(emu);
  emu.fault({ method: 'PATCH', drop: true });
  const assertReached = sentinel(emu);
  const err = await rejection(update(emulatorClient(emu), id));
  assert.ok(err instanceof APIConnectionError, String(err));
  assert.ok(!(err instanceof APIConnectionTimeoutError), String(err));
  await assertReached(id);
});

// ---------------------------------------------------------------------------------------------
// On bespoke servers: what the emulator cannot send, and no server at all

test('a non-JSON error body: message is "<status> <text>" and err.error is undefined', async () => {
  const server = await startServer((req, res) => {
    res.writeHead(502, { 'content-type': 'text/html' });
    res.end('Bad gateway\n');
  });
  try {
    const err = await rejection(update(client(server.url)));
    assert.ok(err instanceof InternalServerError);
    assert.equal(err.status, 502);
    assert.equal(err.message, '502 Bad gateway');
    assert.equal(err.error, undefined);
    assert.equal(err.headers.get('content-type'), 'text/html');
  } finally {
    await server.close();
  }
});

test('an empty error body says there was no body', async () => {
  const server = await startServer((req, res) => {
    res.writeHead(404);
    res.end();
  });
  try {
    const err = await rejection(update(client(server.url)));
    assert.ok(err instanceof NotFoundError);
    assert.equal(err.message, '404 status code (no body)');
    assert.equal(err.error, undefined);
  } finally {
    await server.close();
  }
});

test('repeated response headers are joined', async () => {
  const server = await startServer((req, res) => {
    res.setHeader('x-multi', ['a', 'b']);
    sendJson(res, 404, { message: 'nope' });
  });
  try {
    const err = await rejection(update(client(server.url)));
    assert.equal(err.headers.get('x-multi'), 'a, b');
  } finally {
    await server.close();
  }
});

test('a 2xx with invalid JSON is a KernelError saying it could not be parsed', async () => {
  const server = await startServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"id": "x", oops');
  });
  try {
    const err = await rejection(update(client(server.url)));
    assert.ok(err instanceof KernelError);
    assert.ok(!(err instanceof APIError));
    assert.equal(err.name, 'KernelError');
    assert.match(err.message, /could not (be )?parse/i);
  } finally {
    await server.close();
  }
});

test('a 2xx whose JSON is null is a KernelError', async () => {
  const server = await startServer((req, res) => sendJson(res, 200, 'null'));
  try {
    const err = await rejection(update(client(server.url)));
    assert.ok(err instanceof KernelError, String(err));
    assert.ok(!(err instanceof APIError), `${err.name}: ${err.message}`);
    assert.equal(server.requests.length, 1);
  } finally {
    await server.close();
  }
});

test('connection refused is an APIConnectionError', async () => {
  const port = await closedPort();
  const err = await rejection(update(client(`http://127.0.0.1:${port}`)));
  assert.ok(err instanceof APIConnectionError, String(err));
  assert.ok(!(err instanceof APIConnectionTimeoutError));
  assert.ok(err instanceof APIError);
  assert.ok(err instanceof KernelError);
  assert.equal(err.name, 'APIConnectionError');
  assert.equal(err.status, undefined);
  assert.equal(err.headers, undefined);
  assert.equal(err.error, undefined);
});

test('a body cut short (Content-Length 100, 10 bytes, close) is an APIConnectionError', async () => {
  const server = await startRawServer((socket) => {
    socket.end(
      'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"id":"ab',
    );
  });
  try {
    const err = await rejection(update(client(server.url), 'inv_1', { timeout: 5000 }));
    assert.ok(err instanceof APIConnectionError, String(err));
    assert.ok(!(err instanceof APIConnectionTimeoutError), String(err));
    assert.equal(server.connections.length, 1);
  } finally {
    await server.close();
  }
});

test('the error classes have the documented hierarchy and names', () => {
  assert.ok(APIError.prototype instanceof KernelError);
  assert.ok(KernelError.prototype instanceof Error);
  assert.ok(APIConnectionError.prototype instanceof APIError);
  assert.ok(APIConnectionTimeoutError.prototype instanceof APIConnectionError);
  assert.ok(APIUserAbortError.prototype instanceof APIError);
  for (const Subclass of STATUS_SUBCLASSES) {
    assert.equal(Object.getPrototypeOf(Subclass), APIError, Subclass.name);
  }
  const all = { KernelError, APIError, APIUserAbortError, APIConnectionError, APIConnectionTimeoutError };
  for (const Subclass of STATUS_SUBCLASSES) all[Subclass.name] = Subclass;
  for (const [name, ErrorClass] of Object.entries(all)) {
    assert.equal(ErrorClass.name, name);
    assert.equal(new ErrorClass().name, name);
  }
  // Constructed by hand, as with @onkernel/sdk.
  const err = new NotFoundError(404, { message: 'gone' }, undefined, new Headers({ 'x-request-id': 'r' }));
  assert.equal(err.message, '404 gone');
  assert.equal(err.status, 404);
  assert.equal(err.headers.get('x-request-id'), 'r');
  assert.equal(new APIUserAbortError().message, 'Request was aborted.');
  assert.equal(new APIConnectionTimeoutError().message, 'Request timed out.');
});

// Header bytes are Latin-1 to fetch's Headers (and so to @onkernel/sdk): a byte that is not
// valid UTF-8 must not break building err.headers.
test('an error response with a non-UTF-8 header byte is still the API error, with the header', async () => {
  const server = await startRawServer((socket) => {
    const body = '{"message":"gone"}';
    socket.end(
      Buffer.concat([
        Buffer.from('HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nX-Raw: caf'),
        Buffer.from([0xe9]),
        Buffer.from(`\r\nX-Request-Id: req_raw\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`),
      ]),
    );
  });
  try {
    const err = await rejection(update(client(server.url)));
    assert.ok(err instanceof NotFoundError, `${err && err.constructor && err.constructor.name}: ${err}`);
    assert.equal(err.message, '404 gone');
    assert.equal(err.headers.get('x-request-id'), 'req_raw');
    assert.equal(err.headers.get('x-raw'), 'caf\u00e9');
  } finally {
    await server.close();
  }
});

// ---------------------------------------------------------------------------------------------
// One error path: every failure carries a `code` naming the core's variant, and the API error
// message is built once, by the core, the way @onkernel/sdk builds it.

test('every failure carries a code naming the core variant, and bad input names its field', BUDGET, async (t) => {
  const emu = await emulator(t);
  const client = clientFor(emu);
  const cases = [
    // Type checks in JS and meaning checks in the core agree on the code.
    ['a number as id (JS)', () => client.invocations.retrieve(5), 'ERR_KERNEL_INVALID_INPUT', 'id'],
    ['an empty id (core)', () => client.invocations.retrieve(''), 'ERR_KERNEL_INVALID_INPUT', 'id'],
    ['an unknown status (core)', () => client.invocations.update('x', { status: 'done' }), 'ERR_KERNEL_INVALID_INPUT', 'status'],
    ['an unknown option (JS)', () => client.invocations.retrieve('x', { nope: 1 }), 'ERR_KERNEL_INVALID_INPUT', 'options.nope'],
    ['an unknown id', () => client.invocations.retrieve('no-such-invocation'), 'ERR_KERNEL_API', undefined],
  ];
  for (const [what, call, code, field] of cases) {
    const error = await rejection(Promise.resolve().then(call));
    assert.ok(error instanceof KernelError, `${what}: ${error}`);
    assert.equal(error.code, code, `${what}: ${error}`);
    assert.equal(error.field, field, `${what}: ${error}`);
  }
  const refused = clientFor({ url: `http://127.0.0.1:${await closedPort()}`, apiKey: 'k' }, { maxRetries: 0 });
  const connection = await rejection(refused.invocations.retrieve('x'));
  assert.equal(connection.code, 'ERR_KERNEL_CONNECTION');
});

test('new Kernel() throws a KernelError with a code, not bare text', () => {
  const missingKey = (() => {
    try {
      return new Kernel({ apiKey: '  ', baseURL: 'http://127.0.0.1:1' });
    } catch (error) {
      return error;
    }
  })();
  assert.ok(missingKey instanceof KernelError, String(missingKey));
  assert.equal(missingKey.code, 'ERR_KERNEL_CONFIG');
  const badTimeout = (() => {
    try {
      return new Kernel({ apiKey: 'k', baseURL: 'http://127.0.0.1:1', timeout: 0 });
    } catch (error) {
      return error;
    }
  })();
  assert.equal(badTimeout.code, 'ERR_KERNEL_INVALID_INPUT');
  assert.equal(badTimeout.field, 'timeout');
});

test('APIError.makeMessage and the messages of API failures are the SDK\'s, falsy messages and key order included', async () => {
  const { APIError: SdkAPIError } = require('@onkernel/sdk');
  const bodies = [
    { message: 'no such invocation' },
    { message: '' },
    { message: 0 },
    { message: false },
    { message: null },
    { message: { nested: true } },
    { z: 1, a: 2, code: 'x' },
    [],
    [1, 'two'],
    'text',
    0,
    null,
    undefined,
  ];
  for (const status of [undefined, 404, 500]) {
    for (const body of bodies) {
      for (const text of [undefined, 'raw text']) {
        assert.equal(APIError.makeMessage(status, body, text), SdkAPIError.makeMessage(status, body, text), JSON.stringify({ status, body, text }));
      }
    }
  }
  // The core builds the same message for a failure it raises.
  for (const raw of ['{"message":""}', '{"z":1,"a":2}', '{"message":0}', '0', 'null']) {
    const server = await startRawServer((socket) => {
      socket.end(`HTTP/1.1 500 Internal Server Error\r\ncontent-type: application/json\r\ncontent-length: ${raw.length}\r\nconnection: close\r\n\r\n${raw}`);
    });
    try {
      const client = new Kernel({ apiKey: API_KEY, baseURL: server.url, maxRetries: 0 });
      const error = await rejection(client.invocations.retrieve('x'));
      let body;
      try {
        body = JSON.parse(raw);
      } catch {}
      assert.equal(error.message, SdkAPIError.makeMessage(500, body, body ? undefined : raw), raw);
    } finally {
      await server.close();
    }
  }
});
