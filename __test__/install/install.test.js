'use strict';
// Installs the tarballs of `npm run pack:all` (target/npm-pack/) from a local registry into
// empty projects, as users install: install scripts off, no Rust on PATH. Checks which
// platform package npm picks for each platform, runs the smoke on every runtime that can run
// the binary here, and checks the format of those that cannot.

const test = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const { startRegistry } = require('./registry');
const { assertReleaseBinary } = require('./binary');
const { REPO, PACK_DIR, RUNTIMES, tempDir, installProject, installedPackages, runIn, addSmoke } = require('./helpers');
const { targets, packageName, binaryName } = require('../../scripts/targets');

const SMOKE_STEPS = 8;
const version = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')).version;

let registry;
test.before(async () => {
  assert.ok(fs.existsSync(PACK_DIR), `${PACK_DIR} is missing: run \`npm run pack:all\` first`);
  assert.ok(fs.existsSync(path.join(RUNTIMES, 'node_modules')), 'runtimes missing: run scripts/install-runtimes.sh first');
  registry = await startRegistry(PACK_DIR);
});
test.after(() => registry?.close());

/** Asserts that a smoke run passed every step; shows its output when not. */
function assertSmokePassed(result, label) {
  const output = `${label}: exit ${result.status} ${result.signal ?? ''}\n${result.stdout}\n${result.stderr}`;
  assert.equal(result.status, 0, output);
  assert.match(result.stdout, new RegExp(`: ${SMOKE_STEPS} passed, 0 failed`), output);
}

test('the main package carries no .node and pins all seven platform packages to its version', () => {
  const tarball = path.join(PACK_DIR, `kernel-native-${version}.tgz`);
  const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n');
  assert.deepEqual(files.filter((file) => file.endsWith('.node')), []);
  assert.ok(files.includes('package/dist/kernel.js') && files.includes('package/index.d.ts'), files.join(' '));
  const manifest = JSON.parse(execFileSync('tar', ['-xzOf', tarball, 'package/package.json'], { encoding: 'utf8' }));
  assert.deepEqual(manifest.optionalDependencies, Object.fromEntries(targets.map((t) => [packageName(t), version])));
});

