'use strict';
// APIPromise: `.withResponse()` and `.asResponse()` on every method, request ids, and plain
// promise behaviour (await, then/catch/finally, awaiting twice).

const { test } = require('node:test');
const assert = require('node:assert/strict');

const Kernel = require('kernel-native');
const { NotFoundError, BadRequestError, KernelError } = Kernel;
const { emulator, clientFor, createInvocation } = require('./helpers/emulator');
const { API_KEY, startServer, startRawServer, within, rejection } = require('./helpers/server');

const REQUEST_ID = /^req_[A-Za-z0-9]+$/;
const CREATE = { app_name: 'my-app', action_name: 'analyze', version: '1.0.0' };

function assertRawResponse(response, status, what) {
  assert.ok(response instanceof Response, `${what}: not a WHATWG Response`);
  assert.equal(response.status, status, what);
  assert.equal(response.ok, status < 300, what);
  assert.ok(response.headers instanceof Headers, what);
  assert.match(response.headers.get('x-request-id') ?? '', REQUEST_ID, `${what}: x-request-id`);
}

test('JSON methods: withResponse() gives { data, response, request_id } and the body equals data', async (t) => {
  const emu = await emulator(t);
  const client = clientFor(emu);
  const { id } = await createInvocation(emu);
  const finishing = await createInvocation(emu);
  const calls = {
    create: [() => client.invocations.create(CREATE), 200, (data) => data],
    'create async': [() => client.invocations.create({ ...CREATE, async: true }), 202, (data) => data],
    retrieve: [() => client.invocations.retrieve(id), 200, (data) => data],
    update: [() => client.invocations.update(finishing.id, { status: 'succeeded' }), 200, (data) => data],
    list: [() => client.invocations.list({ limit: 2 }), 200, (page) => page.items],
    listBrowsers: [() => client.invocations.listBrowsers(id), 200, (data) => data],
  };
  const ids = new Set();
  for (const [method, [call, status, body]] of Object.entries(calls)) {
    const result = await call().withResponse();
    assert.deepEqual(Object.keys(result).sort(), ['data', 'request_id', 'response'], method);
    const { data, response, request_id } = result;
    assertRawResponse(response, status, method);
    assert.match(request_id, REQUEST_ID, method);
    assert.equal(request_id, response.headers.get('x-request-id'), method);
    assert.match(response.headers.get('content-type'), /^application\/json/, method);
    assert.deepEqual(await response.json(), JSON.parse(JSON.stringify(body(data))), method);
    ids.add(request_id);
  }
  assert.equal(ids.size, Object.keys(calls).length, 'every response has its own request id');

  const created = await client.invocations.create(CREATE).withResponse();
  assert.equal(created.data.status, 'running');
  const page = await client.invocations.list({ limit: 2 }).withResponse();
  assert.equal(page.data.items.length, 2);
  assert.equal(page.data.hasNextPage(), true);
  assert.equal(page.response.headers.get('x-has-more'), 'true');
  assert.equal(page.response.headers.get('x-next-offset'), '2');
});

test('deleteBrowsers: data undefined, status 204 and a null body', async (t) => {
  const emu = await emulator(t);
  const client = clientFor(emu);
  const { id } = await createInvocation(emu);
  const { data, response, request_id } = await client.invocations.deleteBrowsers(id).withResponse();
  assert.equal(data, undefined);
  assertRawResponse(response, 204, 'deleteBrowsers');
  assert.equal(response.body, null);
  assert.equal(request_id, response.headers.get('x-request-id'));
  const raw = await client.invocations.deleteBrowsers(id).asResponse();
  assertRawResponse(raw, 204, 'deleteBrowsers asResponse');
  assert.equal(raw.body, null);
  assert.equal(await raw.text(), '');
});

