'use strict';
// Process behaviour, in child processes: they exit by themselves, stay lean, work in worker
// threads, and survive a Rust panic.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { runChild: runChildProcess } = require('./helpers/child');

const { API_KEY, sendJson, invocation, startServer, startRawServer } = require('./helpers/server');

/** Generous: a child that hangs is killed after this and the test fails. */
const EXIT_BUDGET_MS = 5000;

/** A child with the test API key in its environment. */
function runChild(code, { env = {}, args = [], budget = EXIT_BUDGET_MS } = {}) {
  return runChildProcess(code, { env: { KERNEL_API_KEY: API_KEY, ...env }, args, budget });
}

function assertCleanExit(result, what) {
  assert.equal(result.killed, false, `${what}: still running after ${EXIT_BUDGET_MS} ms\nstderr: ${result.stderr}`);
  assert.equal(result.signal, null, `${what}: killed by ${result.signal}\nstderr: ${result.stderr}`);
  assert.equal(result.code, 0, `${what}: exit code ${result.code}\nstderr: ${result.stderr}`);
}

/** A server whose keep-alive outlives the budget, so only the client can end the connection. */
async function longKeepAliveServer(handler) {
  const server = await startServer(handler);
  server.server.keepAliveTimeout = 60_000;
  return server;
}

test('a process that makes one successful call exits by itself', async () => {
  const server = await longKeepAliveServer();
  try {
    const result = await runChild(
      `
      const Kernel = require('kernel-native');
      const kernel = new Kernel({ baseURL: process.env.URL });
      kernel.invocations.update('child-1', { status: 'succeeded' }).then((inv) => {
        console.log(JSON.stringify({ id: inv.id }));
      });
      `,
      { env: { URL: server.url } },
    );
    assertCleanExit(result, 'successful call');
    assert.deepEqual(JSON.parse(result.stdout), { id: 'child-1' });
    assert.equal(server.requests.length, 1);
  } finally {
    await server.close();
  }
});

test('a process whose call fails with an API error exits by itself', async () => {
  const server = await longKeepAliveServer((req, res) => sendJson(res, 404, { message: 'nope' }));
  try {
    const result = await runChild(
      `
      const { Kernel, NotFoundError } = require('kernel-native');
      const kernel = new Kernel({ baseURL: process.env.URL });
      kernel.invocations.update('x', { status: 'failed' }).catch((err) => {
        console.log(JSON.stringify({ notFound: err instanceof NotFoundError, status: err.status }));
      });
      `,
      { env: { URL: server.url } },
    );
    assertCleanExit(result, 'failed call');
    assert.deepEqual(JSON.parse(result.stdout), { notFound: true, status: 404 });
  } finally {
    await server.close();
  }
});

test('a process whose call was aborted or timed out exits by itself', async () => {
  const server = await startRawServer(() => {});
  try {
    const result = await runChild(
      `
      const { Kernel, APIUserAbortError, APIConnectionTimeoutError } = require('kernel-native');
      const kernel = new Kernel({ baseURL: process.env.URL, maxRetries: 0 });
      const controller = new AbortController();
      const aborted = kernel.invocations.update('a', { status: 'succeeded' }, { signal: controller.signal });
      setTimeout(() => controller.abort(), 100);
      const timedOut = kernel.invocations.update('b', { status: 'succeeded' }, { timeout: 150 });
      Promise.allSettled([aborted, timedOut]).then(([a, t]) => {
        console.log(JSON.stringify({
          aborted: a.reason instanceof APIUserAbortError,
          timedOut: t.reason instanceof APIConnectionTimeoutError,
        }));
      });
      `,
      { env: { URL: server.url } },
    );
    assertCleanExit(result, 'aborted call');
    assert.deepEqual(JSON.parse(result.stdout), { aborted: true, timedOut: true });
  } finally {
    await server.close();
  }
});

test('a process that only creates a client, or loads the package, exits by itself', async () => {
  const result = await runChild(`
    const Kernel = require('kernel-native');
    new Kernel({ baseURL: 'http://127.0.0.1:9' });
    import('kernel-native').then((m) => console.log(typeof m.default));
  `);
  assertCleanExit(result, 'no call');
  assert.equal(result.stdout.trim(), 'function');
});

test('5000 clients do not grow memory much', async () => {
  const result = await runChild(
    `
    const Kernel = require('kernel-native');
    const make = () => new Kernel({ baseURL: 'http://127.0.0.1:9', defaultHeaders: { 'x-a': 'b' } });
    make(); // loads the addon and sets up the shared transport
    global.gc();
    const before = process.memoryUsage().rss;
    const clients = [];
    for (let i = 0; i < 5000; i++) clients.push(make());
    global.gc();
    const held = process.memoryUsage().rss;
    clients.length = 0;
    global.gc();
    console.log(JSON.stringify({ before, held, count: 5000 }));
    `,
    { args: ['--expose-gc'], budget: 30_000 },
  );
  assertCleanExit(result, '5000 clients');
  const { before, held } = JSON.parse(result.stdout);
  const growthMB = (held - before) / (1024 * 1024);
  assert.ok(growthMB < 60, `RSS grew by ${growthMB.toFixed(1)} MB for 5000 clients`);
});

