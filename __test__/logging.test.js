'use strict';
// logLevel / logger / KERNEL_LOG: what each level logs, that credentials never reach a log
// line, and construction-time checks. Process-wide behaviour runs in child processes.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const util = require('node:util');
const { runChild: runChildProcess, restoreEnvAfter } = require('./helpers/child');

const Kernel = require('kernel-native');
const { KernelError, NotFoundError } = Kernel;
const { emulator, clientFor, createInvocation } = require('./helpers/emulator');
const { API_KEY, startServer, closedPort, rejection, thrown } = require('./helpers/server');

const CREATE = { app_name: 'my-app', action_name: 'analyze', version: '1.0.0' };

/** A logger that records every call as { level, args }. */
function recordingLogger() {
  const records = [];
  const logger = {};
  for (const level of ['debug', 'info', 'warn', 'error']) logger[level] = (...args) => records.push({ level, args });
  return { logger, records, text: () => records.map((r) => util.inspect(r.args, { depth: 10 })).join('\n') };
}

/** The calls of every method on invocation `id` (update last: it ends the invocation). */
function everyCall(client, id) {
  return [
    ['POST', '/invocations', () => client.invocations.create(CREATE)],
    ['GET', `/invocations/${id}`, () => client.invocations.retrieve(id)],
    ['GET', '/invocations', () => client.invocations.list({ limit: 1 })],
    ['GET', `/invocations/${id}/browsers`, () => client.invocations.listBrowsers(id)],
    ['DELETE', `/invocations/${id}/browsers`, () => client.invocations.deleteBrowsers(id)],
    [
      'GET',
      `/invocations/${id}/events`,
      async () => {
        const stream = await client.invocations.follow(id);
        stream.controller.abort();
      },
    ],
    ['PATCH', `/invocations/${id}`, () => client.invocations.update(id, { status: 'succeeded' })],
  ];
}

test("'debug': every call logs a request line and then a response line", async (t) => {
  const emu = await emulator(t);
  const { id } = await createInvocation(emu);
  const { logger, records } = recordingLogger();
  const client = clientFor(emu, { logLevel: 'debug', logger });
  assert.equal(client.logLevel, 'debug');
  assert.equal(client.logger, logger);
  for (const [method, path, call] of everyCall(client, id)) {
    records.length = 0;
    await call();
    const what = `${method} ${path}`;
    assert.ok(records.length >= 2, `${what}: ${JSON.stringify(records)}`);
    for (const record of records) {
      assert.equal(record.level, 'debug', `${what}: ${JSON.stringify(record)}`);
      assert.equal(typeof record.args[0], 'string');
      assert.ok(record.args[0].includes(`${method} ${emu.url}${path}`), `${what}: ${record.args[0]}`);
    }
    const requestLine = records.findIndex((r) => /request/i.test(r.args[0]));
    const expectedStatus = method === 'DELETE' ? '204' : '200';
    // `status 200`, not just `200`: the port, the log id or the invocation id can hold "200".
    const responseLine = records.findIndex((r) => r.args[0].includes(`status ${expectedStatus}`));
    assert.ok(requestLine !== -1, `${what}: no request line in ${JSON.stringify(records)}`);
    assert.ok(responseLine > requestLine, `${what}: no response line after the request line in ${JSON.stringify(records)}`);
  }
});

test("'debug': a failed call logs its request and its failure", async (t) => {
  const emu = await emulator(t);
  const { logger, records } = recordingLogger();
  const client = clientFor(emu, { logLevel: 'debug', logger, maxRetries: 0 });
  assert.ok((await rejection(client.invocations.retrieve('missing'))) instanceof NotFoundError);
  const lines = records.map((r) => r.args[0]);
  assert.ok(lines.some((line) => /request/i.test(line) && line.includes('/invocations/missing')), lines.join('\n'));
  assert.ok(lines.some((line) => line.includes('status 404')), lines.join('\n'));
});

test("'info': a retried call logs the retry and no debug lines; a normal call logs nothing", async (t) => {
  const emu = await emulator(t);
  const { id } = await createInvocation(emu);
  const { logger, records } = recordingLogger();
  const client = clientFor(emu, { logLevel: 'info', logger });
  emu.fault({ status: 503, headers: { 'retry-after-ms': '1' } });
  assert.equal((await client.invocations.retrieve(id)).id, id);
  assert.ok(records.length >= 1, 'the retry was not logged');
  assert.ok(
    records.every((r) => r.level === 'info'),
    JSON.stringify(records),
  );
  const retryLine = records.find((r) => /retry/i.test(r.args[0]));
  assert.ok(retryLine, JSON.stringify(records));
  assert.ok(retryLine.args[0].includes('answered 503 '), retryLine.args[0]);
  assert.ok(retryLine.args[0].includes(`/invocations/${id}`), retryLine.args[0]);

  records.length = 0;
  for (const [, , call] of everyCall(client, id)) await call();
  assert.deepEqual(records, [], 'normal calls log nothing at info');
});