test('asResponse() gives the raw Response of every JSON method', async (t) => {
  const emu = await emulator(t);
  const client = clientFor(emu);
  const { id } = await createInvocation(emu);
  const finishing = await createInvocation(emu);
  const created = await client.invocations.create(CREATE).asResponse();
  assertRawResponse(created, 200, 'create');
  const createdBody = await created.json();
  assert.equal(createdBody.status, 'running');
  assert.equal(createdBody.action_name, 'analyze');
  const queued = await client.invocations.create({ ...CREATE, async: true }).asResponse();
  assertRawResponse(queued, 202, 'create async');
  assert.equal((await queued.json()).status, 'queued');

  const retrieved = await client.invocations.retrieve(id).asResponse();
  assertRawResponse(retrieved, 200, 'retrieve');
  assert.equal((await retrieved.json()).id, id);

  const updated = await client.invocations.update(finishing.id, { status: 'failed' }).asResponse();
  assertRawResponse(updated, 200, 'update');
  assert.equal((await updated.json()).status, 'failed');

  const listed = await client.invocations.list({ limit: 1 }).asResponse();
  assertRawResponse(listed, 200, 'list');
  assert.equal(listed.headers.get('x-has-more'), 'true');
  assert.equal(listed.headers.get('x-next-offset'), '1');
  const items = await listed.json();
  assert.ok(Array.isArray(items) && items.length === 1);

  const browsers = await client.invocations.listBrowsers(id).asResponse();
  assertRawResponse(browsers, 200, 'listBrowsers');
  assert.deepEqual(await browsers.json(), { browsers: [] });
});

test('follow: withResponse() gives the stream as data and a 200 response; the stream can be iterated', async (t) => {
  const emu = await emulator(t);
  const client = clientFor(emu);
  const { id } = await createInvocation(emu);
  const { data, response, request_id } = await client.invocations.follow(id).withResponse();
  assertRawResponse(response, 200, 'follow');
  assert.match(response.headers.get('content-type'), /^text\/event-stream/);
  assert.equal(request_id, response.headers.get('x-request-id'));
  assert.equal(typeof data[Symbol.asyncIterator], 'function');
  assert.ok(data.controller instanceof AbortController);
  // As with @onkernel/sdk, the data of withResponse() is the usable stream.
  const events = [];
  try {
    await within(
      3000,
      (async () => {
        for await (const event of data) {
          events.push(event);
          break;
        }
      })(),
      'iterating the stream from withResponse()',
    );
  } catch (err) {
    assert.fail(`iterating the data of follow().withResponse() threw ${err.name}: ${err.message}`);
  } finally {
    data.controller.abort();
  }
  assert.equal(events.length, 1);
  assert.equal(events[0].event, 'invocation_state');
  assert.equal(events[0].invocation.id, id);
});

test('follow: asResponse() body streams the raw SSE text until the invocation ends', async (t) => {
  const emu = await emulator(t);
  const client = clientFor(emu);
  const { id } = await createInvocation(emu);
  const response = await client.invocations.follow(id).asResponse();
  assertRawResponse(response, 200, 'follow asResponse');
  assert.match(response.headers.get('content-type'), /^text\/event-stream/);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let updated = false;
  await within(
    3000,
    (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        assert.ok(value instanceof Uint8Array);
        text += decoder.decode(value, { stream: true });
        if (!updated && text.includes('\n\n')) {
          updated = true;
          await client.invocations.update(id, { status: 'succeeded' });
        }
      }
    })(),
    'the raw stream',
  );
  const dataLines = text
    .split('\n')
    .filter((line) => line.startsWith('data:'))
    .map((line) => JSON.parse(line.slice(5)));
  assert.deepEqual(
    dataLines.filter((event) => event.event === 'invocation_state').map((event) => event.invocation.status),
    ['running', 'succeeded'],
  );
  assert.ok(text.endsWith('\n\n'), JSON.stringify(text.slice(-40)));
});

