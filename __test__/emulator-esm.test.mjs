// kernel-native/emulator from an ES module: the documented flow end to end, and the same
// exports as require('kernel-native/emulator').

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

import { startEmulator } from 'kernel-native/emulator';
import * as emulatorModule from 'kernel-native/emulator';
import Kernel, { ConflictError, KernelError } from 'kernel-native';

const require = createRequire(import.meta.url);
const NANOS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z$/;
const BUDGET = { timeout: 10_000 };

test('the documented flow: start, create, update, fault, close', BUDGET, async () => {
  const emu = await startEmulator({ apiKey: 'test-key', port: 0 });
  try {
    assert.equal(emu.apiKey, 'test-key');
    assert.match(emu.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const client = new Kernel({ baseURL: emu.url, apiKey: emu.apiKey });

    const res = await fetch(`${emu.url}/invocations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${emu.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ app_name: 'esm-app', action_name: 'run', version: '2' }),
    });
    assert.equal(res.status, 200);
    const created = await res.json();
    assert.equal(created.status, 'running');

    // Two 503s first: the client retries through them.
    emu.fault({ status: 503, times: 2, headers: { 'retry-after-ms': '10' } });
    const output = JSON.stringify({ ok: true });
    const invocation = await client.invocations.update(created.id, { status: 'succeeded', output });
    assert.equal(invocation.id, created.id);
    assert.equal(invocation.app_name, 'esm-app');
    assert.equal(invocation.action_name, 'run');
    assert.equal(invocation.version, '2');
    assert.equal(invocation.status, 'succeeded');
    assert.equal(invocation.output, output);
    assert.match(invocation.finished_at, NANOS);
    assert.equal(typeof invocation.status_reason, 'string');

    const conflict = await client.invocations.update(created.id, { status: 'failed' }, { maxRetries: 0 }).then(
      () => assert.fail('expected a ConflictError'),
      (err) => err,
    );
    assert.ok(conflict instanceof ConflictError, `${conflict.name}: ${conflict.message}`);
  } finally {
    await emu.close();
  }
});

test('require("kernel-native/emulator") has the same exports as the ES module', () => {
  const cjs = require('kernel-native/emulator');
  const names = (module) => Object.keys(module).filter((name) => name !== 'default').sort();
  assert.deepEqual(names(emulatorModule), names(cjs));
  assert.ok(names(cjs).includes('startEmulator'));
  for (const name of names(cjs)) {
    assert.equal(typeof emulatorModule[name], 'function', name);
    assert.equal(emulatorModule[name], cjs[name], name);
    assert.equal(emulatorModule[name].name, cjs[name].name, name);
  }
  assert.equal(startEmulator, cjs.startEmulator);
});

test('emulator errors are instances of the ESM-exported KernelError', BUDGET, async () => {
  const err = await startEmulator({ port: 'x' }).then(
    () => assert.fail('expected a rejection'),
    (caught) => caught,
  );
  assert.ok(err instanceof KernelError, `${err.name}: ${err.message}`);
  const emu = await startEmulator();
  try {
    assert.throws(() => emu.fault({}), KernelError);
  } finally {
    await emu.close();
  }
});
