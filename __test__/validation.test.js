'use strict';
// Bad arguments to invocations.update: a rejected promise with a KernelError naming the field,
// and nothing reaches the server.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const util = require('node:util');

const Kernel = require('kernel-native');
const { KernelError, APIError } = Kernel;
const { API_KEY, startServer, rejection } = require('./helpers/server');
const { assertInvalidField } = require('./helpers/guard');

let server;
let kernel;

before(async () => {
  server = await startServer();
  kernel = new Kernel({ apiKey: API_KEY, baseURL: server.url, maxRetries: 0 });
});

after(async () => {
  await server.close();
});

/**
 * Calls update with `args`, expects a rejection (never a synchronous throw) with a
 * KernelError that is not an APIError, whose message names `field`, and checks that the
 * server received nothing.
 */
async function expectInvalid(args, field) {
  const sentBefore = server.requests.length;
  let promise;
  assert.doesNotThrow(() => {
    promise = kernel.invocations.update(...args);
  }, `update(${util.inspect(args)}) must reject, not throw`);
  assert.ok(promise instanceof Promise);
  const err = await rejection(promise);
  assert.ok(err instanceof KernelError, `${util.inspect(args)}: ${util.inspect(err)}`);
  assert.ok(!(err instanceof APIError), `${util.inspect(args)}: should not be an APIError`);
  assert.equal(err.name, 'KernelError');
  assertInvalidField(err, field, util.inspect(args));
  // Give a request that should not have been sent a moment to arrive.
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(server.requests.length, sentBefore, `${util.inspect(args)}: a request was sent`);
  return err;
}

const OK = { status: 'succeeded' };

test('a bad id rejects and sends nothing', async () => {
  await expectInvalid(['', OK], 'id');
  await expectInvalid([5, OK], 'id');
  await expectInvalid([undefined, OK], 'id');
  await expectInvalid([null, OK], 'id');
  await expectInvalid([{ id: 'x' }, OK], 'id');
});

test('the dot segments . and .. are refused as ids', async () => {
  await expectInvalid(['.', OK], 'id');
  await expectInvalid(['..', OK], 'id');
});

test('bad params reject and send nothing', async () => {
  await expectInvalid(['id'], 'params');
  await expectInvalid(['id', undefined], 'params');
  await expectInvalid(['id', null], 'params');
  await expectInvalid(['id', []], 'params');
  await expectInvalid(['id', 'succeeded'], 'params');
  await expectInvalid(['id', 5], 'params');
});

test('a bad status rejects and sends nothing', async () => {
  await expectInvalid(['id', { status: 'done' }], 'status');
  await expectInvalid(['id', { status: 'running' }], 'status');
  await expectInvalid(['id', { status: 'SUCCEEDED' }], 'status');
  await expectInvalid(['id', { status: 5 }], 'status');
  await expectInvalid(['id', {}], 'status');
  await expectInvalid(['id', { output: '{}' }], 'status');
});

test('a bad output rejects and sends nothing', async () => {
  await expectInvalid(['id', { status: 'succeeded', output: 5 }], 'output');
  await expectInvalid(['id', { status: 'succeeded', output: {} }], 'output');
  await expectInvalid(['id', { status: 'succeeded', output: null }], 'output');
});

test('an unknown params key rejects and sends nothing', async () => {
  const err = await expectInvalid(['id', { status: 'succeeded', outptu: '1' }], 'params');
  assert.ok(err.message.includes('outptu'), err.message);
});

test('options that are not an object reject and send nothing', async () => {
  await expectInvalid(['id', OK, 'fast'], 'options');
  await expectInvalid(['id', OK, 5], 'options');
  await expectInvalid(['id', OK, []], 'options');
});

test('a bad options.timeout rejects and sends nothing', async () => {
  for (const timeout of ['5', -1, 0, NaN, Infinity, null]) {
    await expectInvalid(['id', OK, { timeout }], 'timeout');
  }
});

test('a bad options.maxRetries rejects and sends nothing', async () => {
  for (const maxRetries of [-1, 1.5, '2', NaN, null]) {
    await expectInvalid(['id', OK, { maxRetries }], 'maxRetries');
  }
});

test('bad options.headers reject and send nothing', async () => {
  await expectInvalid(['id', OK, { headers: { 'x-a': 5 } }], 'headers');
  await expectInvalid(['id', OK, { headers: { 'x-a': true } }], 'headers');
  await expectInvalid(['id', OK, { headers: { 'x-a': ['1'] } }], 'headers');
  await expectInvalid(['id', OK, { headers: 'x-a: 1' }], 'headers');
  await expectInvalid(['id', OK, { headers: 5 }], 'headers');
  await expectInvalid(['id', OK, { headers: [['x-a']] }], 'headers');
  await expectInvalid(['id', OK, { headers: { 'x-a': 'one\r\nx-injected: yes' } }], 'headers');
  await expectInvalid(['id', OK, { headers: { 'x-a': 'one\ntwo' } }], 'headers');
  await expectInvalid(['id', OK, { headers: { 'x-a': 'one\rtwo' } }], 'headers');
  await expectInvalid(['id', OK, { headers: { 'bad name': '1' } }], 'headers');
  await expectInvalid(['id', OK, { headers: { 'x:y': '1' } }], 'headers');
  await expectInvalid(['id', OK, { headers: { '': '1' } }], 'headers');
  await expectInvalid(['id', OK, { headers: { 'bad name': null } }], 'headers');
});

test('a header value error does not echo the value', async () => {
  const secret = 'Bearer top-secret-value';
  const err = await expectInvalid(['id', OK, { headers: { 'x-token': `${secret}\n` } }], 'headers');
  assert.ok(!err.message.includes('top-secret-value'), err.message);
});

test('a bad options.signal rejects and sends nothing', async () => {
  await expectInvalid(['id', OK, { signal: 'abort' }], 'signal');
  await expectInvalid(['id', OK, { signal: {} }], 'signal');
  await expectInvalid(['id', OK, { signal: new AbortController() }], 'signal');
  await expectInvalid(['id', OK, { signal: 5 }], 'signal');
});

test('an unknown options key rejects and sends nothing', async () => {
  const err = await expectInvalid(['id', OK, { timeOut: 5 }], 'options');
  assert.ok(err.message.includes('timeOut'), err.message);
  await expectInvalid(['id', OK, { retries: 1 }], 'retries');
});

test('after all that, a valid call still goes through', async () => {
  const sentBefore = server.requests.length;
  const result = await kernel.invocations.update('id', OK, { timeout: 5000, maxRetries: 0, headers: {} });
  assert.equal(result.id, 'id');
  assert.equal(server.requests.length, sentBefore + 1);
});
