'use strict';
// Makes a fresh clone runnable: installs the npm dependencies when they are missing and builds
// the addon when it is missing or older than the Rust sources. Used by `npm run demo`, `npm
// test` and `npm run soak`.

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

/** Newest modification time of the Rust sources that go into the addon. */
function newestSource() {
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
  const all = [...files.map((file) => path.join(root, file)), ...dirs.flatMap((dir) => walk(path.join(root, dir)))];
  return Math.max(...all.filter((file) => fs.existsSync(file)).map((file) => fs.statSync(file).mtimeMs));
}

if (!fs.existsSync(path.join(root, 'node_modules', '@napi-rs', 'cli'))) run(['ci', '--no-audit', '--no-fund']);
if (!fs.existsSync(addon) || fs.statSync(addon).mtimeMs < newestSource(root)) run(['run', 'build']);
