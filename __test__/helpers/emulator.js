'use strict';
// The client tests' stand-in API: a per-test kernel-native/emulator, an invocation to update,
// and request counting through faults (the emulator keeps no request log).

const assert = require('node:assert/strict');

const { startEmulator } = require('kernel-native/emulator');
const Kernel = require('kernel-native');
const { BadRequestError } = Kernel;

const EMU_KEY = 'sk-emu-0123456789abcdef';
const SENTINEL = { code: 'sentinel', message: 'one request too many' };

/**
 * Starts an emulator (with `options`, by default the key EMU_KEY) that is closed when test `t`
 * ends; pending requests end with it. Closing twice is harmless.
 */
async function emulator(t, options = { apiKey: EMU_KEY }) {
  const emu = await startEmulator(options);
  t.after(() => emu.close());
  return emu;
}

/** A client for `emu`; `options` are added to (or replace) baseURL and apiKey. */
function clientFor(emu, options = {}) {
  return new Kernel({ baseURL: emu.url, apiKey: emu.apiKey, ...options });
}

/**
 * Creates an invocation over raw HTTP (`POST /invocations`) and returns the answer
 * ({ id, action_name, status }): a running one, or with `async: true` an async one (202; its
 * status is the caller's to check). Do it before adding faults that could match a POST.
 */
async function createInvocation(emu, fields = {}) {
  const res = await fetch(`${emu.url}/invocations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${emu.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ app_name: 'my-app', action_name: 'analyze', version: '1.0.0', ...fields }),
  });
  const text = await res.text();
  // Like the API: 202 Accepted for an async invocation, 200 for a sync one.
  assert.equal(res.status, fields.async ? 202 : 200, text);
  const created = JSON.parse(text);
  if (!fields.async) assert.equal(created.status, 'running');
  return created;
}

/** The invocation as the emulator stores it (`GET /invocations/{id}`). */
async function storedInvocation(emu, id) {
  const res = await fetch(`${emu.url}/invocations/${id}`, { headers: { authorization: `Bearer ${emu.apiKey}` } });
  const text = await res.text();
  assert.equal(res.status, 200, text);
  return JSON.parse(text);
}

/**
 * Adds a PATCH fault answering 400 `{ code: 'sentinel' }` after the PATCH faults already added.
 * Faults fire in the order they were added, so the returned `assertReached(id)` (one more
 * PATCH, no retries) proves that exactly the PATCH requests the earlier faults stand for were
 * made: with fewer, the probe meets one of those faults; with more, a request used up the
 * sentinel and the probe goes through to the emulator. Call it once the calls under test are done.
 */
function sentinel(emu, what = 'PATCH requests') {
  emu.fault({ method: 'PATCH', status: 400, body: SENTINEL });
  return async function assertReached(id) {
    // Short timeout: the sentinel answers at once, a leftover delay fault must not hang the test.
    const probe = clientFor(emu, { maxRetries: 0, timeout: 2000 });
    let seen;
    try {
      const value = await probe.invocations.update(id, { status: 'succeeded' });
      seen = `the probe went through (status ${value.status}): a request used up the sentinel`;
    } catch (err) {
      if (err instanceof BadRequestError && err.error?.code === SENTINEL.code) return;
      seen = `the probe got ${err.name}: ${err.message}: an earlier fault was still pending`;
    }
    assert.fail(`not exactly the expected ${what}; ${seen}`);
  };
}

/**
 * The next `n` PATCH requests (after the faults already added) pass through untouched (a
 * delay-only fault of 0 ms), then the sentinel: `assertExactly(id)` proves exactly n were made.
 */
function countPatches(emu, n) {
  emu.fault({ method: 'PATCH', delayMs: 0, times: n });
  return sentinel(emu, `${n} pass-through PATCH request(s)`);
}

module.exports = { EMU_KEY, emulator, clientFor, createInvocation, storedInvocation, sentinel, countPatches };