test('two worker threads can each make calls and post the results', async () => {
  const server = await longKeepAliveServer();
  try {
    const result = await runChild(
      `
      const { Worker } = require('node:worker_threads');
      const workerCode = \`
        const { parentPort, workerData } = require('node:worker_threads');
        const Kernel = require(workerData.root);
        const kernel = new Kernel({ baseURL: workerData.url });
        Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            kernel.invocations.update(workerData.name + '-' + i, { status: 'succeeded' }),
          ),
        ).then((results) => parentPort.postMessage(results.map((r) => r.id)));
      \`;
      const run = (name) =>
        new Promise((resolve, reject) => {
          const worker = new Worker(workerCode, {
            eval: true,
            workerData: { name, url: process.env.URL, root: process.cwd() },
          });
          let ids;
          worker.on('message', (message) => (ids = message));
          worker.on('error', reject);
          worker.on('exit', (code) => resolve({ name, code, ids }));
        });
      Promise.all([run('w1'), run('w2')]).then((results) => console.log(JSON.stringify(results)));
      `,
      { env: { URL: server.url } },
    );
    assertCleanExit(result, 'workers');
    const results = JSON.parse(result.stdout);
    assert.equal(results.length, 2);
    for (const { name, code, ids } of results) {
      assert.equal(code, 0, `${name} exit code`);
      assert.deepEqual(
        ids,
        Array.from({ length: 10 }, (_, i) => `${name}-${i}`),
      );
    }
    assert.equal(server.requests.length, 20);
  } finally {
    await server.close();
  }
});

test('terminating a worker with a call in flight does not hurt the process', async () => {
  let arrived = 0;
  const stalled = await startRawServer(() => {
    arrived++;
  });
  const server = await longKeepAliveServer();
  try {
    const result = await runChild(
      `
      const { Worker } = require('node:worker_threads');
      const Kernel = require('kernel-native');
      const worker = new Worker(\`
        const { parentPort, workerData } = require('node:worker_threads');
        const Kernel = require(workerData.root);
        const kernel = new Kernel({ baseURL: workerData.url, maxRetries: 0 });
        kernel.invocations.update('stuck', { status: 'succeeded' });
        parentPort.postMessage('started');
      \`, { eval: true, workerData: { url: process.env.STALLED, root: process.cwd() } });
      worker.on('message', () => setTimeout(() => worker.terminate(), 200));
      worker.on('exit', async (code) => {
        const kernel = new Kernel({ baseURL: process.env.URL });
        const inv = await kernel.invocations.update('after', { status: 'succeeded' });
        console.log(JSON.stringify({ workerExit: code, id: inv.id }));
      });
      `,
      { env: { URL: server.url, STALLED: stalled.url } },
    );
    assertCleanExit(result, 'terminated worker');
    assert.deepEqual(JSON.parse(result.stdout), { workerExit: 1, id: 'after' });
    assert.equal(arrived, 1);
  } finally {
    await server.close();
    await stalled.close();
  }
});

test('a Rust panic becomes an error, and the process stays healthy', async () => {
  const server = await longKeepAliveServer((req, res) => sendJson(res, 200, invocation({ id: 'healthy' })));
  try {
    const result = await runChild(
      `
      const binding = require('./lib/native.js');
      const Kernel = require('kernel-native');
      (async () => {
        const out = {};
        try {
          await binding.__panicForTests(true);
          out.async = 'resolved';
        } catch (err) {
          out.async = err instanceof Error ? 'Error' : typeof err;
        }
        try {
          const value = binding.__panicForTests(false);
          out.sync = 'returned';
          await value;
        } catch (err) {
          out.sync = out.sync === 'returned' ? 'rejected' : err instanceof Error ? 'Error' : typeof err;
        }
        // Twice more, to be sure the first panics left nothing broken.
        out.again = await binding.__panicForTests(true).then(() => 'resolved', (e) => e instanceof Error);
        const kernel = new Kernel({ baseURL: process.env.URL });
        out.id = (await kernel.invocations.update('healthy', { status: 'succeeded' })).id;
        console.log(JSON.stringify(out));
      })();
      `,
      { env: { URL: server.url, RUST_BACKTRACE: '0' } },
    );
    assertCleanExit(result, 'panics');
    assert.deepEqual(JSON.parse(result.stdout), { async: 'Error', sync: 'Error', again: true, id: 'healthy' });
  } finally {
    await server.close();
  }
});

test('a Rust panic in this process is contained too', async () => {
  const binding = require('../lib/native.js');
  await assert.rejects(binding.__panicForTests(true), (err) => err instanceof Error);
  assert.throws(() => binding.__panicForTests(false), (err) => err instanceof Error);
  const server = await startServer();
  try {
    const Kernel = require('kernel-native');
    const inv = await new Kernel({ apiKey: API_KEY, baseURL: server.url }).invocations.update('ok', {
      status: 'succeeded',
    });
    assert.equal(inv.id, 'ok');
  } finally {
    await server.close();
  }
});
