'use strict';
// Makes a fresh clone runnable: installs the npm dependencies when they are missing, builds
// the addon when it is missing or older than the Rust sources, and bundles the JS layer when
// dist/ is missing or older than lib/. Runs before `npm run demo`, `npm run test:js` (so
// `npm test`) and `npm run soak`. (`npm pack` only bundles: the main package carries no .node.)

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const addon = path.join(root, `kernel-native.${process.platform}-${process.arch}-gnu.node`);

function run(args) {
  // Inside `npm run`, npm_execpath is the npm that started us; use the same one.
  const npm = process.env.npm_execpath;
  const [command, commandArgs] = npm ? [process.execPath, [npm, ...args]] : ['npm', args];
  console.error(`> npm ${args.join(' ')}`);
  const result = spawnSync(command, commandArgs, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

/** Newest modification time among `files`, skipping those that do not exist. */
function newest(files) {
  return Math.max(...files.filter((file) => fs.existsSync(file)).map((file) => fs.statSync(file).mtimeMs));
}

/** Whether `output` is missing or older than `sourceTime`. */
const stale = (output, sourceTime) => !fs.existsSync(output) || fs.statSync(output).mtimeMs < sourceTime;

/** Newest modification time of the Rust sources that go into the addon. */
function newestRustSource() {
  const files = ['Cargo.toml', 'Cargo.lock', 'build.rs'];
  const dirs = ['src'];
  for (const crate of fs.readdirSync(path.join(root, 'crates'))) {
    files.push(path.join('crates', crate, 'Cargo.toml'));
    dirs.push(path.join('crates', crate, 'src'));
  }
  const walk = (dir) =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const full = path.join(dir, entry.name);
      return entry.isDirectory() ? walk(full) : [full];
    });
  return newest([...files.map((file) => path.join(root, file)), ...dirs.flatMap((dir) => walk(path.join(root, dir)))]);
}

/** Newest modification time of what goes into the JS bundles. */
function newestJsSource() {
  const lib = fs.readdirSync(path.join(root, 'lib')).map((name) => path.join(root, 'lib', name));
  return newest([...lib, path.join(root, 'scripts', 'bundle.js'), path.join(root, 'package-lock.json')]);
}

const installed = ['@napi-rs/cli', 'esbuild'].every((name) => fs.existsSync(path.join(root, 'node_modules', name)));
if (!installed) run(['ci', '--no-audit', '--no-fund']);
if (stale(addon, newestRustSource())) {
  run(['run', 'build']); // the addon, then the bundles
} else if (['kernel.js', 'emulator.js'].some((name) => stale(path.join(root, 'dist', name), newestJsSource()))) {
  run(['run', 'build:js']);
}
