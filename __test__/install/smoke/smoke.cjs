'use strict';
// The smoke through require(): both entry points, as CommonJS users load them.
const Kernel = require('kernel-native');
const { startEmulator } = require('kernel-native/emulator');
const { runSmoke } = require('./checks.cjs');

check(require('kernel-native').Kernel === Kernel, 'require().Kernel is the default export');
runSmoke(Kernel, startEmulator, `cjs ${process.argv[2] ?? ''}`.trim());

function check(condition, message) {
  if (!condition) throw new Error(message);
}