test("'warn', 'error' and 'off': nothing is logged for normal or retried calls", async (t) => {
  const emu = await emulator(t);
  for (const logLevel of ['warn', 'error', 'off']) {
    const { id } = await createInvocation(emu);
    const { logger, records } = recordingLogger();
    const client = clientFor(emu, { logLevel, logger });
    assert.equal(client.logLevel, logLevel);
    for (const [, , call] of everyCall(client, id)) await call();
    emu.fault({ status: 503, headers: { 'retry-after-ms': '1' } });
    await client.invocations.retrieve(id);
    assert.deepEqual(records, [], `${logLevel}: ${JSON.stringify(records)}`);
  }
});

test('the default level is warn: nothing logged for normal calls', async (t) => {
  const emu = await emulator(t);
  restoreEnvAfter(t, 'KERNEL_LOG');
  delete process.env.KERNEL_LOG;
  const { logger, records } = recordingLogger();
  const client = clientFor(emu, { logger });
  assert.equal(client.logLevel, 'warn');
  await client.invocations.create(CREATE);
  assert.deepEqual(records, []);
});

test('the API key and the Authorization value never appear in a log line', async (t) => {
  const emu = await emulator(t);
  const { id } = await createInvocation(emu);
  const { logger, records, text } = recordingLogger();
  const client = clientFor(emu, { logLevel: 'debug', logger, defaultHeaders: { 'x-api-key': 'sk-header-secret-42' } });
  for (const [, , call] of everyCall(client, id)) await call();
  emu.fault({ status: 503, headers: { 'retry-after-ms': '1' } });
  await client.invocations.list();
  await rejection(client.invocations.retrieve('missing'));
  const wrongKey = client.withOptions({ apiKey: 'sk-wrong-key-0987654321', maxRetries: 0 });
  await rejection(wrongKey.invocations.list());
  const refused = client.withOptions({ baseURL: `http://127.0.0.1:${await closedPort()}`, maxRetries: 1 });
  await rejection(refused.invocations.list());

  // Per-call Authorization and API-key headers, sent to a bespoke server.
  const server = await startServer();
  try {
    const bespoke = new Kernel({ apiKey: API_KEY, baseURL: server.url, logLevel: 'debug', logger });
    await bespoke.invocations.retrieve('inv_1', { headers: { authorization: 'Bearer sk-per-call-secret-77' } });
    await bespoke.invocations.retrieve('inv_2');
    assert.equal(server.requests[0].headers.authorization, 'Bearer sk-per-call-secret-77');
  } finally {
    await server.close();
  }

  const logged = text();
  assert.ok(records.length > 20, `only ${records.length} records`);
  for (const secret of [emu.apiKey, 'sk-wrong-key-0987654321', API_KEY, 'sk-per-call-secret-77', 'sk-header-secret-42']) {
    assert.ok(!logged.includes(secret), `${secret} was logged:\n${logged}`);
  }
  assert.ok(!/bearer/i.test(logged), `a bearer value was logged:\n${logged}`);
  const authorizationShown = logged.match(/authorization: [^,)\s]*/gi) ?? [];
  assert.ok(authorizationShown.length > 0, 'the debug lines should list the headers, Authorization as ***');
  for (const shown of authorizationShown) assert.equal(shown.toLowerCase(), 'authorization: ***');
});

test('KERNEL_LOG=debug enables debug logging when logLevel is not given; logLevel beats it', async (t) => {
  const emu = await emulator(t);
  restoreEnvAfter(t, 'KERNEL_LOG');
  process.env.KERNEL_LOG = 'debug';
  const fromEnv = recordingLogger();
  const client = clientFor(emu, { logger: fromEnv.logger });
  assert.equal(client.logLevel, 'debug');
  await client.invocations.create(CREATE);
  assert.ok(fromEnv.records.length >= 2, JSON.stringify(fromEnv.records));
  assert.ok(fromEnv.records.every((r) => r.level === 'debug'));

  const explicit = recordingLogger();
  const quiet = clientFor(emu, { logger: explicit.logger, logLevel: 'off' });
  assert.equal(quiet.logLevel, 'off');
  await quiet.invocations.create(CREATE);
  assert.deepEqual(explicit.records, []);

  process.env.KERNEL_LOG = 'info';
  assert.equal(clientFor(emu).logLevel, 'info');
});

