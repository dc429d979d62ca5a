'use strict';
// The addon. Loading the platform's file directly skips the generated loader's platform
// probing (it reads files such as /usr/bin/ldd to tell glibc from musl), which was most of
// the import time; anything unusual falls back to that loader.

function load() {
  if (process.platform === 'linux' && process.arch === 'x64' && !process.env.NAPI_RS_NATIVE_LIBRARY_PATH) {
    try {
      return require('../kernel-native.linux-x64-gnu.node');
    } catch {
      // not glibc, or not built here: the generated loader knows the other cases
    }
  }
  return require('../index.js');
}

module.exports = load();
