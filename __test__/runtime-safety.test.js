'use strict';
// The addon under conditions that crash careless native modules: worker threads terminated
// with calls in flight, clients garbage-collected with calls in flight, and every failure path
// watched for unhandled rejections. Each scenario runs in its own child process, so a crash
// (a signal, an abort, a non-zero exit) is seen instead of taking the test runner down.

const test = require('node:test');
const assert = require('node:assert/strict');

const { runChild } = require('./helpers/child');

/** Runs `code` in a child and asserts it exited 0, without a signal, printing `marker`. */
async function assertHealthy(code, marker, { args = [], budget = 60_000 } = {}) {
  const result = await runChild(code, { args, budget });
  const report = `code=${result.code} signal=${result.signal} killed=${result.killed}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
  assert.equal(result.killed, false, `the child hung:\n${report}`);
  assert.equal(result.signal, null, `the child crashed:\n${report}`);
  assert.equal(result.code, 0, report);
  assert.match(result.stdout, marker, report);
  return result;
}

test('8 worker threads making 1000 calls each, then terminated mid-flight, leave the process healthy', async () => {
  const code = `
    const { Worker, isMainThread, parentPort, workerData } = require('node:worker_threads');
    const { startEmulator } = require('kernel-native/emulator');
    const Kernel = require('kernel-native');

    const workerCode = \`
      const { parentPort, workerData } = require('node:worker_threads');
      const Kernel = require('kernel-native');
      const client = new Kernel({ baseURL: workerData.url, apiKey: workerData.apiKey });
      (async () => {
        const created = await client.invocations.create({ app_name: 'w', action_name: 'a', version: '1' });
        let done = 0;
        let reported = false;
        // 16 loops in flight; they keep going after 1000 so termination lands mid-call.
        const loop = async () => {
          for (;;) {
            const got = await client.invocations.retrieve(created.id);
            if (got.id !== created.id) throw new Error('wrong invocation');
            done++;
            if (done >= 1000 && !reported) { reported = true; parentPort.postMessage(done); }
          }
        };
        await Promise.all(Array.from({ length: 16 }, loop));
      })().catch((err) => parentPort.postMessage('error: ' + err.message));
    \`;

    (async () => {
      const emu = await startEmulator();
      const runs = Array.from({ length: 8 }, () => new Promise((resolve, reject) => {
        const worker = new Worker(workerCode, { eval: true, workerData: { url: emu.url, apiKey: emu.apiKey } });
        worker.on('message', (message) => {
          if (typeof message !== 'number') return reject(new Error(String(message)));
          // Let a few more calls start, then pull the thread down under them.
          setTimeout(() => worker.terminate().then((exitCode) => resolve([message, exitCode]), reject), 2);
        });
        worker.on('error', reject);
      }));
      const results = await Promise.all(runs);
      if (!results.every(([done, exitCode]) => done >= 1000 && exitCode === 1)) {
        throw new Error('unexpected worker results ' + JSON.stringify(results));
      }
      // The main thread's client still works, many times over, after the workers are gone.
      const client = new Kernel({ baseURL: emu.url, apiKey: emu.apiKey });
      const created = await client.invocations.create({ app_name: 'm', action_name: 'a', version: '1' });
      const updates = await Promise.all(Array.from({ length: 200 }, () =>
        client.invocations.update(created.id, { status: 'succeeded' })));
      if (!updates.every((u) => u.status === 'succeeded')) throw new Error('bad update');
      await emu.close();
      console.log('healthy after ' + results.map(([done]) => done).join(','));
    })().catch((err) => { console.error(err); process.exit(1); });
  `;
  await assertHealthy(code, /^healthy after (\d+,){7}\d+$/m);
});

