'use strict';
// client.withOptions(): a new Kernel with some options replaced; the original is unchanged,
// the API key is kept, and both clients work side by side.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const util = require('node:util');

const Kernel = require('kernel-native');
const { startEmulator } = require('kernel-native/emulator');
const { KernelError, APIConnectionTimeoutError, InternalServerError, AuthenticationError } = Kernel;
const { EMU_KEY, emulator, clientFor } = require('./helpers/emulator');
const { API_KEY, startServer, rejection, thrown } = require('./helpers/server');
const { restoreEnvAfter } = require('./helpers/child');

const CREATE = { app_name: 'my-app', action_name: 'analyze', version: '1.0.0' };

test('withOptions returns a new Kernel with the overrides; the original is unchanged', async (t) => {
  const emu = await emulator(t);
  const original = clientFor(emu, { timeout: 10_000, maxRetries: 3 });
  const derived = original.withOptions({ timeout: 1234, maxRetries: 0 });
  assert.ok(derived instanceof Kernel);
  assert.notEqual(derived, original);
  assert.notEqual(derived.invocations, original.invocations);
  assert.equal(derived.timeout, 1234);
  assert.equal(derived.maxRetries, 0);
  assert.equal(derived.baseURL, emu.url);
  assert.equal(derived.apiKey, emu.apiKey);
  assert.equal(original.timeout, 10_000);
  assert.equal(original.maxRetries, 3);
  assert.equal(original.baseURL, emu.url);

  const copy = original.withOptions({});
  assert.ok(copy instanceof Kernel);
  assert.equal(copy.timeout, 10_000);
  assert.equal(copy.maxRetries, 3);
  assert.equal(copy.apiKey, emu.apiKey);

  // Chained overrides build on the derived client, not the original.
  const chained = derived.withOptions({ maxRetries: 5 });
  assert.equal(chained.timeout, 1234);
  assert.equal(chained.maxRetries, 5);
  assert.equal(derived.maxRetries, 0);

  // The key stays hidden on the new client too.
  assert.ok(!util.inspect(derived, { depth: 5, showHidden: true }).includes(emu.apiKey));
  assert.ok(!JSON.stringify(derived).includes(emu.apiKey));

  // Both work.
  const [a, b] = await Promise.all([original.invocations.create(CREATE), derived.invocations.create(CREATE)]);
  assert.equal(a.status, 'running');
  assert.equal(b.status, 'running');
});

test('the overridden maxRetries and timeout apply to the new client only', async (t) => {
  const emu = await emulator(t);
  const original = clientFor(emu, { maxRetries: 2 });
  const strict = original.withOptions({ maxRetries: 0 });
  const { id } = await original.invocations.create(CREATE);

  emu.fault({ status: 503, headers: { 'retry-after-ms': '1' } });
  const err = await rejection(strict.invocations.retrieve(id));
  assert.ok(err instanceof InternalServerError && err.status === 503, String(err));
  emu.fault({ status: 503, headers: { 'retry-after-ms': '1' } });
  assert.equal((await original.invocations.retrieve(id)).id, id, 'the original still retries');

  const hasty = original.withOptions({ timeout: 100, maxRetries: 0 });
  emu.fault({ delayMs: 1000 });
  const timedOut = await rejection(hasty.invocations.retrieve(id));
  assert.ok(timedOut instanceof APIConnectionTimeoutError, String(timedOut));
  // The original's default timeout is unchanged: a short delay is waited out.
  emu.fault({ delayMs: 150 });
  assert.equal((await original.invocations.retrieve(id)).id, id);
});

test('the overridden baseURL: both clients work against two emulators at the same time; the key is kept', async (t) => {
  const one = await emulator(t);
  const two = await startEmulator({ apiKey: EMU_KEY });
  t.after(() => two.close());
  const first = clientFor(one);
  const second = first.withOptions({ baseURL: two.url });
  assert.equal(second.baseURL, two.url);
  assert.equal(first.baseURL, one.url);
  assert.equal(second.apiKey, first.apiKey);

  const creates = [];
  for (let i = 0; i < 5; i++) {
    creates.push(first.invocations.create({ ...CREATE, app_name: 'one' }));
    creates.push(second.invocations.create({ ...CREATE, app_name: 'two' }));
  }
  await Promise.all(creates);
  const [onPage, twoPage] = await Promise.all([first.invocations.list(), second.invocations.list()]);
  assert.deepEqual(
    onPage.items.map((inv) => inv.app_name),
    Array(5).fill('one'),
  );
  assert.deepEqual(
    twoPage.items.map((inv) => inv.app_name),
    Array(5).fill('two'),
  );
});

