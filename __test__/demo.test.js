'use strict';
// The Quick start main command: the demo runs the documented usage against the emulator, or
// against the server named by KERNEL_BASE_URL and KERNEL_API_KEY.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');

const { startEmulator } = require('kernel-native/emulator');
const { runProcess } = require('./helpers/child');

const DEMO = path.join(__dirname, '..', 'examples', 'demo.mjs');

/** Runs the demo with `env` over the environment, KERNEL_BASE_URL and KERNEL_API_KEY emptied; killed after 15 s. */
function runDemo(env) {
  return runProcess(process.execPath, [DEMO], {
    env: { ...process.env, KERNEL_BASE_URL: '', KERNEL_API_KEY: '', ...env },
    budget: 15_000,
  });
}

test('the demo updates an invocation on the built-in emulator and exits 0', async () => {
  const { code, stdout, stderr } = await runDemo({});
  assert.equal(code, 0, stderr);
  assert.match(stdout, /Using the local emulator at http:\/\/127\.0\.0\.1:\d+/);
  assert.match(stdout, /status: 'succeeded'/);
  assert.match(stdout, /output: '\{"pages":3,"summary":"done"\}'/);
});

test('with KERNEL_BASE_URL and KERNEL_API_KEY the demo talks to that server', async () => {
  const emu = await startEmulator({ apiKey: 'demo-server-key' });
  try {
    const { code, stdout, stderr } = await runDemo({ KERNEL_BASE_URL: emu.url, KERNEL_API_KEY: emu.apiKey });
    assert.equal(code, 0, stderr);
    assert.ok(stdout.includes(`Using the server at ${emu.url}`), stdout);
    const id = /id: '([a-z0-9]{24})'/.exec(stdout)[1];
    const stored = await fetch(`${emu.url}/invocations/${id}`, {
      headers: { authorization: `Bearer ${emu.apiKey}` },
    }).then((response) => response.json());
    assert.equal(stored.status, 'succeeded');
  } finally {
    await emu.close();
  }
});

test('the demo fails loudly when the server refuses it', async () => {
  const emu = await startEmulator({ apiKey: 'right-key' });
  try {
    const { code, stderr } = await runDemo({ KERNEL_BASE_URL: emu.url, KERNEL_API_KEY: 'wrong-key' });
    assert.notEqual(code, 0);
    assert.match(stderr, /401/);
  } finally {
    await emu.close();
  }
});
