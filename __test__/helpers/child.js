'use strict';
// Runs a snippet in a child `node -e` process, in the package root (so `require('kernel-native')`
// resolves to this package), and kills it if it outlives its budget.

const { spawn } = require('node:child_process');
const path = require('node:path');

const PACKAGE_ROOT = path.join(__dirname, '..', '..');

/** Resolves with { code, signal, stdout, stderr, killed, elapsed }. */
function runChild(code, { env = {}, args = [], budget = 5000 } = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [...args, '-e', code], {
      cwd: PACKAGE_ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let killed = false;
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
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

module.exports = { runChild };
