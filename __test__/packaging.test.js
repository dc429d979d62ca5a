'use strict';
// The release packaging, as committed: the seven platform packages and the main package's
// pins on them, the one-command version bump, and the loader's choices. (The built tarballs
// are tested by `npm run test:install`, after `npm run pack:all`.)

const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { runChild } = require('./helpers/child');
const { NPM_CLI } = require('./install/helpers');
const { targets, packageName, binaryName } = require('../scripts/targets');

const root = path.resolve(__dirname, '..');
// The loader's own search, even when the suite runs against a binary named by the override
// (.ci/run's second pass over the shipped binary).
const NO_OVERRIDE = { NAPI_RS_NATIVE_LIBRARY_PATH: '' };
const readJson = (file) => JSON.parse(fs.readFileSync(path.join(root, file), 'utf8'));
const main = readJson('package.json');

const PLATFORM_FIELDS = {
  'linux-x64-gnu': { os: ['linux'], cpu: ['x64'], libc: ['glibc'] },
  'linux-arm64-gnu': { os: ['linux'], cpu: ['arm64'], libc: ['glibc'] },
  'linux-x64-musl': { os: ['linux'], cpu: ['x64'], libc: ['musl'] },
  'linux-arm64-musl': { os: ['linux'], cpu: ['arm64'], libc: ['musl'] },
  'darwin-x64': { os: ['darwin'], cpu: ['x64'], libc: undefined },
  'darwin-arm64': { os: ['darwin'], cpu: ['arm64'], libc: undefined },
  'win32-x64-msvc': { os: ['win32'], cpu: ['x64'], libc: undefined },
};

test('one platform package per target, selected by os, cpu and libc, whose main is its .node', () => {
  assert.deepEqual(fs.readdirSync(path.join(root, 'npm')).sort(), Object.keys(PLATFORM_FIELDS).sort());
  assert.deepEqual(targets.map((t) => t.name).sort(), Object.keys(PLATFORM_FIELDS).sort());
  for (const target of targets) {
    const manifest = readJson(path.join('npm', target.name, 'package.json'));
    assert.equal(manifest.name, packageName(target));
    assert.ok(manifest.name.endsWith(`-${target.name}`));
    assert.equal(manifest.version, main.version, manifest.name);
    assert.equal(manifest.main, binaryName(target));
    assert.deepEqual(manifest.files, [binaryName(target)]);
    const { os: osField, cpu, libc } = PLATFORM_FIELDS[target.name];
    assert.deepEqual({ os: manifest.os, cpu: manifest.cpu, libc: manifest.libc }, { os: osField, cpu, libc }, manifest.name);
  }
});

test('the main package ships no .node; its napi targets are the seven', () => {
  assert.ok(!main.files.some((pattern) => pattern.includes('.node')), main.files.join(' '));
  assert.deepEqual(main.napi.targets, targets.map((t) => t.triple));
  // Added to the packed copy only (scripts/pack-all.js): unpublished names would break `npm ci`.
  assert.equal(main.optionalDependencies, undefined);
});

test('`npm version <new>` moves every platform package with the main package', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kn-version-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  for (const file of ['package.json', 'package-lock.json', 'npm']) {
    fs.cpSync(path.join(root, file), path.join(dir, file), { recursive: true });
  }
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
  const run = (command, args) => {
    const result = spawnSync(command, args, { cwd: dir, encoding: 'utf8' });
    assert.equal(result.status, 0, `${command} ${args.join(' ')}\n${result.stdout}\n${result.stderr}`);
  };
  run('git', ['init', '-q']);
  run(process.execPath, [NPM_CLI, 'version', '9.8.7', '--no-git-tag-version']);
  const read = (file) => JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
  assert.equal(read('package.json').version, '9.8.7');
  for (const target of targets) assert.equal(read(path.join('npm', target.name, 'package.json')).version, '9.8.7', target.name);
});

test('loading the addon reads no /usr/bin/ldd and makes no process.report', async () => {
  const result = await runChild(`
    const fs = require('node:fs');
    const seen = [];
    const readFileSync = fs.readFileSync;
    fs.readFileSync = (file, ...rest) => { seen.push(String(file)); return readFileSync(file, ...rest); };
    process.report.getReport = () => { seen.push('process.report'); return {}; };
    require('kernel-native');
    console.log(JSON.stringify(seen.filter((s) => s.includes('ldd') || s === 'process.report')));
  `, { env: NO_OVERRIDE });
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(JSON.parse(result.stdout), []);
});

test('on a platform with no prebuilt binary, the error names it and where the supported list is', async () => {
  const result = await runChild(`
    Object.defineProperty(process, 'platform', { value: 'freebsd' });
    try { require('./lib/native.js'); console.log('loaded'); }
    catch (e) { console.log(JSON.stringify({ message: e.message, code: e.code, name: e.constructor.name })); }
  `, { env: NO_OVERRIDE });
  assert.equal(result.code, 0, result.stderr);
  const error = JSON.parse(result.stdout);
  assert.match(error.message.split('\n')[0], /no prebuilt binary for freebsd x64/);
  assert.match(error.message, /#supported-platforms/);
  assert.equal(error.code, 'ERR_KERNEL_NATIVE_BINARY');
  assert.equal(error.name, 'KernelError');
});

test('a binary that is present but cannot load is reported with its loader error', async () => {
  const result = await runChild(`
    const Module = require('node:module');
    const load = Module._load;
    Module._load = function (request, ...rest) {
      if (String(request).includes('linux-x64-gnu')) throw Object.assign(new Error('GLIBC_2.99 not found (required by x.node)'), { code: 'ERR_DLOPEN_FAILED' });
      return load.call(this, request, ...rest);
    };
    try { require('./lib/native.js'); console.log('loaded'); }
    catch (e) { console.log(JSON.stringify({ message: e.message, cause: String(e.cause) })); }
  `, { env: NO_OVERRIDE });
  assert.equal(result.code, 0, result.stderr);
  const error = JSON.parse(result.stdout);
  assert.match(error.message, /installed but did not load: GLIBC_2\.99 not found/);
  assert.match(error.cause, /GLIBC_2\.99/);
});
