'use strict';
// Serverless packaging: a handler that imports kernel-native, bundled or traced the ways
// function platforms do it, then run from a folder of its own (no node_modules unless the
// recipe puts one there) in a fresh process, against the emulator.
//
// The package is laid out as npm installs it: node_modules/kernel-native with the files the
// main package ships, and node_modules/kernel-native-linux-x64-gnu holding this build's .node.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const esbuild = require('esbuild');

const { emulator } = require('./helpers/emulator');
const { runProcess, tempDir } = require('./helpers/child');

const root = path.resolve(__dirname, '..');
const main = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const PLATFORM = `${process.platform}-${process.arch}-gnu`;
const BANNER = "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";

const HANDLER_ESM = `
import Kernel from 'kernel-native';
const client = new Kernel({ baseURL: process.env.KERNEL_BASE_URL, apiKey: process.env.KERNEL_API_KEY });
export async function handler() {
  const created = await client.invocations.create({ app_name: 'fn', action_name: 'run', version: '1' });
  const updated = await client.invocations.update(created.id, { status: 'succeeded' });
  return { id: updated.id === created.id, status: updated.status, error: typeof Kernel.NotFoundError };
}
handler().then((result) => console.log(JSON.stringify(result)));
`;
const HANDLER_CJS = `
const Kernel = require('kernel-native');
const client = new Kernel({ baseURL: process.env.KERNEL_BASE_URL, apiKey: process.env.KERNEL_API_KEY });
exports.handler = async () => {
  const created = await client.invocations.create({ app_name: 'fn', action_name: 'run', version: '1' });
  const updated = await client.invocations.update(created.id, { status: 'succeeded' });
  return { id: updated.id === created.id, status: updated.status, error: typeof Kernel.NotFoundError };
};
exports.handler().then((result) => console.log(JSON.stringify(result)));
`;
const EXPECTED = { id: true, status: 'succeeded', error: 'function' };

/** A project folder with the two handlers and kernel-native installed as npm lays it out. */
function project(t) {
  const dir = tempDir(t, 'kn-bundle-');
  fs.writeFileSync(path.join(dir, 'handler.mjs'), HANDLER_ESM);
  fs.writeFileSync(path.join(dir, 'handler.cjs'), HANDLER_CJS);
  const pkg = path.join(dir, 'node_modules', 'kernel-native');
  fs.mkdirSync(path.join(pkg, 'lib'), { recursive: true });
  fs.cpSync(path.join(root, 'dist'), path.join(pkg, 'dist'), { recursive: true });
  for (const file of fs.readdirSync(path.join(root, 'lib')).filter((f) => /\.(mjs|cjs|d\.ts|d\.mts)$/.test(f))) {
    fs.copyFileSync(path.join(root, 'lib', file), path.join(pkg, 'lib', file));
  }
  fs.copyFileSync(path.join(root, 'index.d.ts'), path.join(pkg, 'index.d.ts'));
  fs.copyFileSync(path.join(root, 'package.json'), path.join(pkg, 'package.json'));
  const platformPkg = path.join(dir, 'node_modules', `kernel-native-${PLATFORM}`);
  fs.mkdirSync(platformPkg, { recursive: true });
  fs.copyFileSync(path.join(root, 'npm', PLATFORM, 'package.json'), path.join(platformPkg, 'package.json'));
  fs.copyFileSync(path.join(root, `kernel-native.${PLATFORM}.node`), path.join(platformPkg, `kernel-native.${PLATFORM}.node`));
  return dir;
}

/** Runs `file` with node in `cwd`, with only PATH and `env`; resolves like runProcess. Killed after 20 s. */
const runNode = (cwd, file, env) => runProcess(process.execPath, [file], { cwd, env: { PATH: process.env.PATH, ...env }, budget: 20_000 });

/** Moves the build output of `from` to a fresh folder, so nothing from the project is reachable. */
function isolate(t, from) {
  const dir = tempDir(t, 'kn-fn-');
  fs.cpSync(from, dir, { recursive: true });
  return dir;
}

async function assertHandlerRuns(t, dir, file) {
  const emu = await emulator(t);
  const result = await runNode(dir, file, { KERNEL_BASE_URL: emu.url, KERNEL_API_KEY: emu.apiKey });
  assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
  assert.deepEqual(JSON.parse(result.stdout), EXPECTED);
}

const bundleOptions = (dir, extra) => ({
  absWorkingDir: dir,
  bundle: true,
  platform: 'node',
  loader: { '.node': 'copy' },
  logLevel: 'silent',
  ...extra,
});

