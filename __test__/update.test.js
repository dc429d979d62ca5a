'use strict';
// client.invocations.update: the request on the wire and the result it resolves with.

const { test } = require('node:test');
const assert = require('node:assert/strict');

const Kernel = require('kernel-native');
const { version } = require('kernel-native/package.json');
const { API_KEY, invocation, sendJson, startServer } = require('./helpers/server');

function client(baseURL, options = {}) {
  return new Kernel({ apiKey: API_KEY, baseURL, ...options });
}

test('sends PATCH /invocations/{id} with the documented headers and body', async () => {
  const server = await startServer();
  try {
    const result = await client(server.url).invocations.update('inv_123', { status: 'succeeded' });
    assert.equal(result.id, 'inv_123');
    assert.equal(server.requests.length, 1);
    const [req] = server.requests;
    assert.equal(req.method, 'PATCH');
    assert.equal(req.url, '/invocations/inv_123');
    assert.equal(req.headers.authorization, `Bearer ${API_KEY}`);
    assert.equal(req.headers['content-type'], 'application/json');
    assert.equal(req.headers.accept, 'application/json');
    assert.ok(
      req.headers['user-agent'].includes(`kernel-native/${version}`),
      `user-agent ${req.headers['user-agent']} should name kernel-native/${version}`,
    );
    assert.equal(req.body, '{"status":"succeeded"}');
  } finally {
    await server.close();
  }
});

test('sends status failed and the output when given, and nothing else', async () => {
  const server = await startServer();
  try {
    const output = JSON.stringify({ result: [1, 2, 3], note: 'ok' });
    await client(server.url).invocations.update('inv_1', { status: 'failed', output });
    await client(server.url).invocations.update('inv_2', { status: 'succeeded', output: undefined });
    assert.deepEqual(JSON.parse(server.requests[0].body), { status: 'failed', output });
    assert.equal(server.requests[1].body, '{"status":"succeeded"}');
  } finally {
    await server.close();
  }
});

test('the id is percent-encoded as one path segment', async () => {
  const server = await startServer();
  try {
    const kernel = client(server.url);
    for (const id of ['a/b', '../x', '%2e%2e', 'a?b#c', 'é🚀', 'a b', '..%2F', 'a..b', '...']) {
      const result = await kernel.invocations.update(id, { status: 'succeeded' });
      const req = server.requests.at(-1);
      const raw = req.url;
      assert.ok(raw.startsWith('/invocations/'), `${id}: ${raw}`);
      const segment = raw.slice('/invocations/'.length);
      assert.ok(!segment.includes('/'), `${id}: ${raw} has more than one segment`);
      assert.ok(!segment.includes('?') && !segment.includes('#'), `${id}: ${raw}`);
      assert.equal(decodeURIComponent(segment), id, `${id}: ${raw}`);
      // The handler echoes the decoded segment back as the id.
      assert.equal(result.id, id);
    }
    assert.equal(server.requests.length, 9);
  } finally {
    await server.close();
  }
});

test('a base URL with a path prefix keeps it, with or without a trailing slash', async () => {
  const server = await startServer();
  try {
    await client(`${server.url}/v1`).invocations.update('id', { status: 'succeeded' });
    await client(`${server.url}/v1/`).invocations.update('id', { status: 'succeeded' });
    await client(`${server.url}/`).invocations.update('id', { status: 'succeeded' });
    assert.deepEqual(
      server.requests.map((r) => r.url),
      ['/v1/invocations/id', '/v1/invocations/id', '/invocations/id'],
    );
  } finally {
    await server.close();
  }
});

test('the result has every field the server sent', async () => {
  const sent = invocation({ id: 'full' });
  const server = await startServer((req, res) => sendJson(res, 200, sent));
  try {
    const result = await client(server.url).invocations.update('full', { status: 'succeeded' });
    assert.deepEqual({ ...result }, sent);
    assert.equal(typeof result.started_at, 'string');
  } finally {
    await server.close();
  }
});

test('finished_at: null stays null, and absent optional fields stay absent', async () => {
  const withNull = invocation({ id: 'n', finished_at: null, status: 'running' });
  const minimal = {
    id: 'm',
    app_name: 'a',
    action_name: 'b',
    started_at: '2026-11-28T10:00:00Z',
    status: 'queued',
    version: '1',
  };
  const server = await startServer((req, res) =>
    sendJson(res, 200, req.url.endsWith('/n') ? withNull : minimal),
  );
  try {
    const kernel = client(server.url);
    const nulled = await kernel.invocations.update('n', { status: 'succeeded' });
    assert.equal(nulled.finished_at, null);
    assert.ok('finished_at' in nulled);
    assert.deepEqual({ ...nulled }, withNull);

    const bare = await kernel.invocations.update('m', { status: 'succeeded' });
    for (const field of ['finished_at', 'payload', 'output', 'status_reason']) {
      assert.equal(field in bare, false, `${field} should be absent`);
    }
    assert.deepEqual({ ...bare }, minimal);
  } finally {
    await server.close();
  }
});

test('unknown extra fields, nested ones included, are kept', async () => {
  const sent = invocation({
    region: 'eu-west',
    attempts: 3,
    flags: [true, false, null],
    nested: { a: { b: [1, { c: 'd' }] }, empty: {} },
    nothing: null,
  });
  const server = await startServer((req, res) => sendJson(res, 200, sent));
  try {
    const result = await client(server.url).invocations.update('inv_123', { status: 'succeeded' });
    assert.deepEqual({ ...result }, sent);
    assert.deepEqual(result.nested, { a: { b: [1, { c: 'd' }] }, empty: {} });
    assert.equal(result.nothing, null);
  } finally {
    await server.close();
  }
});

