'use strict';
// What the package exports, through its own name (the exports map), from CJS and ESM.

const { test } = require('node:test');
const assert = require('node:assert/strict');

const { API_KEY, startServer, rejection, sendJson } = require('./helpers/server');

const CLASS_NAMES = [
  'KernelError',
  'APIError',
  'APIUserAbortError',
  'APIConnectionError',
  'APIConnectionTimeoutError',
  'BadRequestError',
  'AuthenticationError',
  'PermissionDeniedError',
  'NotFoundError',
  'ConflictError',
  'UnprocessableEntityError',
  'RateLimitError',
  'InternalServerError',
];

test('require("kernel-native") is the Kernel class, with every export on it', () => {
  const cjs = require('kernel-native');
  assert.equal(typeof cjs, 'function');
  assert.equal(cjs.name, 'Kernel');
  assert.equal(cjs.Kernel, cjs);
  assert.equal(cjs.default, cjs);
  const { Kernel } = require('kernel-native');
  assert.equal(Kernel, cjs);
  for (const name of CLASS_NAMES) {
    const ErrorClass = cjs[name];
    assert.equal(typeof ErrorClass, 'function', name);
    assert.equal(ErrorClass.name, name);
    assert.equal(Kernel[name], ErrorClass, `Kernel.${name}`);
    assert.ok(new ErrorClass() instanceof Error, name);
  }
});

test('every exported class has its own name (the bundle must not rename one)', async () => {
  const cjs = require('kernel-native');
  const exported = Object.keys(cjs).filter((name) => typeof cjs[name] === 'function' && name !== 'default');
  for (const name of [...CLASS_NAMES, 'Kernel', 'APIPromise', 'PagePromise', 'OffsetPagination', 'Stream', 'Invocations']) {
    assert.ok(exported.includes(name), `${name} is exported`);
  }
  for (const name of exported) assert.equal(cjs[name].name, name);
  const { startEmulator, Emulator } = require('kernel-native/emulator');
  assert.equal(startEmulator.name, 'startEmulator');
  assert.equal(Emulator.name, 'Emulator');
  const err = new cjs.NotFoundError(404, { message: 'gone' }, undefined, {});
  assert.match(err.stack, /^NotFoundError: 404 gone/);
});

test('require("kernel-native") resolves to the package in this repository', () => {
  const resolved = require.resolve('kernel-native');
  // The bundle built from lib/ (scripts/bundle.js) is what the package exports.
  assert.equal(resolved, require.resolve('../dist/kernel.js'));
  assert.equal(require('kernel-native'), require('..'));
});

test('import("kernel-native") has a default export and the same named exports', async () => {
  const esm = await import('kernel-native');
  const cjs = require('kernel-native');
  assert.equal(esm.default, cjs);
  assert.equal(esm.Kernel, cjs);
  for (const name of CLASS_NAMES) {
    assert.equal(esm[name], cjs[name], name);
    assert.equal(esm.Kernel[name], cjs[name], `Kernel.${name}`);
    assert.equal(esm.default[name], cjs[name], `default.${name}`);
  }
});

test('errors from an ESM-imported client are instances of the ESM-exported classes', async () => {
  const { Kernel, NotFoundError, APIError, KernelError } = await import('kernel-native');
  const server = await startServer((req, res) => sendJson(res, 404, { message: 'no such invocation' }));
  try {
    const kernel = new Kernel({ apiKey: API_KEY, baseURL: server.url, maxRetries: 0 });
    const err = await rejection(kernel.invocations.update('x', { status: 'succeeded' }));
    assert.ok(err instanceof NotFoundError);
    assert.ok(err instanceof Kernel.NotFoundError);
    assert.ok(err instanceof APIError);
    assert.ok(err instanceof KernelError);
    assert.equal(err.message, '404 no such invocation');
  } finally {
    await server.close();
  }
});

test('kernel-native/package.json is exported', () => {
  const pkg = require('kernel-native/package.json');
  assert.equal(pkg.name, 'kernel-native');
  assert.equal(typeof pkg.version, 'string');
});
