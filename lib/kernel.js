'use strict';
// CommonJS entry: `require('kernel-native')` is the Kernel class, which also carries every
// named export (`const { Kernel, NotFoundError } = require('kernel-native')`).

// No top-level binding named `Kernel` here: the bundler would rename one of the two (and the
// class's name with it, `Kernel2`), since class names are not kept (keeping them costs a call
// per closure created on the hot path).
const client = require('./client');

Object.defineProperty(client.Kernel, '__esModule', { value: true });
// For the emulator's bundle, which must share these error classes (scripts/bundle.js).
Object.defineProperty(client.Kernel, Symbol.for('kernel-native.errors'), { value: require('./errors') });
module.exports = client.Kernel;
