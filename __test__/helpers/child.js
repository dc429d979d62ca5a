'use strict';
// Child processes for the tests: any command with its output collected and a time budget
// (`runProcess`), a snippet in a child `node -e` in the package root (`runChild`, so that
// `require('kernel-native')` resolves to this package), temporary folders, and environment
// variables put back when a test ends.

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const PACKAGE_ROOT = path.join(__dirname, '..', '..');

/**
 * Runs `command args` in `cwd` with exactly `env`, and kills it if it outlives `budget` ms.
 * Resolves with { code, signal, stdout, stderr, killed, elapsed }.
 */
function runProcess(command, args, { cwd, env, budget }) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let killed = false;
    child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, budget);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, killed, elapsed: performance.now() - started });
    });
  });
}

/** Runs `code` with `node -e` in the package root; resolves like runProcess. */
function runChild(code, { env = {}, args = [], budget = 5000 } = {}) {
  return runProcess(process.execPath, [...args, '-e', code], { cwd: PACKAGE_ROOT, env: { ...process.env, ...env }, budget });
}

/** A fresh temporary folder; removed when test `t` ends. */
function tempDir(t, prefix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Puts environment variable `name` back as it is now (set or unset) when test `t` ends. */
function restoreEnvAfter(t, name) {
  const saved = process.env[name];
  t.after(() => {
    if (saved === undefined) delete process.env[name];
    else process.env[name] = saved;
  });
}

module.exports = { runProcess, runChild, tempDir, restoreEnvAfter };
