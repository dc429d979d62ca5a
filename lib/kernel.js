'use strict';
// CommonJS entry: `require('kernel-native')` is the Kernel class, which also carries every
// named export (`const { Kernel, NotFoundError } = require('kernel-native')`).

const { Kernel } = require('./client');

Object.defineProperty(Kernel, '__esModule', { value: true });
module.exports = Kernel;
