'use strict';
// Proof that a call sent nothing to an emulator: a catch-all fault that the next request (any
// method, any path) uses up, then a raw probe that must still meet it.

const assert = require('node:assert/strict');
const util = require('node:util');

const Kernel = require('kernel-native');
const { KernelError, APIError, APIUserAbortError } = Kernel;
const { rejection } = require('./server');

const GUARD = { code: 'nothing_sent_guard', message: 'a request reached the emulator' };

/**
 * Arms a catch-all fault answering 400 GUARD and returns `assertNothingSent(what)`: a raw
 * `GET /invocations` that must be answered by the guard. If a request reached the emulator in
 * between, it used the guard up and the probe gets a normal 200.
 */
function guardNothingSent(emu) {
  emu.fault({ status: 400, body: GUARD });
  return async function assertNothingSent(what) {
    const res = await fetch(`${emu.url}/invocations?limit=1`, { headers: { authorization: `Bearer ${emu.apiKey}` } });
    const text = await res.text();
    assert.equal(res.status, 400, `${what}: a request reached the emulator (the guard was used up); probe got ${text}`);
    assert.deepEqual(JSON.parse(text), GUARD, `${what}: unexpected probe answer`);
  };
}

/**
 * `call()` must return a promise (not throw) that rejects with a KernelError that is not an
 * APIError and whose message names `field`; the emulator must receive nothing.
 */
async function expectInvalid(emu, what, call, field) {
  const assertNothingSent = guardNothingSent(emu);
  let promise;
  assert.doesNotThrow(() => {
    promise = call();
  }, `${what} must reject, not throw`);
  assert.ok(promise instanceof Promise, `${what}: not a promise`);
  const err = await rejection(promise);
  assert.ok(err instanceof KernelError, `${what}: ${util.inspect(err)}`);
  assert.ok(!(err instanceof APIError), `${what}: should be rejected before sending, got ${util.inspect(err)}`);
  assert.equal(err.name, 'KernelError', what);
  assertInvalidField(err, field, what);
  await assertNothingSent(what);
  return err;
}

/**
 * `err` is bad input about `field`: code ERR_KERNEL_INVALID_INPUT, `err.field` naming it (as
 * itself or as a part of its path: `params.status`, `options.headers["x-a"]`), and a message
 * that says so.
 */
function assertInvalidField(err, field, what) {
  assert.equal(err.code, 'ERR_KERNEL_INVALID_INPUT', `${what}: ${util.inspect(err)}`);
  const path = typeof err.field === 'string' ? err.field.split(/[.[\]"]+/).filter(Boolean) : [];
  assert.ok(
    err.field === field || path.includes(field) || field.split('.').every((part) => path.includes(part)),
    `${what}: field ${JSON.stringify(err.field)} should be ${field}`,
  );
  assert.ok(err.message.includes(field), `${what}: message ${JSON.stringify(err.message)} should name ${field}`);
}

/** `call()` (given an already-aborted signal) rejects with APIUserAbortError and sends nothing. */
async function expectAbortedBeforeSending(emu, what, call) {
  const assertNothingSent = guardNothingSent(emu);
  const err = await rejection(call());
  assert.ok(err instanceof APIUserAbortError, `${what}: ${util.inspect(err)}`);
  await assertNothingSent(what);
}

module.exports = { guardNothingSent, expectInvalid, expectAbortedBeforeSending, assertInvalidField };
