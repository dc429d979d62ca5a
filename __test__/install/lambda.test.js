'use strict';
// The README's AWS Lambda recipe, for both of Lambda's CPUs, built on this x64 machine as a user
// builds it: `npm install --os=linux --cpu=<arch> --libc=glibc` from the registry, esbuild
// with the .node copied beside the bundle, a zip of that folder alone; then the zip is unpacked
// elsewhere and its handler invoked by the CPU's own Node 22 (arm64 under qemu), the way
// Lambda's runtime imports `index.mjs` and calls `handler(event)`, against the emulator.
// (Lambda's glibc, 2.26 on Amazon Linux 2 and 2.34 on 2023, is above the 2.17 that
// binaries.test.js checks every Linux binary for.)

const test = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const esbuild = require('esbuild');

const { startRegistry } = require('./registry');
const { PACK_DIR, RUNTIMES, tempDir, installProject, installedPackages, runIn } = require('./helpers');
const { emulator } = require('../helpers/emulator');

const HANDLER = `
import Kernel from 'kernel-native';
const client = new Kernel({ baseURL: process.env.KERNEL_BASE_URL, apiKey: process.env.KERNEL_API_KEY });
export const handler = async (event) => {
  const created = await client.invocations.create({ app_name: 'lambda', action_name: event.action, version: '1' });
  const updated = await client.invocations.update(created.id, { status: 'succeeded', output: JSON.stringify(event) });
  return { same: updated.id === created.id, status: updated.status, output: updated.output, arch: process.arch };
};
`;
// What Lambda's Node runtime does with a handler named index.handler, reduced to one event.
const INVOKE = "const { handler } = await import('./index.mjs'); console.log(JSON.stringify(await handler({ action: 'zip' })));";
const BANNER = "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";

let registry;
test.before(async () => {
  assert.ok(fs.existsSync(PACK_DIR), `${PACK_DIR} is missing: run \`npm run pack:all\` first`);
  registry = await startRegistry(PACK_DIR);
});
test.after(() => registry?.close());

for (const [arch, node] of [
  ['x64', [path.join(RUNTIMES, 'node_modules', 'node22', 'bin', 'node')]],
  ['arm64', ['/usr/bin/qemu-aarch64-static', path.join(RUNTIMES, 'node22-arm64', 'bin', 'node')]],
]) {
  test(`a Lambda zip for ${arch}, built on x64 (esbuild, .node beside the bundle), runs unpacked`, async (t) => {
    const work = tempDir(t, `kn-lambda-${arch}-`);
    const project = await installProject(work, registry.url, ['--os=linux', `--cpu=${arch}`, '--libc=glibc']);
    assert.deepEqual(installedPackages(project), ['kernel-native', `kernel-native-linux-${arch}-gnu`]);
    fs.writeFileSync(path.join(project, 'handler.mjs'), HANDLER);
    const out = path.join(work, 'out');
    await esbuild.build({
      absWorkingDir: project,
      entryPoints: ['handler.mjs'],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      loader: { '.node': 'copy' },
      banner: { js: BANNER },
      outfile: path.join(out, 'index.mjs'),
      logLevel: 'silent',
    });
    const binaries = fs.readdirSync(out).filter((file) => file.endsWith('.node'));
    assert.equal(binaries.length, 1, `one .node beside the bundle: ${fs.readdirSync(out)}`);
    const zip = path.join(work, 'function.zip');
    execFileSync('python3', ['-m', 'zipfile', '-c', zip, ...fs.readdirSync(out)], { cwd: out });
    const unpacked = path.join(work, 'var-task');
    execFileSync('python3', ['-m', 'zipfile', '-e', zip, unpacked]);
    fs.writeFileSync(path.join(unpacked, 'invoke.mjs'), INVOKE);
    assert.ok(!fs.existsSync(path.join(unpacked, 'node_modules')));

    const emu = await emulator(t);
    const [command, ...args] = node;
    const result = await runIn(unpacked, command, [...args, 'invoke.mjs'], {
      env: { KERNEL_BASE_URL: emu.url, KERNEL_API_KEY: emu.apiKey },
      timeout: 300_000,
    });
    assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
    assert.deepEqual(JSON.parse(result.stdout), { same: true, status: 'succeeded', output: '{"action":"zip"}', arch });
  });
}
