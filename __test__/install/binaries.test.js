'use strict';
// Every .node that `npm run pack:all` packed, read from its tarball (what would be published):
// format, CPU, libc, newest glibc symbol, macOS minimum, size, and the napi entry point.

const test = require('node:test');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const { assertReleaseBinary } = require('./binary');
const { PACK_DIR, tempDir } = require('./helpers');
const { targets, packageName, binaryName } = require('../../scripts/targets');

const version = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')).version;

for (const target of targets.filter((t) => t.toolchain)) {
  test(`${packageName(target)}: a portable ${target.name} binary`, (t) => {
    const dir = tempDir(t, 'kn-bin-');
    const tarball = path.join(PACK_DIR, `${packageName(target)}-${version}.tgz`);
    execFileSync('tar', ['-xzf', tarball, '-C', dir]);
    const info = assertReleaseBinary(target.name, path.join(dir, 'package', binaryName(target)));
    t.diagnostic(`${target.name}: ${(info.bytes / 2 ** 20).toFixed(2)} MiB, ${info.cpu}, ${info.libc ?? `macOS >= ${info.macosMin}`}${info.glibcMax ? ` (GLIBC_${info.glibcMax})` : ''}`);
  });
}