test('follow: cancelling the raw body closes the connection', async () => {
  let closed;
  const server = await startServer((req, res) => {
    closed = new Promise((resolve) => res.on('close', () => resolve(!res.writableFinished)));
    res.writeHead(200, { 'content-type': 'text/event-stream', 'x-request-id': 'req_bespoke1' });
    res.write('data: {"event":"sse_heartbeat","timestamp":"t"}\n\n');
    const timer = setInterval(() => res.write('data: {"event":"sse_heartbeat","timestamp":"t"}\n\n'), 20);
    res.on('close', () => clearInterval(timer));
  });
  try {
    const client = new Kernel({ apiKey: API_KEY, baseURL: server.url, maxRetries: 0 });
    const { data, response, request_id } = await client.invocations.follow('inv_1').withResponse();
    assert.equal(request_id, 'req_bespoke1');
    assert.equal(response.status, 200);
    const raw = await client.invocations.follow('inv_2').asResponse();
    const reader = raw.body.getReader();
    const first = await reader.read();
    assert.match(new TextDecoder().decode(first.value), /sse_heartbeat/);
    await reader.cancel();
    assert.equal(await within(2000, closed, 'the server seeing the close'), true);
    data.controller.abort();
  } finally {
    await server.close();
  }
});

test('errors carry the request id; withResponse() and asResponse() reject like await', async (t) => {
  const emu = await emulator(t);
  const client = clientFor(emu, { maxRetries: 0 });
  const calls = {
    retrieve: () => client.invocations.retrieve('missing'),
    update: () => client.invocations.update('missing', { status: 'failed' }),
    follow: () => client.invocations.follow('missing'),
    listBrowsers: () => client.invocations.listBrowsers('missing'),
    deleteBrowsers: () => client.invocations.deleteBrowsers('missing'),
  };
  for (const [method, call] of Object.entries(calls)) {
    for (const [how, run] of [
      ['await', (p) => p],
      ['withResponse', (p) => p.withResponse()],
      ['asResponse', (p) => p.asResponse()],
    ]) {
      const err = await rejection(run(call()));
      assert.ok(err instanceof NotFoundError, `${method} ${how}: ${err}`);
      assert.match(err.headers.get('x-request-id'), REQUEST_ID, `${method} ${how}`);
    }
  }
  emu.fault({ method: 'POST', status: 400, body: { code: 'bad', message: 'no' } });
  const err = await rejection(client.invocations.create(CREATE).withResponse());
  assert.ok(err instanceof BadRequestError, String(err));
  assert.match(err.headers.get('x-request-id'), REQUEST_ID);
  emu.fault({ method: 'GET', path: '/invocations', status: 400 });
  const listErr = await rejection(client.invocations.list().asResponse());
  assert.ok(listErr instanceof BadRequestError, String(listErr));
  // Bad input: withResponse() and asResponse() reject with the KernelError too.
  for (const run of [(p) => p.withResponse(), (p) => p.asResponse()]) {
    const invalid = await rejection(run(client.invocations.retrieve('')));
    assert.ok(invalid instanceof KernelError && invalid.message.includes('id'), String(invalid));
  }
});

test('plain await, then/catch/finally, awaiting twice', async (t) => {
  const emu = await emulator(t);
  const client = clientFor(emu, { maxRetries: 0 });
  const { id } = await createInvocation(emu);

  const promise = client.invocations.retrieve(id);
  assert.ok(promise instanceof Promise);
  const first = await promise;
  const second = await promise;
  assert.equal(first.id, id);
  assert.deepEqual(second, first);
  // The response can still be had after awaiting, as often as asked.
  const one = await promise.withResponse();
  const two = await promise.withResponse();
  assert.deepEqual(one.data, first);
  assert.deepEqual(await one.response.json(), await two.response.json());
  assert.equal(one.request_id, two.request_id);
  assert.equal((await promise.asResponse()).status, 200);

  const viaThen = await client.invocations.retrieve(id).then((inv) => inv.status);
  assert.equal(viaThen, 'running');
  const chained = client.invocations.retrieve(id).then((inv) => inv.id);
  assert.ok(chained instanceof Promise);
  assert.equal(await chained, id);

  const caught = await client.invocations.retrieve('missing').catch((err) => err);
  assert.ok(caught instanceof NotFoundError);
  const rejected = await client.invocations.retrieve('missing').then(
    () => 'resolved',
    (err) => err.status,
  );
  assert.equal(rejected, 404);

  let finallyCalls = 0;
  const value = await client.invocations.listBrowsers(id).finally(() => finallyCalls++);
  assert.deepEqual(value, { browsers: [] });
  const err = await rejection(client.invocations.retrieve('missing').finally(() => finallyCalls++));
  assert.ok(err instanceof NotFoundError);
  assert.equal(finallyCalls, 2);

  const both = await Promise.all([client.invocations.retrieve(id), client.invocations.list({ limit: 1 })]);
  assert.equal(both[0].id, id);
  assert.equal(both[1].items.length, 1);

  // Rejections are not unhandled just because the promise was never awaited twice.
  const failing = client.invocations.retrieve('missing');
  assert.ok((await rejection(failing)) instanceof NotFoundError);
  assert.ok((await rejection(failing)) instanceof NotFoundError);
});

