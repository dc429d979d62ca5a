'use strict';
// Shared by the install tests: empty projects that install kernel-native from the local
// registry the way users do (install scripts off, no Rust on PATH), and runs of code in them.

const fs = require('node:fs');
const path = require('node:path');

const { runProcess, tempDir } = require('../helpers/child');

const REPO = path.resolve(__dirname, '..', '..');
const PACK_DIR = path.join(REPO, 'target', 'npm-pack');
const RUNTIMES = path.join(REPO, '.tools', 'runtimes');
const NPM_CLI = process.env.npm_execpath?.endsWith('npm-cli.js')
  ? process.env.npm_execpath
  : path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');

/**
 * A PATH with node and sh only, so that nothing an install or a smoke does can reach cargo or
 * rustc (rustup's and Debian's both live in directories npm would otherwise see).
 */
function pathWithoutRust(root) {
  const bin = path.join(root, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  for (const [name, target] of [
    ['node', process.execPath],
    ['sh', '/bin/sh'],
  ]) {
    if (!fs.existsSync(path.join(bin, name))) fs.symlinkSync(target, path.join(bin, name));
  }
  return bin;
}

/** An environment with no Rust on PATH and none of the parent's npm settings. */
function cleanEnv(root, extra = {}) {
  return { HOME: root, PATH: pathWithoutRust(root), LANG: 'C.UTF-8', ...extra };
}

/**
 * Runs `command args` with no Rust on PATH, asynchronously (the registry answers from this
 * process's event loop); kills it after `timeout` ms. Resolves to { status, signal, stdout, stderr }.
 */
async function run(command, args, { cwd, root, env = {}, timeout = 120_000 }) {
  const result = await runProcess(command, args, { cwd, env: cleanEnv(root, env), budget: timeout });
  if (result.killed) result.stderr += `\n[killed after ${timeout} ms]`;
  return { ...result, status: result.code };
}

/**
 * Creates an empty project under `root` and runs `npm install kernel-native` in it from
 * `registryUrl`, with `flags` (e.g. `--cpu=arm64`). Resolves to the project folder.
 */
async function installProject(root, registryUrl, flags = []) {
  const project = path.join(root, 'project');
  fs.mkdirSync(project, { recursive: true });
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'user-app', version: '1.0.0', private: true }));
  const args = [NPM_CLI, 'install', 'kernel-native', `--registry=${registryUrl}`, `--cache=${path.join(root, 'npm-cache')}`];
  args.push('--ignore-scripts', '--no-audit', '--no-fund', '--no-update-notifier', ...flags);
  const result = await run(process.execPath, args, { cwd: project, root });
  if (result.status !== 0) throw new Error(`npm install ${flags.join(' ')} failed:\n${result.stdout}\n${result.stderr}`);
  return project;
}

/** The kernel-native packages installed in `project`, sorted. */
function installedPackages(project) {
  return fs
    .readdirSync(path.join(project, 'node_modules'))
    .filter((name) => name.startsWith('kernel-native'))
    .sort();
}

/** Runs `command args` in `project` (made by installProject) with no Rust on PATH. */
function runIn(project, command, args, options = {}) {
  return run(command, args, { ...options, cwd: project, root: path.dirname(project) });
}

/** Copies the smoke scripts into `project`. */
function addSmoke(project) {
  for (const file of fs.readdirSync(path.join(__dirname, 'smoke'))) {
    fs.copyFileSync(path.join(__dirname, 'smoke', file), path.join(project, file));
  }
}

module.exports = { REPO, PACK_DIR, RUNTIMES, NPM_CLI, tempDir, installProject, installedPackages, runIn, addSmoke };
