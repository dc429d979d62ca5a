'use strict';
// client.invocations, method by method, against the emulator: the happy path with its result
// fields, every bad input rejected before anything is sent, 404s, and the per-call options.

const { test } = require('node:test');
const assert = require('node:assert/strict');

const Kernel = require('kernel-native');
const { NotFoundError, KernelError, APIError } = Kernel;
const { emulator, clientFor, createInvocation, storedInvocation } = require('./helpers/emulator');
const { rejection } = require('./helpers/server');
const { expectInvalid, expectAbortedBeforeSending } = require('./helpers/guard');

const CREATE = { app_name: 'my-app', action_name: 'analyze', version: '1.0.0' };
const RFC3339_NANOS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/;
const ID = /^[a-z0-9]{24}$/;

/** Every stored invocation, through the emulator's raw HTTP API. */
async function storedCount(emu) {
  const res = await fetch(`${emu.url}/invocations?limit=100`, { headers: { authorization: `Bearer ${emu.apiKey}` } });
  assert.equal(res.status, 200);
  return (await res.json()).length;
}

test('create: a sync invocation is running, with every field stored', async (t) => {
  const emu = await emulator(t);
  const client = clientFor(emu);
  const created = await client.invocations.create({ ...CREATE, payload: '{"q":1}' });
  assert.match(created.id, ID);
  assert.equal(created.action_name, 'analyze');
  assert.equal(created.status, 'running');

  const stored = await storedInvocation(emu, created.id);
  assert.equal(stored.app_name, 'my-app');
  assert.equal(stored.action_name, 'analyze');
  assert.equal(stored.version, '1.0.0');
  assert.equal(stored.payload, '{"q":1}');
  assert.equal(stored.status, 'running');
  assert.equal(stored.finished_at, null);
  assert.match(stored.started_at, RFC3339_NANOS);
});

test('create: async: true is queued; async_timeout_seconds 10 and 3600 are accepted', async (t) => {
  const emu = await emulator(t);
  const client = clientFor(emu);
  const queued = await client.invocations.create({ ...CREATE, async: true });
  assert.equal(queued.status, 'queued');
  assert.equal((await storedInvocation(emu, queued.id)).status, 'queued');
  for (const seconds of [10, 3600]) {
    const created = await client.invocations.create({ ...CREATE, async: true, async_timeout_seconds: seconds });
    assert.equal(created.status, 'queued', `async_timeout_seconds ${seconds}`);
  }
  const sync = await client.invocations.create({ ...CREATE, async: false });
  assert.equal(sync.status, 'running');
  // Fields given as undefined are left out, not sent as null.
  const bare = await client.invocations.create({ ...CREATE, payload: undefined, async: undefined });
  assert.equal(bare.status, 'running');
  assert.equal((await storedInvocation(emu, bare.id)).payload, undefined);
  assert.equal(await storedCount(emu), 5);
});

test('create: bad params reject with a KernelError naming the field, and create nothing', async (t) => {
  const emu = await emulator(t);
  const client = clientFor(emu, { maxRetries: 0 });
  await client.invocations.create(CREATE);
  const { app_name: _app, ...noApp } = CREATE;
  const { action_name: _action, ...noAction } = CREATE;
  const { version: _version, ...noVersion } = CREATE;
  const cases = [
    [noApp, 'app_name'],
    [noAction, 'action_name'],
    [noVersion, 'version'],
    [{ ...CREATE, app_name: 5 }, 'app_name'],
    [{ ...CREATE, app_name: '' }, 'app_name'],
    [{ ...CREATE, app_name: null }, 'app_name'],
    [{ ...CREATE, action_name: '' }, 'action_name'],
    [{ ...CREATE, version: 1 }, 'version'],
    [{ ...CREATE, async: 'yes' }, 'async'],
    [{ ...CREATE, async: 1 }, 'async'],
    [{ ...CREATE, async_timeout_seconds: 5 }, 'async_timeout_seconds'],
    [{ ...CREATE, async_timeout_seconds: 9 }, 'async_timeout_seconds'],
    [{ ...CREATE, async_timeout_seconds: 3601 }, 'async_timeout_seconds'],
    [{ ...CREATE, async_timeout_seconds: 1.5 }, 'async_timeout_seconds'],
    [{ ...CREATE, async_timeout_seconds: -10 }, 'async_timeout_seconds'],
    [{ ...CREATE, async_timeout_seconds: NaN }, 'async_timeout_seconds'],
    [{ ...CREATE, async_timeout_seconds: '60' }, 'async_timeout_seconds'],
    [{ ...CREATE, payload: {} }, 'payload'],
    [{ ...CREATE, payload: 5 }, 'payload'],
    [{ ...CREATE, appName: 'x' }, 'appName'],
    [{ ...CREATE, status: 'running' }, 'status'],
  ];
  for (const [params, field] of cases) {
    await expectInvalid(emu, `create(${JSON.stringify(params)})`, () => client.invocations.create(params), field);
  }
  for (const params of [undefined, null, 'x', 5, [], [CREATE]]) {
    await expectInvalid(emu, `create(${JSON.stringify(params)})`, () => client.invocations.create(params), 'params');
  }
  assert.equal(await storedCount(emu), 1, 'a bad create reached the store');
});

