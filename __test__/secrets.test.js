'use strict';
// The API key never shows up in errors or in a printed client.

const { test, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const util = require('node:util');

const Kernel = require('kernel-native');
const { KernelError, APIConnectionError, APIConnectionTimeoutError, AuthenticationError } = Kernel;
const { sendJson, startServer, startRawServer, closedPort, rejection, thrown } = require('./helpers/server');

const SECRET = 'sk-live-SECRET-7f3a9c1e5b';
const savedKey = process.env.KERNEL_API_KEY;

afterEach(() => {
  if (savedKey === undefined) delete process.env.KERNEL_API_KEY;
  else process.env.KERNEL_API_KEY = savedKey;
});

/** Every way an error or object is commonly printed or logged. */
function renderings(value) {
  const out = [
    util.inspect(value),
    util.inspect(value, { showHidden: true, depth: Infinity }),
    util.format('%o', value),
    util.format('%s %j', value, value),
    JSON.stringify(value) ?? '',
    String(value),
  ];
  if (value instanceof Error) {
    out.push(value.message, value.stack ?? '', JSON.stringify(Object.getOwnPropertyNames(value).map((k) => value[k])));
  }
  return out;
}

function assertNoSecret(value, ...parts) {
  for (const text of renderings(value)) {
    for (const part of parts) {
      assert.ok(!text.includes(part), `found ${JSON.stringify(part)} in ${text}`);
    }
  }
}

test('the client, printed or serialised, does not show the key', () => {
  const kernel = new Kernel({ apiKey: SECRET, baseURL: 'http://127.0.0.1:9/' });
  assertNoSecret(kernel, SECRET);
  assertNoSecret(kernel.invocations, SECRET);
  assert.ok(!Object.keys(kernel).includes('apiKey'));
  // The key is still readable on purpose, as in @onkernel/sdk.
  assert.equal(kernel.apiKey, SECRET);
});

test('a client built from KERNEL_API_KEY does not show the key', () => {
  process.env.KERNEL_API_KEY = SECRET;
  const kernel = new Kernel({ baseURL: 'http://127.0.0.1:9/' });
  assertNoSecret(kernel, SECRET);
});

test('a connection error does not show the key', async () => {
  const port = await closedPort();
  const kernel = new Kernel({ apiKey: SECRET, baseURL: `http://127.0.0.1:${port}`, maxRetries: 0 });
  const err = await rejection(kernel.invocations.update('x', { status: 'succeeded' }));
  assert.ok(err instanceof APIConnectionError);
  assertNoSecret(err, SECRET);
});

test('a timeout error does not show the key', async () => {
  const server = await startRawServer(() => {});
  try {
    const kernel = new Kernel({ apiKey: SECRET, baseURL: server.url, maxRetries: 0, timeout: 100 });
    const err = await rejection(kernel.invocations.update('x', { status: 'succeeded' }));
    assert.ok(err instanceof APIConnectionTimeoutError);
    assertNoSecret(err, SECRET);
  } finally {
    await server.close();
  }
});

test('a 401 error does not show the key', async () => {
  const server = await startServer((req, res) =>
    sendJson(res, 401, { code: 'unauthorized', message: 'invalid API key' }, { 'x-request-id': 'r1' }),
  );
  try {
    const kernel = new Kernel({ apiKey: SECRET, baseURL: server.url, maxRetries: 0 });
    const err = await rejection(kernel.invocations.update('x', { status: 'succeeded' }));
    assert.ok(err instanceof AuthenticationError);
    assert.equal(server.requests[0].headers.authorization, `Bearer ${SECRET}`);
    assertNoSecret(err, SECRET);
  } finally {
    await server.close();
  }
});

test('a key with a newline is refused without echoing it', () => {
  for (const key of ['sk-first-half\nsk-second-half', 'sk-first-half\r\nsk-second-half', 'sk-first-half\u0000sk-second-half']) {
    const err = thrown(() => new Kernel({ apiKey: key, baseURL: 'http://127.0.0.1:9/' }));
    assert.ok(err instanceof KernelError, String(err));
    assert.ok(err.message.includes('apiKey'), err.message);
    assertNoSecret(err, 'sk-first-half', 'sk-second-half');
  }
});

test('a key with a newline from KERNEL_API_KEY is refused without echoing it', () => {
  process.env.KERNEL_API_KEY = 'sk-first-half\nsk-second-half';
  const err = thrown(() => new Kernel({ baseURL: 'http://127.0.0.1:9/' }));
  assert.ok(err instanceof KernelError, String(err));
  assertNoSecret(err, 'sk-first-half', 'sk-second-half');
});

test('a bad authorization header given per request is not echoed', async () => {
  const server = await startServer();
  try {
    const kernel = new Kernel({ apiKey: SECRET, baseURL: server.url, maxRetries: 0 });
    const err = await rejection(
      kernel.invocations.update('x', { status: 'succeeded' }, { headers: { authorization: 'Bearer other-secret\r\n' } }),
    );
    assert.ok(err instanceof KernelError);
    assertNoSecret(err, 'other-secret', SECRET);
    assert.equal(server.requests.length, 0);
  } finally {
    await server.close();
  }
});

test('a redirect to another origin does not carry the key; one on the same origin does', async () => {
  const other = await startServer();
  const server = await startServer((req, res) => {
    if (req.url === '/invocations/cross') {
      res.writeHead(307, { location: `${other.url}/elsewhere/cross` });
      res.end();
    } else if (req.url === '/invocations/same') {
      res.writeHead(307, { location: '/moved/same' });
      res.end();
    } else {
      sendJson(res, 200, { id: 'same', app_name: 'a', action_name: 'b', started_at: 's', status: 'succeeded', version: '1' });
    }
  });
  try {
    const kernel = new Kernel({ apiKey: SECRET, baseURL: server.url, maxRetries: 0 });
    await kernel.invocations.update('cross', { status: 'succeeded' });
    assert.equal(other.requests.length, 1);
    assert.equal(other.requests[0].headers.authorization, undefined);
    for (const value of Object.values(other.requests[0].headers)) assert.ok(!String(value).includes(SECRET));
    await kernel.invocations.update('same', { status: 'succeeded' });
    assert.equal(server.requests.at(-1).url, '/moved/same');
    assert.equal(server.requests.at(-1).headers.authorization, `Bearer ${SECRET}`);
  } finally {
    await server.close();
    await other.close();
  }
});