test('an invalid logLevel or a logger missing methods throws a KernelError at construction', () => {
  for (const logLevel of ['loud', 'DEBUG', 'warning', '', 5, {}, true]) {
    const err = thrown(() => new Kernel({ apiKey: API_KEY, logLevel }));
    assert.ok(err instanceof KernelError, `${util.inspect(logLevel)}: ${err}`);
    assert.match(err.message, /logLevel/, util.inspect(logLevel));
  }
  const noop = () => {};
  for (const logger of [
    {},
    { debug: noop, info: noop, warn: noop },
    { debug: noop, info: noop, warn: noop, error: 'console.error' },
    { info: noop, warn: noop, error: noop },
    'console',
    5,
    noop,
  ]) {
    const err = thrown(() => new Kernel({ apiKey: API_KEY, logger }));
    assert.ok(err instanceof KernelError, `${util.inspect(logger)}: ${err}`);
    assert.match(err.message, /logger/, util.inspect(logger));
  }
  // A class instance with the four methods on its prototype is a logger.
  class MyLogger {
    debug() {}
    info() {}
    warn() {}
    error() {}
  }
  const logger = new MyLogger();
  assert.equal(new Kernel({ apiKey: API_KEY, logger }).logger, logger);
  assert.equal(new Kernel({ apiKey: API_KEY, logLevel: 'off' }).logger, console);
});

/** A child with KERNEL_LOG cleared unless the test sets it. */
function runChild(code, env = {}) {
  return runChildProcess(code, { env: { KERNEL_LOG: '', ...env }, budget: 4000 });
}

function childResult(result) {
  assert.equal(result.killed, false, `the child hung\nstderr: ${result.stderr}`);
  assert.equal(result.code, 0, `exit code ${result.code}\nstderr: ${result.stderr}`);
  const last = result.stdout.trim().split('\n').at(-1);
  return JSON.parse(last);
}

test('an invalid KERNEL_LOG is warned about exactly once per process, and is not fatal', async () => {
  const code = `
    const Kernel = require('kernel-native');
    const { startEmulator } = require('kernel-native/emulator');
    const warnings = [];
    console.warn = (...args) => warnings.push(['console', args.map(String).join(' ')]);
    const custom = { debug() {}, info() {}, warn: (m) => warnings.push(['custom', String(m)]), error() {} };
    (async () => {
      const emu = await startEmulator();
      const clients = [
        new Kernel({ apiKey: emu.apiKey, baseURL: emu.url }),
        new Kernel({ apiKey: emu.apiKey, baseURL: emu.url }),
        new Kernel({ apiKey: emu.apiKey, baseURL: emu.url, logger: custom }),
      ];
      clients.push(clients[0].withOptions({ timeout: 1000 }));
      const levels = clients.map((c) => c.logLevel);
      const created = await clients[2].invocations.create({ app_name: 'a', action_name: 'b', version: '1' });
      await emu.close();
      console.log(JSON.stringify({ warnings, levels, status: created.status }));
    })();
  `;
  const result = childResult(await runChild(code, { KERNEL_LOG: 'loud' }));
  assert.equal(result.warnings.length, 1, JSON.stringify(result.warnings));
  const [[where, message]] = result.warnings;
  assert.equal(where, 'console', 'the first client (default logger) gets the warning');
  assert.match(message, /KERNEL_LOG/);
  assert.match(message, /loud/);
  assert.deepEqual(result.levels, ['warn', 'warn', 'warn', 'warn']);
  assert.equal(result.status, 'running');
});

test('the default logger is console: debug lines go to console.debug', async () => {
  const code = `
    const Kernel = require('kernel-native');
    const { startEmulator } = require('kernel-native/emulator');
    const calls = { debug: [], info: [], warn: [], error: [], log: [] };
    for (const level of Object.keys(calls)) console[level] = (...args) => calls[level].push(args.map(String).join(' '));
    (async () => {
      const emu = await startEmulator();
      const client = new Kernel({ apiKey: emu.apiKey, baseURL: emu.url, logLevel: 'debug' });
      const isConsole = client.logger === console;
      await client.invocations.create({ app_name: 'a', action_name: 'b', version: '1' });
      const envClient = new Kernel({ apiKey: emu.apiKey, baseURL: emu.url });
      await envClient.invocations.list();
      await emu.close();
      process.stdout.write(JSON.stringify({ isConsole, calls, key: emu.apiKey }) + '\\n');
    })();
  `;
  const result = childResult(await runChild(code));
  assert.equal(result.isConsole, true);
  assert.ok(result.calls.debug.length >= 2, JSON.stringify(result.calls));
  assert.ok(result.calls.debug.every((line) => line.includes('POST')), JSON.stringify(result.calls.debug));
  assert.ok(!result.calls.debug.join('\n').includes(result.key));
  assert.deepEqual([result.calls.info, result.calls.warn, result.calls.error], [[], [], []]);

  // KERNEL_LOG=debug with the default logger, in a fresh process.
  const fromEnv = childResult(await runChild(code, { KERNEL_LOG: 'debug' }));
  assert.ok(
    fromEnv.calls.debug.some((line) => line.includes('GET')),
    `KERNEL_LOG=debug should log the list call: ${JSON.stringify(fromEnv.calls)}`,
  );
});