test('retrieve: the stored invocation; a bad id sends nothing; an unknown id is a NotFoundError', async (t) => {
  const emu = await emulator(t);
  const client = clientFor(emu, { maxRetries: 0 });
  const { id } = await createInvocation(emu, { payload: '{"a":[1]}' });
  const got = await client.invocations.retrieve(id);
  assert.deepEqual(got, await storedInvocation(emu, id));
  assert.equal(got.id, id);
  assert.equal(got.app_name, 'my-app');
  assert.equal(got.action_name, 'analyze');
  assert.equal(got.version, '1.0.0');
  assert.equal(got.payload, '{"a":[1]}');
  assert.equal(got.status, 'running');
  assert.equal(got.finished_at, null);
  assert.match(got.started_at, RFC3339_NANOS);

  for (const bad of ['', 5, undefined, null, { id }, [id]]) {
    await expectInvalid(emu, `retrieve(${JSON.stringify(bad)})`, () => client.invocations.retrieve(bad), 'id');
  }
  const err = await rejection(client.invocations.retrieve('no-such-invocation'));
  assert.ok(err instanceof NotFoundError, String(err));
  assert.equal(err.status, 404);
  assert.equal(err.error.code, 'not_found');
});

test('update: quick check through the whole resource (covered in depth elsewhere)', async (t) => {
  const emu = await emulator(t);
  const client = clientFor(emu, { maxRetries: 0 });
  const created = await client.invocations.create(CREATE);
  const updated = await client.invocations.update(created.id, { status: 'failed', output: '{"e":1}' });
  assert.equal(updated.id, created.id);
  assert.equal(updated.status, 'failed');
  assert.equal(updated.output, '{"e":1}');
  assert.match(updated.finished_at, RFC3339_NANOS);
  assert.deepEqual(await client.invocations.retrieve(created.id), updated);
  await expectInvalid(emu, 'update bad status', () => client.invocations.update(created.id, { status: 'done' }), 'status');
  const err = await rejection(client.invocations.update('nope', { status: 'failed' }));
  assert.ok(err instanceof NotFoundError, String(err));
});

test('list: filters, newest first, limit and offset', async (t) => {
  const emu = await emulator(t);
  const client = clientFor(emu, { maxRetries: 0 });
  const a1 = await client.invocations.create({ app_name: 'alpha', action_name: 'run', version: '1' });
  const a2 = await client.invocations.create({ app_name: 'alpha', action_name: 'stop', version: '2' });
  const b1 = await client.invocations.create({ app_name: 'beta', action_name: 'run', version: '1', async: true });
  await client.invocations.update(a1.id, { status: 'succeeded' });

  const ids = (page) => page.items.map((inv) => inv.id);
  const all = await client.invocations.list();
  assert.deepEqual(ids(all), [b1.id, a2.id, a1.id], 'newest first');
  assert.equal(all.items[2].status, 'succeeded');
  assert.equal(all.items[0].app_name, 'beta');
  assert.equal(all.has_more, false);
  assert.equal(all.next_offset, 0);
  assert.deepEqual(ids(await client.invocations.list({})), ids(all));
  assert.deepEqual(ids(await client.invocations.list(null)), ids(all));

  assert.deepEqual(ids(await client.invocations.list({ app_name: 'alpha' })), [a2.id, a1.id]);
  assert.deepEqual(ids(await client.invocations.list({ action_name: 'run' })), [b1.id, a1.id]);
  assert.deepEqual(ids(await client.invocations.list({ status: 'succeeded' })), [a1.id]);
  assert.deepEqual(ids(await client.invocations.list({ status: 'queued' })), [b1.id]);
  assert.deepEqual(ids(await client.invocations.list({ status: 'running' })), [a2.id]);
  assert.deepEqual(ids(await client.invocations.list({ status: 'failed' })), []);
  assert.deepEqual(ids(await client.invocations.list({ version: '2' })), [a2.id]);
  assert.deepEqual(ids(await client.invocations.list({ deployment_id: 'dep_1' })), []);
  assert.deepEqual(ids(await client.invocations.list({ since: '5m' })), ids(all));
  assert.deepEqual(ids(await client.invocations.list({ since: '2999-01-01T00:00:00Z' })), []);
  assert.deepEqual(ids(await client.invocations.list({ query: a2.id.slice(3, 15) })), [a2.id]);
  assert.deepEqual(ids(await client.invocations.list({ query: 'bet' })), [b1.id]);
  assert.deepEqual(ids(await client.invocations.list({ app_name: 'alpha', action_name: 'run', version: '1' })), [a1.id]);
  assert.deepEqual(ids(await client.invocations.list({ app_name: undefined, status: undefined })), ids(all));

  const first = await client.invocations.list({ limit: 2 });
  assert.deepEqual(ids(first), [b1.id, a2.id]);
  assert.equal(first.has_more, true);
  assert.equal(first.next_offset, 2);
  const second = await client.invocations.list({ limit: 2, offset: 2 });
  assert.deepEqual(ids(second), [a1.id]);
  assert.equal(second.has_more, false);
  assert.deepEqual(ids(await client.invocations.list({ offset: 3 })), []);
  assert.deepEqual(ids(await client.invocations.list({ limit: 100 })), ids(all));
});