test('the classes lib/types.d.ts declares as exported values exist at runtime (ESM and CommonJS)', async (t) => {
  // types.d.ts has `export declare class APIPromise / PagePromise / OffsetPagination / Stream /
  // Invocations`, so `import { APIPromise } from 'kernel-native'` type-checks as a value
  // (`instanceof APIPromise`); @onkernel/sdk exports APIPromise and PagePromise at runtime.
  const emu = await emulator(t);
  const client = clientFor(emu);
  const esm = await import('kernel-native');
  const declared = ['APIPromise', 'PagePromise', 'OffsetPagination', 'Stream', 'Invocations'];
  const missing = declared.filter((name) => typeof esm[name] !== 'function' || typeof Kernel[name] !== 'function');
  assert.deepEqual(missing, [], `declared as exported classes in the types but missing at runtime: ${missing.join(', ')}`);
  const { id } = await createInvocation(emu);
  const listing = client.invocations.list();
  const browsers = client.invocations.listBrowsers(id);
  await Promise.all([listing, browsers]);
  assert.ok(listing instanceof esm.PagePromise);
  assert.ok(browsers instanceof esm.APIPromise);
  assert.ok((await listing) instanceof esm.OffsetPagination);
  assert.ok(client.invocations instanceof esm.Invocations);
});

// Invocation answers reach JS as their JSON text and a one-string head (status, then
// `name:value` lines, see `head_block` in src/response.rs): what withResponse() and asResponse()
// rebuild from it must be what the server sent, byte for byte.
test('a JSON answer keeps its head and body exactly: status, joined, Latin-1 and colon headers, UTF-8 body', async () => {
  const body = Buffer.from(JSON.stringify({ id: 'inv_é', app_name: 'app ✓', output: '{"a":"b: c"}' }));
  const server = await startRawServer((socket) => {
    socket.end(
      Buffer.concat([
        Buffer.from('HTTP/1.1 203 Non-Authoritative Information\r\nContent-Type: application/json\r\n'),
        Buffer.from('X-Multi: a\r\nX-Multi: b\r\nX-Colon: a:b: c\r\nX-Raw: caf'),
        Buffer.from([0xe9]),
        Buffer.from(`\r\nX-Request-Id: req_head\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`),
        body,
      ]),
    );
  });
  try {
    const client = new Kernel({ apiKey: API_KEY, baseURL: server.url, maxRetries: 0 });
    for (const call of [() => client.invocations.update('inv_1', { status: 'succeeded' }), () => client.invocations.retrieve('inv_1')]) {
      const { data, response, request_id } = await call().withResponse();
      assert.deepEqual(data, JSON.parse(body.toString('utf8')));
      assert.equal(request_id, 'req_head');
      assert.equal(response.status, 203);
      assert.equal(response.headers.get('x-multi'), 'a, b');
      assert.equal(response.headers.get('x-colon'), 'a:b: c');
      assert.equal(response.headers.get('x-raw'), 'caf\u00e9');
      assert.deepEqual(Buffer.from(await response.arrayBuffer()), body);
      const raw = await call().asResponse();
      assert.equal(raw.status, 203);
      assert.deepEqual(Buffer.from(await raw.arrayBuffer()), body);
    }
  } finally {
    await server.close();
  }
});