test('esbuild, ESM output with the createRequire banner: runs from its folder alone', async (t) => {
  const dir = project(t);
  await esbuild.build(bundleOptions(dir, { entryPoints: ['handler.mjs'], outdir: 'out', format: 'esm', outExtension: { '.js': '.mjs' }, banner: { js: BANNER } }));
  const out = isolate(t, path.join(dir, 'out'));
  assert.ok(fs.readdirSync(out).some((file) => file.endsWith('.node')), 'the .node was copied beside the bundle');
  await assertHandlerRuns(t, out, 'handler.mjs');
});

for (const handler of ['handler.cjs', 'handler.mjs']) {
  test(`esbuild, CommonJS output from ${handler}: runs from its folder alone`, async (t) => {
    const dir = project(t);
    await esbuild.build(bundleOptions(dir, { entryPoints: [handler], outdir: 'out', format: 'cjs', outExtension: { '.js': '.cjs' } }));
    const out = isolate(t, path.join(dir, 'out'));
    assert.ok(fs.readdirSync(out).some((file) => file.endsWith('.node')), 'the .node was copied beside the bundle');
    await assertHandlerRuns(t, out, 'handler.cjs');
  });
}

test('esbuild --external:kernel-native with the package folders copied beside (CDK nodeModules, SST install)', async (t) => {
  const dir = project(t);
  await esbuild.build(bundleOptions(dir, { entryPoints: ['handler.mjs'], outdir: 'out', format: 'esm', outExtension: { '.js': '.mjs' }, external: ['kernel-native'] }));
  const out = path.join(dir, 'out');
  for (const name of ['kernel-native', `kernel-native-${PLATFORM}`]) {
    fs.cpSync(path.join(dir, 'node_modules', name), path.join(out, 'node_modules', name), { recursive: true });
  }
  await assertHandlerRuns(t, isolate(t, out), 'handler.mjs');
});

for (const handler of ['handler.mjs', 'handler.cjs']) {
  test(`@vercel/nft traces ${handler}: the traced files run from a folder of their own`, async (t) => {
    const { nodeFileTrace } = await import('@vercel/nft');
    const dir = project(t);
    const { fileList } = await nodeFileTrace([path.join(dir, handler)], { base: dir });
    const files = [...fileList];
    assert.ok(files.some((file) => file.endsWith('.node')), `no .node traced: ${files}`);
    const out = tempDir(t, 'kn-nft-');
    for (const file of files) {
      fs.mkdirSync(path.dirname(path.join(out, file)), { recursive: true });
      fs.copyFileSync(fs.realpathSync(path.join(dir, file)), path.join(out, file));
    }
    await assertHandlerRuns(t, out, handler);
  });
}

for (const condition of ['workerd', 'edge-light', 'worker', 'browser']) {
  test(`esbuild --conditions=${condition} resolves to the module that explains, not to the addon`, async (t) => {
    const dir = project(t);
    const result = await esbuild.build(bundleOptions(dir, { entryPoints: ['handler.mjs'], outdir: 'out', format: 'esm', outExtension: { '.js': '.mjs' }, conditions: [condition], metafile: true }));
    const inputs = Object.keys(result.metafile.inputs);
    assert.ok(inputs.some((input) => input.endsWith('lib/unsupported-runtime.cjs')), inputs.join(' '));
    assert.ok(!inputs.some((input) => input.endsWith('.node') || input.endsWith('dist/kernel.js')), inputs.join(' '));
    assert.ok(!fs.readdirSync(path.join(dir, 'out')).some((file) => file.endsWith('.node')));
    // Run as Vercel Edge would present itself: the import throws a KernelError that names it.
    fs.writeFileSync(path.join(dir, 'out', 'edge.mjs'), "globalThis.EdgeRuntime = 'edge-runtime'; await import('./handler.mjs').catch((e) => console.log(JSON.stringify({ name: e.constructor.name, code: e.code, message: e.message })));");
    const run = await runNode(path.join(dir, 'out'), 'edge.mjs', {});
    assert.equal(run.code, 0, run.stderr);
    const error = JSON.parse(run.stdout);
    assert.equal(error.name, 'KernelError');
    assert.equal(error.code, 'ERR_KERNEL_NATIVE_RUNTIME');
    assert.match(error.message, /cannot run in the Vercel Edge runtime/);
    assert.match(error.message, /Node\.js runtime/);
  });
}

test('the edge module is shipped and every entry point maps the four edge conditions to it', () => {
  for (const entry of ['.', './emulator']) {
    for (const condition of ['workerd', 'edge-light', 'worker', 'browser']) {
      assert.equal(main.exports[entry][condition], './lib/unsupported-runtime.cjs', `${entry} ${condition}`);
    }
    // Conditions match in key order: the edge ones must come before import/require.
    assert.deepEqual(Object.keys(main.exports[entry]).slice(0, 4), ['workerd', 'edge-light', 'worker', 'browser']);
  }
});