test('clients garbage-collected with calls in flight do not crash, and every call settles', async () => {
  const code = `
    const { startEmulator } = require('kernel-native/emulator');
    const Kernel = require('kernel-native');
    (async () => {
      const emu = await startEmulator();
      // Slow answers, so the calls are still in flight while their clients are collected.
      emu.fault({ delayMs: 50, times: 1000 });
      const collected = [];
      const registry = new FinalizationRegistry((name) => collected.push(name));
      const start = (name, count) => {
        const client = new Kernel({ baseURL: emu.url, apiKey: emu.apiKey, maxRetries: 0, timeout: 10_000 });
        registry.register(client, name);
        return Array.from({ length: count }, () => client.invocations.list({ limit: 1 }).then(() => 'ok', (e) => e.constructor.name));
      };
      const kept = start('awaited', 100);
      // Calls whose client AND promises are dropped: nothing may crash when they settle.
      start('dropped', 100);
      for (let i = 0; i < 20; i++) {
        global.gc();
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const outcomes = await Promise.all(kept);
      const notOk = outcomes.filter((o) => o !== 'ok');
      if (notOk.length > 0) throw new Error('calls failed: ' + notOk.slice(0, 3));
      await new Promise((resolve) => setTimeout(resolve, 200));
      global.gc();
      await new Promise((resolve) => setTimeout(resolve, 50));
      await emu.close();
      console.log('settled ' + outcomes.length + '; collected ' + collected.sort().join(','));
    })().catch((err) => { console.error(err); process.exit(1); });
  `;
  const result = await assertHealthy(code, /^settled 100; collected /m, { args: ['--expose-gc'] });
  // The point of the test is collection under load: both clients must have been collected.
  assert.match(result.stdout, /collected awaited,dropped$/m);
});

test('no failure path of the package produces an unhandled rejection', async () => {
  const code = `
    process.on('unhandledRejection', (reason) => {
      console.log('UNHANDLED ' + (reason && reason.stack || reason));
      process.exit(3);
    });
    const http = require('node:http');
    const { startEmulator } = require('kernel-native/emulator');
    const Kernel = require('kernel-native');
    const expectFailure = async (what, run) => {
      try { await run(); } catch (err) {
        if (!(err instanceof Kernel.KernelError)) throw new Error(what + ': untyped ' + err);
        return err.constructor.name;
      }
      throw new Error(what + ': did not fail');
    };
    (async () => {
      const emu = await startEmulator();
      const client = new Kernel({ baseURL: emu.url, apiKey: emu.apiKey, maxRetries: 0, timeout: 500 });
      const refused = new Kernel({ baseURL: 'http://127.0.0.1:9', apiKey: 'k', maxRetries: 0 });
      const stalled = http.createServer(() => {}); // never answers
      await new Promise((resolve) => stalled.listen(0, '127.0.0.1', resolve));
      const slow = new Kernel({ baseURL: 'http://127.0.0.1:' + stalled.address().port, apiKey: 'k', maxRetries: 0, timeout: 200 });
      const seen = [];
      seen.push(await expectFailure('404', () => client.invocations.retrieve('missing')));
      seen.push(await expectFailure('404 withResponse', () => client.invocations.retrieve('missing').withResponse()));
      seen.push(await expectFailure('404 asResponse', () => client.invocations.update('missing', { status: 'failed' }).asResponse()));
      seen.push(await expectFailure('bad input', () => client.invocations.update('', { status: 'succeeded' })));
      seen.push(await expectFailure('bad status', () => client.invocations.update('x', { status: 'nope' })));
      seen.push(await expectFailure('refused', () => refused.invocations.list()));
      seen.push(await expectFailure('timeout', () => slow.invocations.retrieve('x')));
      seen.push(await expectFailure('follow 404', async () => { for await (const _ of await client.invocations.follow('missing')) {} }));
      const controller = new AbortController();
      const aborted = slow.invocations.retrieve('x', { signal: controller.signal, timeout: 5000 });
      controller.abort();
      seen.push(await expectFailure('abort', () => aborted));
      // A stream closed early, and a page iteration that fails half-way.
      const created = await client.invocations.create({ app_name: 'a', action_name: 'b', version: '1' });
      const stream = await client.invocations.follow(created.id);
      const iterator = stream[Symbol.asyncIterator]();
      await iterator.next();
      await iterator.return();
      for (let i = 0; i < 3; i++) await client.invocations.create({ app_name: 'a', action_name: 'b', version: '1' });
      emu.fault({ method: 'GET', path: '/invocations', status: 500, times: 1000 });
      seen.push(await expectFailure('pages', async () => { for await (const _ of client.invocations.list({ limit: 1 })) {} }));
      // Let any stray promise settle before declaring the run clean.
      await new Promise((resolve) => setTimeout(resolve, 300));
      stalled.close();
      stalled.closeAllConnections();
      await emu.close();
      console.log('clean: ' + seen.join(','));
    })().catch((err) => { console.error(err); process.exit(1); });
  `;
  const result = await assertHealthy(code, /^clean: /m, { args: ['--unhandled-rejections=strict'] });
  assert.match(
    result.stdout,
    /^clean: NotFoundError,NotFoundError,NotFoundError,KernelError,KernelError,APIConnectionError,APIConnectionTimeoutError,NotFoundError,APIUserAbortError,InternalServerError$/m,
  );
});