test('the key read from KERNEL_API_KEY is kept even after the environment changes', async (t) => {
  const emu = await emulator(t);
  restoreEnvAfter(t, 'KERNEL_API_KEY');
  process.env.KERNEL_API_KEY = emu.apiKey;
  const fromEnv = new Kernel({ baseURL: emu.url });
  process.env.KERNEL_API_KEY = 'sk-some-other-key';
  const derived = fromEnv.withOptions({ timeout: 5000 });
  assert.equal(derived.apiKey, emu.apiKey);
  assert.equal((await derived.invocations.create(CREATE)).status, 'running');

  // An explicit apiKey override is used by the new client only.
  const wrongKey = fromEnv.withOptions({ apiKey: 'sk-wrong', maxRetries: 0 });
  assert.equal(wrongKey.apiKey, 'sk-wrong');
  assert.ok((await rejection(wrongKey.invocations.list())) instanceof AuthenticationError);
  assert.equal((await fromEnv.invocations.list()).items.length, 1);
});

test('defaultHeaders and projectID overrides are sent by the new client only', async () => {
  const server = await startServer();
  try {
    const original = new Kernel({
      apiKey: API_KEY,
      baseURL: server.url,
      defaultHeaders: { 'x-origin': 'original' },
      projectID: 'proj_1',
    });
    const derived = original.withOptions({ defaultHeaders: { 'x-origin': 'derived', 'x-extra': '1' } });
    const other = original.withOptions({ projectID: 'proj_2' });
    await original.invocations.retrieve('a');
    await derived.invocations.retrieve('b');
    await other.invocations.retrieve('c');
    await original.invocations.retrieve('d');
    const [a, b, c, d] = server.requests.map((r) => r.headers);
    assert.equal(a['x-origin'], 'original');
    assert.equal(a['x-kernel-project-id'], 'proj_1');
    assert.equal(b['x-origin'], 'derived');
    assert.equal(b['x-extra'], '1');
    assert.equal(b['x-kernel-project-id'], 'proj_1');
    assert.equal(c['x-origin'], 'original');
    assert.equal(c['x-kernel-project-id'], 'proj_2');
    assert.equal(d['x-origin'], 'original');
    assert.equal(d['x-extra'], undefined);
    for (const headers of [a, b, c, d]) assert.equal(headers.authorization, `Bearer ${API_KEY}`);
  } finally {
    await server.close();
  }
});

test('withOptions keeps the logger and level; a subclass stays a subclass', async (t) => {
  const emu = await emulator(t);
  const lines = [];
  const logger = {
    debug: (message) => lines.push(['debug', message]),
    info: (message) => lines.push(['info', message]),
    warn: (message) => lines.push(['warn', message]),
    error: (message) => lines.push(['error', message]),
  };
  const original = clientFor(emu, { logLevel: 'debug', logger });
  const derived = original.withOptions({ timeout: 5000 });
  assert.equal(derived.logger, logger);
  assert.equal(derived.logLevel, 'debug');
  await derived.invocations.list();
  assert.ok(lines.some(([level, message]) => level === 'debug' && message.includes('GET')), JSON.stringify(lines));
  const quiet = original.withOptions({ logLevel: 'off' });
  assert.equal(quiet.logLevel, 'off');
  const before = lines.length;
  await quiet.invocations.list();
  assert.equal(lines.length, before);

  class MyKernel extends Kernel {}
  const mine = new MyKernel({ baseURL: emu.url, apiKey: emu.apiKey });
  const mineDerived = mine.withOptions({ maxRetries: 1 });
  assert.ok(mineDerived instanceof MyKernel);
  assert.equal((await mineDerived.invocations.list()).items.length, 0);
});

test('environment override drops the inherited baseURL; bad overrides throw a KernelError', () => {
  const original = new Kernel({ apiKey: API_KEY, baseURL: 'http://127.0.0.1:9/v1' });
  const dev = original.withOptions({ environment: 'development' });
  assert.equal(dev.baseURL, 'https://localhost:3001/');
  assert.equal(original.baseURL, 'http://127.0.0.1:9/v1');
  assert.equal(original.withOptions({ baseURL: 'http://127.0.0.1:8/' }).baseURL, 'http://127.0.0.1:8/');

  for (const [options, field] of [
    ['x', 'options'],
    [[], 'options'],
    [{ bogus: 1 }, 'bogus'],
    [{ timeout: 'x' }, 'timeout'],
    [{ timeout: -5 }, 'timeout'],
    [{ maxRetries: 1.5 }, 'maxRetries'],
    [{ defaultHeaders: 5 }, 'defaultHeaders'],
    [{ logLevel: 'loud' }, 'logLevel'],
    [{ logger: {} }, 'logger'],
    [{ apiKey: '' }, 'apiKey'],
    [{ apiKey: 5 }, 'apiKey'],
    [{ environment: 'staging' }, 'environment'],
    [{ environment: 'development', baseURL: 'http://127.0.0.1:1' }, 'environment'],
  ]) {
    const err = thrown(() => original.withOptions(options));
    assert.ok(err instanceof KernelError, `${JSON.stringify(options)}: ${err}`);
    assert.ok(
      err.message.toLowerCase().includes(field.toLowerCase()),
      `${JSON.stringify(options)}: ${JSON.stringify(err.message)} should name ${field}`,
    );
  }
  // A failed override leaves the original usable and unchanged.
  assert.equal(original.baseURL, 'http://127.0.0.1:9/v1');
  assert.equal(original.timeout, Kernel.DEFAULT_TIMEOUT);
});