test('list: bad params reject with a KernelError naming the field and send nothing', async (t) => {
  const emu = await emulator(t);
  const client = clientFor(emu, { maxRetries: 0 });
  const cases = [
    [{ status: 'done' }, 'status'],
    [{ status: 'RUNNING' }, 'status'],
    [{ status: 1 }, 'status'],
    [{ limit: 0 }, 'limit'],
    [{ limit: -1 }, 'limit'],
    [{ limit: 'x' }, 'limit'],
    [{ limit: 2.5 }, 'limit'],
    [{ limit: NaN }, 'limit'],
    [{ limit: Infinity }, 'limit'],
    [{ offset: 1.5 }, 'offset'],
    [{ offset: -1 }, 'offset'],
    [{ offset: '20' }, 'offset'],
    [{ app_name: 5 }, 'app_name'],
    [{ action_name: true }, 'action_name'],
    [{ version: 1 }, 'version'],
    [{ deployment_id: {} }, 'deployment_id'],
    [{ since: 5 }, 'since'],
    [{ query: ['a'] }, 'query'],
    [{ app: 'x' }, 'app'],
    [{ page: 2 }, 'page'],
  ];
  for (const [params, field] of cases) {
    await expectInvalid(emu, `list(${JSON.stringify(params)})`, () => client.invocations.list(params), field);
  }
  for (const params of ['x', 5, [], true]) {
    await expectInvalid(emu, `list(${JSON.stringify(params)})`, () => client.invocations.list(params), 'params');
  }
});

test('follow: opens on the current state; bad input sends nothing; unknown id is a NotFoundError', async (t) => {
  const emu = await emulator(t);
  const client = clientFor(emu, { maxRetries: 0 });
  const { id } = await createInvocation(emu);
  const stream = await client.invocations.follow(id, { since: '5m' });
  for await (const event of stream) {
    assert.equal(event.event, 'invocation_state');
    assert.equal(event.invocation.id, id);
    assert.equal(event.invocation.status, 'running');
    assert.equal(typeof event.timestamp, 'string');
    break;
  }
  for (const bad of ['', 5, undefined, null, {}]) {
    await expectInvalid(emu, `follow(${JSON.stringify(bad)})`, () => client.invocations.follow(bad), 'id');
  }
  const badParams = [
    [{ since: 5 }, 'since'],
    [{ since: {} }, 'since'],
    [{ until: 'x' }, 'until'],
    ['5m', 'params'],
    [[], 'params'],
  ];
  for (const [params, field] of badParams) {
    await expectInvalid(emu, `follow(id, ${JSON.stringify(params)})`, () => client.invocations.follow(id, params), field);
  }
  const err = await rejection(client.invocations.follow('no-such-invocation'));
  assert.ok(err instanceof NotFoundError, String(err));
  assert.equal(err.status, 404);
});

