'use strict';
// Bundles the JS layer (lib/) into dist/: one file per entry point. Every module Node loads
// costs import time: with the addon already loaded, requiring lib/'s nine modules took 3.0 ms,
// the one bundle 1.7 ms. lib/ stays the source, in small modules; dist/ is what the package
// exports and what the tests load.

const path = require('node:path');
const esbuild = require('esbuild');

const root = path.resolve(__dirname, '..');

const common = {
  absWorkingDir: root,
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node18',
  // Names are not kept by wrapping (that costs a `__name()` call each time a closure is made,
  // on every call's hot path); the exported classes keep theirs because no two modules give a
  // top-level binding the same name. __test__/exports.test.js checks every exported name.
  keepNames: false,
  legalComments: 'none',
  logLevel: 'warning',
};
// The addon is loaded at run time: a local build from the package root, or a platform package.
const addon = ['../kernel-native.*.node', 'kernel-native-*'];

/**
 * The emulator takes lib/errors.js from the main bundle: a copy in its own bundle would make
 * `err instanceof KernelError` false for the client's KernelError. The main export (the Kernel
 * class) carries the module under a symbol (lib/kernel.js), which this shim hands on.
 */
const errorsFromMainBundle = {
  name: 'errors-from-main-bundle',
  setup(build) {
    build.onResolve({ filter: /^\.\/errors$/ }, () => ({ path: 'errors', namespace: 'main-bundle' }));
    build.onLoad({ filter: /.*/, namespace: 'main-bundle' }, () => ({
      contents: "module.exports = require('./kernel.js')[Symbol.for('kernel-native.errors')];",
      loader: 'js',
    }));
    build.onResolve({ filter: /^\.\/kernel\.js$/ }, () => ({ path: './kernel.js', external: true }));
  },
};

Promise.all([
  esbuild.build({ ...common, entryPoints: { kernel: 'lib/kernel.js' }, external: addon }),
  esbuild.build({ ...common, entryPoints: { emulator: 'lib/emulator.js' }, external: addon, plugins: [errorsFromMainBundle] }),
]).catch(() => {
  // esbuild has printed the errors.
  process.exitCode = 1;
});