test('on linux x64 glibc, npm picks exactly linux-x64-gnu; the smoke passes on Node 18-24, Bun and Deno', async (t) => {
  const project = await installProject(tempDir(t, 'kn-x64-'), registry.url);
  assert.deepEqual(installedPackages(project), ['kernel-native', 'kernel-native-linux-x64-gnu']);
  assertReleaseBinary('linux-x64-gnu', path.join(project, 'node_modules', 'kernel-native-linux-x64-gnu', binaryName({ name: 'linux-x64-gnu' })));
  addSmoke(project);
  const bin = (name) => path.join(RUNTIMES, 'node_modules', name, 'bin', 'node');
  const runtimes = [
    ['node 18', bin('node18'), []],
    ['node 20', process.execPath, []],
    ['node 22', bin('node22'), []],
    ['node 24', bin('node24'), []],
    ['bun', path.join(RUNTIMES, 'node_modules', '.bin', 'bun'), []],
    ['deno', path.join(RUNTIMES, 'node_modules', '.bin', 'deno'), ['run', '-A']],
  ];
  for (const [name, command, args] of runtimes) {
    for (const file of ['smoke.mjs', 'smoke.cjs']) {
      await t.test(`${name}, ${file}`, async () => assertSmokePassed(await runIn(project, command, [...args, file, name]), `${name} ${file}`));
    }
  }
  await t.test('tsc --strict, module nodenext', async () => {
    const tsconfig = {
      compilerOptions: {
        strict: true,
        module: 'nodenext',
        moduleResolution: 'nodenext',
        target: 'es2022',
        noEmit: true,
        types: ['node'],
        typeRoots: [path.join(REPO, 'node_modules', '@types')],
      },
      files: ['usage.mts'],
    };
    fs.writeFileSync(path.join(project, 'tsconfig.json'), JSON.stringify(tsconfig));
    const result = await runIn(project, process.execPath, [path.join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json']);
    assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
  });
});

test('the loader takes the override path, then a local build, then the platform package', async (t) => {
  const root = tempDir(t, 'kn-loader-');
  const project = await installProject(root, registry.url);
  const shipped = path.join(project, 'node_modules', 'kernel-native-linux-x64-gnu', 'kernel-native.linux-x64-gnu.node');
  const loaded = async (env = {}) => {
    const code = "require('kernel-native'); console.log(Object.keys(require.cache).filter((f) => f.endsWith('.node')).join(','))";
    const result = await runIn(project, process.execPath, ['-e', code], { env });
    assert.equal(result.status, 0, result.stderr);
    return result.stdout.trim();
  };
  assert.equal(await loaded(), fs.realpathSync(shipped));

  const local = path.join(project, 'node_modules', 'kernel-native', 'kernel-native.linux-x64-gnu.node');
  fs.copyFileSync(shipped, local);
  assert.equal(await loaded(), local);

  const override = path.join(root, 'elsewhere.node');
  fs.copyFileSync(shipped, override);
  assert.equal(await loaded({ NAPI_RS_NATIVE_LIBRARY_PATH: override }), override);
});

test('without its platform package, loading kernel-native says what is missing and how to fix it', async (t) => {
  const project = await installProject(tempDir(t, 'kn-missing-'), registry.url, ['--omit=optional']);
  assert.deepEqual(installedPackages(project), ['kernel-native']);
  const probe = (entry) =>
    `(async () => { try { ${entry}; console.log('loaded') } catch (e) {` +
    ` console.log(JSON.stringify({ message: e.message, code: e.code, kernel: e instanceof Error && e.constructor.name })) } })()`;
  for (const entry of ["require('kernel-native')", "await import('kernel-native')"]) {
    const result = await runIn(project, process.execPath, ['-e', probe(entry)]);
    assert.equal(result.status, 0, result.stderr);
    const error = JSON.parse(result.stdout);
    const [first, ...rest] = error.message.split('\n');
    assert.match(first, /linux x64 glibc \d+\.\d+/, entry);
    assert.match(first, /kernel-native-linux-x64-gnu/, entry);
    const help = rest.join('\n');
    assert.match(help, /npm install --include=optional/);
    assert.match(help, /remove package-lock\.json and node_modules/);
    assert.match(help, /#supported-platforms/);
    assert.equal(error.code, 'ERR_KERNEL_NATIVE_BINARY');
    assert.equal(error.kernel, 'KernelError');
  }
});

test('--cpu=arm64 --libc=glibc picks linux-arm64-gnu; the smoke passes in arm64 Node 22 under qemu', async (t) => {
  const project = await installProject(tempDir(t, 'kn-arm64-'), registry.url, ['--os=linux', '--cpu=arm64', '--libc=glibc']);
  assert.deepEqual(installedPackages(project), ['kernel-native', 'kernel-native-linux-arm64-gnu']);
  assertReleaseBinary('linux-arm64-gnu', path.join(project, 'node_modules', 'kernel-native-linux-arm64-gnu', 'kernel-native.linux-arm64-gnu.node'));
  addSmoke(project);
  const node = path.join(RUNTIMES, 'node22-arm64', 'bin', 'node');
  for (const file of ['smoke.mjs', 'smoke.cjs']) {
    const result = await runIn(project, '/usr/bin/qemu-aarch64-static', [node, file, 'node 22 arm64'], { timeout: 300_000 });
    assertSmokePassed(result, `arm64 ${file}`);
  }
});

for (const [flags, target] of [
  [['--os=linux', '--cpu=x64', '--libc=musl'], 'linux-x64-musl'],
  [['--os=linux', '--cpu=arm64', '--libc=musl'], 'linux-arm64-musl'],
  [['--os=darwin', '--cpu=x64'], 'darwin-x64'],
  [['--os=darwin', '--cpu=arm64'], 'darwin-arm64'],
]) {
  test(`${flags.join(' ')} picks ${target}, whose binary has the right format, CPU, libc and exports`, async (t) => {
    const project = await installProject(tempDir(t, `kn-${target}-`), registry.url, flags);
    assert.deepEqual(installedPackages(project), ['kernel-native', `kernel-native-${target}`]);
    assertReleaseBinary(target, path.join(project, 'node_modules', `kernel-native-${target}`, `kernel-native.${target}.node`));
  });
}