test('listBrowsers: { browsers: [] }; deleteBrowsers: undefined; bad ids; 404s', async (t) => {
  const emu = await emulator(t);
  const client = clientFor(emu, { maxRetries: 0 });
  const { id } = await createInvocation(emu);
  assert.deepEqual(await client.invocations.listBrowsers(id), { browsers: [] });
  assert.equal(await client.invocations.deleteBrowsers(id), undefined);
  for (const method of ['listBrowsers', 'deleteBrowsers']) {
    for (const bad of ['', 5, undefined, null, { id }]) {
      await expectInvalid(emu, `${method}(${JSON.stringify(bad)})`, () => client.invocations[method](bad), 'id');
    }
    const err = await rejection(client.invocations[method]('no-such-invocation'));
    assert.ok(err instanceof NotFoundError, `${method}: ${err}`);
    assert.equal(err.status, 404);
  }
  // Deleting browsers leaves the invocation alone.
  assert.equal((await storedInvocation(emu, id)).status, 'running');
});

/** One call of every method with `options`, on the invocation `id`. */
function everyMethod(client, id) {
  return {
    create: (options) => client.invocations.create(CREATE, options),
    retrieve: (options) => client.invocations.retrieve(id, options),
    update: (options) => client.invocations.update(id, { status: 'succeeded' }, options),
    list: (options) => client.invocations.list({ limit: 1 }, options),
    follow: (options) => client.invocations.follow(id, {}, options),
    listBrowsers: (options) => client.invocations.listBrowsers(id, options),
    deleteBrowsers: (options) => client.invocations.deleteBrowsers(id, options),
  };
}

test('every method: bad options reject with a KernelError naming the option and send nothing', async (t) => {
  const emu = await emulator(t);
  const client = clientFor(emu, { maxRetries: 0 });
  const { id } = await createInvocation(emu);
  const badOptions = [
    ['x', 'options'],
    [[], 'options'],
    [{ timeout: 'x' }, 'timeout'],
    [{ timeout: -1 }, 'timeout'],
    [{ timeout: NaN }, 'timeout'],
    [{ maxRetries: '2' }, 'maxRetries'],
    [{ maxRetries: -1 }, 'maxRetries'],
    [{ maxRetries: 1.5 }, 'maxRetries'],
    [{ headers: 5 }, 'headers'],
    [{ headers: { 'x-a': 5 } }, 'headers'],
    [{ signal: {} }, 'signal'],
    [{ signal: 'abort' }, 'signal'],
    [{ retries: 1 }, 'retries'],
  ];
  for (const [method, call] of Object.entries(everyMethod(client, id))) {
    for (const [options, field] of badOptions) {
      await expectInvalid(emu, `${method} with options ${JSON.stringify(options)}`, () => call(options), field);
    }
  }
  assert.equal((await storedInvocation(emu, id)).status, 'running', 'the update was sent');
  assert.equal(await storedCount(emu), 1, 'a create was sent');
});

test('every method: an already-aborted signal rejects with APIUserAbortError and sends nothing', async (t) => {
  const emu = await emulator(t);
  const client = clientFor(emu, { maxRetries: 0 });
  const { id } = await createInvocation(emu);
  for (const [method, call] of Object.entries(everyMethod(client, id))) {
    const signals = [AbortSignal.abort(), AbortSignal.abort(new Error('reason'))];
    for (const signal of signals) {
      await expectAbortedBeforeSending(emu, method, () => call({ signal }));
    }
  }
  assert.equal((await storedInvocation(emu, id)).status, 'running');
  assert.equal(await storedCount(emu), 1);
});

test('every method: valid options (timeout, maxRetries, headers, signal) are accepted', async (t) => {
  const emu = await emulator(t);
  const client = clientFor(emu);
  const { id } = await createInvocation(emu);
  const options = () => ({
    timeout: 2000,
    maxRetries: 1,
    headers: { 'x-trace': 'abc', 'x-removed': null },
    signal: new AbortController().signal,
  });
  const calls = everyMethod(client, id);
  for (const method of ['create', 'retrieve', 'list', 'listBrowsers', 'deleteBrowsers', 'update']) {
    // One 503 first: maxRetries 1 from the options must absorb it.
    emu.fault({ status: 503, headers: { 'retry-after-ms': '1' } });
    const result = await calls[method](options());
    if (method === 'deleteBrowsers') assert.equal(result, undefined);
    else assert.ok(result && typeof result === 'object', method);
  }
  const created = await client.invocations.create(CREATE, { headers: new Headers({ 'x-a': 'b' }) });
  const stream = await calls.follow(options());
  for await (const event of stream) {
    assert.equal(event.event, 'invocation_state');
    break;
  }
  assert.ok(created.id);
  // maxRetries 0 in the options beats the client's 2.
  emu.fault({ status: 503, headers: { 'retry-after-ms': '1' } });
  const err = await rejection(client.invocations.retrieve(id, { maxRetries: 0 }));
  assert.ok(err instanceof APIError && err.status === 503, String(err));
  assert.ok(err instanceof KernelError);
});
