'use strict';
// The README's Next.js recipe, with a real Next.js (pinned by __test__/install/nextjs/
// package-lock.json, installed from the npm registry): a route handler that imports
// kernel-native, and `serverExternalPackages: ['kernel-native']`. kernel-native itself is an
// install of the packed tarballs from the local registry, copied into the app's node_modules.
// - Turbopack (Next 16's default) builds it; the standalone output, moved to a folder of its
//   own, serves the route against the emulator: Next's tracing shipped the addon.
// - webpack (`next build --webpack`, Next 15's default) builds it; `next start` serves it.
// - An edge route fails the build with kernel-native's own message, not a bundler error.

const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

const { startRegistry } = require('./registry');
const { PACK_DIR, NPM_CLI, tempDir, installProject, installedPackages, runIn } = require('./helpers');
const { emulator } = require('../helpers/emulator');

const FIXTURE = path.join(__dirname, 'nextjs');
const EDGE_ROUTE = "import Kernel from 'kernel-native';\nexport const runtime = 'edge';\nexport function GET() { return Response.json({ kernel: typeof Kernel }); }\n";

let registry;
test.before(async () => {
  assert.ok(fs.existsSync(PACK_DIR), `${PACK_DIR} is missing: run \`npm run pack:all\` first`);
  registry = await startRegistry(PACK_DIR);
});
test.after(() => registry?.close());

/** A free port on 127.0.0.1. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/**
 * Starts `node args` in `cwd` as a Next server on a free port, fetches /api/update once it
 * answers, stops the server and returns the parsed body.
 */
async function serveAndCall(cwd, args, env) {
  const port = await freePort();
  const server = spawn(process.execPath, args, {
    cwd,
    env: { PATH: process.env.PATH, HOME: cwd, PORT: String(port), HOSTNAME: '127.0.0.1', NEXT_TELEMETRY_DISABLED: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  server.stdout.setEncoding('utf8').on('data', (chunk) => (output += chunk));
  server.stderr.setEncoding('utf8').on('data', (chunk) => (output += chunk));
  const exited = new Promise((resolve) => server.on('close', resolve));
  try {
    for (const started = Date.now(); Date.now() - started < 30_000 && server.exitCode === null; ) {
      const answer = await fetch(`http://127.0.0.1:${port}/api/update`).catch(() => undefined);
      if (answer) {
        const body = await answer.text();
        assert.equal(answer.status, 200, `${body}\n${output}`);
        return JSON.parse(body);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    return assert.fail(`no answer on port ${port} (exit ${server.exitCode}):\n${output}`);
  } finally {
    server.kill('SIGKILL');
    await exited;
  }
}

test('Next.js route handler with serverExternalPackages: Turbopack standalone and webpack builds serve it; an edge route fails clearly', async (t) => {
  const work = tempDir(t, 'kn-next-');
  const app = path.join(work, 'app');
  fs.cpSync(FIXTURE, app, { recursive: true });
  const ci = await runIn(app, process.execPath, [NPM_CLI, 'ci', `--cache=${path.join(work, 'npm-cache')}`, '--no-audit', '--no-fund', '--ignore-scripts'], {
    env: { NEXT_TELEMETRY_DISABLED: '1' },
    timeout: 300_000,
  });
  assert.equal(ci.status, 0, `npm ci (Next.js):\n${ci.stdout}\n${ci.stderr}`);
  const installed = await installProject(tempDir(t, 'kn-next-install-'), registry.url);
  for (const name of installedPackages(installed)) {
    fs.cpSync(path.join(installed, 'node_modules', name), path.join(app, 'node_modules', name), { recursive: true });
  }
  const next = path.join(app, 'node_modules', 'next', 'dist', 'bin', 'next');
  const build = (...flags) => runIn(app, process.execPath, [next, 'build', ...flags], { env: { NEXT_TELEMETRY_DISABLED: '1' }, timeout: 300_000 });
  const emu = await emulator(t);
  const apiEnv = { KERNEL_BASE_URL: emu.url, KERNEL_API_KEY: emu.apiKey };

  await t.test('Turbopack: the standalone output, alone in its folder, serves the route', async () => {
    const built = await build();
    assert.equal(built.status, 0, `${built.stdout}\n${built.stderr}`);
    const standalone = path.join(work, 'standalone');
    fs.cpSync(path.join(app, '.next', 'standalone'), standalone, { recursive: true, verbatimSymlinks: true });
    const traced = path.join(standalone, 'node_modules', 'kernel-native-linux-x64-gnu', 'kernel-native.linux-x64-gnu.node');
    assert.ok(fs.existsSync(traced), 'Next traced the addon into the standalone output');
    fs.rmSync(path.join(app, '.next'), { recursive: true });
    assert.deepEqual(await serveAndCall(standalone, ['server.js'], apiEnv), { same: true, status: 'succeeded' });
  });

  await t.test('an edge route fails the build with ERR_KERNEL_NATIVE_RUNTIME and what to use', async () => {
    const edge = path.join(app, 'app', 'api', 'edge');
    fs.mkdirSync(edge, { recursive: true });
    fs.writeFileSync(path.join(edge, 'route.js'), EDGE_ROUTE);
    const built = await build();
    fs.rmSync(edge, { recursive: true });
    const output = `${built.stdout}\n${built.stderr}`;
    assert.notEqual(built.status, 0, output);
    assert.match(output, /kernel-native cannot run in the Vercel Edge runtime/, output);
    assert.match(output, /runtime = "nodejs"/, output);
    assert.match(output, /ERR_KERNEL_NATIVE_RUNTIME/, output);
  });

  await t.test('webpack: next build --webpack, then next start, serves the route', async () => {
    const built = await build('--webpack');
    assert.equal(built.status, 0, `${built.stdout}\n${built.stderr}`);
    assert.deepEqual(await serveAndCall(app, [next, 'start'], apiEnv), { same: true, status: 'succeeded' });
  });
});