test('a 2 MiB output round-trips', async () => {
  const output = JSON.stringify('x'.repeat(2 * 1024 * 1024));
  const server = await startServer((req, res, record) =>
    sendJson(res, 200, invocation({ output: JSON.parse(record.body).output })),
  );
  try {
    const result = await client(server.url).invocations.update('big', { status: 'succeeded', output });
    assert.equal(JSON.parse(server.requests[0].body).output, output);
    assert.equal(result.output.length, output.length);
    assert.equal(result.output, output);
  } finally {
    await server.close();
  }
});

test('unicode output round-trips', async () => {
  const output = JSON.stringify({ text: 'héllo wörld — 日本語 🚀👩‍👩‍👧 \u0000 \u2028 "q" \\' });
  const server = await startServer((req, res, record) =>
    sendJson(res, 200, invocation({ output: JSON.parse(record.body).output })),
  );
  try {
    const result = await client(server.url).invocations.update('u', { status: 'succeeded', output });
    assert.equal(JSON.parse(server.requests[0].body).output, output);
    assert.equal(result.output, output);
  } finally {
    await server.close();
  }
});

test('200 concurrent calls all succeed with the right ids', async () => {
  const server = await startServer();
  try {
    const kernel = client(server.url);
    const ids = Array.from({ length: 200 }, (_, i) => `inv_${i}`);
    const results = await Promise.all(
      ids.map((id) => kernel.invocations.update(id, { status: 'succeeded' })),
    );
    assert.deepEqual(
      results.map((r) => r.id),
      ids,
    );
    assert.equal(server.requests.length, 200);
    assert.deepEqual(
      server.requests.map((r) => r.url).sort(),
      ids.map((id) => `/invocations/${id}`).sort(),
    );
  } finally {
    await server.close();
  }
});

test('options.headers are sent with the call', async () => {
  const server = await startServer();
  try {
    await client(server.url).invocations.update(
      'h',
      { status: 'succeeded' },
      { headers: { 'X-Trace-Id': 'abc', 'x-other': 'def' } },
    );
    const [req] = server.requests;
    assert.equal(req.headers['x-trace-id'], 'abc');
    assert.equal(req.headers['x-other'], 'def');
    assert.equal(req.headers.authorization, `Bearer ${API_KEY}`);
  } finally {
    await server.close();
  }
});

test('headers may be given as a Headers object or as [name, value] pairs', async () => {
  const server = await startServer();
  try {
    const kernel = client(server.url);
    await kernel.invocations.update('a', { status: 'succeeded' }, { headers: new Headers({ 'x-a': '1' }) });
    await kernel.invocations.update('b', { status: 'succeeded' }, { headers: [['X-B', '2']] });
    assert.equal(server.requests[0].headers['x-a'], '1');
    assert.equal(server.requests[1].headers['x-b'], '2');
  } finally {
    await server.close();
  }
});

test('clients with different keys sharing the process each send their own key', async () => {
  const server = await startServer();
  try {
    const a = new Kernel({ apiKey: 'sk-client-a', baseURL: server.url });
    const b = new Kernel({ apiKey: 'sk-client-b', baseURL: server.url });
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? b : a).invocations.update(i % 2 ? `b${i}` : `a${i}`, { status: 'succeeded' }),
      ),
    );
    assert.equal(server.requests.length, 20);
    for (const req of server.requests) {
      const owner = req.url.split('/').pop()[0];
      assert.equal(req.headers.authorization, `Bearer sk-client-${owner}`, req.url);
    }
  } finally {
    await server.close();
  }
});

// The result should hold what JSON.parse (and so @onkernel/sdk) would give for the body.
test('a "__proto__" field is kept as a field, not used as the prototype', async () => {
  const body =
    '{"id":"p","app_name":"a","action_name":"b","started_at":"s","status":"succeeded","version":"1",' +
    '"__proto__":{"isAdmin":true},"nested":{"__proto__":{"polluted":true},"k":1}}';
  const server = await startServer((req, res) => sendJson(res, 200, body));
  try {
    const result = await client(server.url).invocations.update('p', { status: 'succeeded' });
    const expected = JSON.parse(body);
    assert.equal(Object.getPrototypeOf(result), Object.prototype, 'the result prototype was replaced');
    assert.equal(result.isAdmin, undefined, 'a server field became an inherited property');
    assert.ok(Object.hasOwn(result, '__proto__'), '__proto__ should be an own field, as with JSON.parse');
    assert.equal(Object.getPrototypeOf(result.nested), Object.prototype);
    assert.equal(result.nested.polluted, undefined);
    assert.deepEqual(Object.keys(result).sort(), Object.keys(expected).sort());
  } finally {
    await server.close();
  }
});

test('large integers in extra fields are numbers, as JSON.parse gives, and the result stringifies', async () => {
  const body =
    '{"id":"n","app_name":"a","action_name":"b","started_at":"s","status":"succeeded","version":"1",' +
    '"started_at_ns":1764324000123456789,"small":42,"neg":-9007199254740993,"nested":{"n":9007199254740992}}';
  const server = await startServer((req, res) => sendJson(res, 200, body));
  try {
    const result = await client(server.url).invocations.update('n', { status: 'succeeded' });
    const expected = JSON.parse(body);
    assert.equal(result.small, 42);
    for (const [value, want, name] of [
      [result.started_at_ns, expected.started_at_ns, 'started_at_ns'],
      [result.neg, expected.neg, 'neg'],
      [result.nested.n, expected.nested.n, 'nested.n'],
    ]) {
      assert.equal(typeof value, 'number', `${name} is a ${typeof value}`);
      assert.equal(value, want, name);
    }
    assert.doesNotThrow(() => JSON.stringify(result));
  } finally {
    await server.close();
  }
});
