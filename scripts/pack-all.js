'use strict';
// `npm run pack:all [-- <target>...]`: builds the .node of every target that can be built on
// this Linux x86_64 machine (all but Windows; scripts/targets.js says how), puts each into its
// platform package under npm/, and writes the tarballs of those packages and of the main
// package to target/npm-pack/: what a release publishes. Cargo's incremental builds make a
// second run take seconds.

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { targets, packageName, binaryName } = require('./targets');

const root = path.resolve(__dirname, '..');
const packDir = path.join(root, 'target', 'npm-pack');
const tools = path.join(root, '.tools');

function run(command, args, options = {}) {
  console.error(`> ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], ...options });
  if (result.status !== 0) {
    console.error(`pack:all: \`${command} ${args.join(' ')}\` failed (${result.error?.message ?? `exit ${result.status}`})`);
    process.exit(1);
  }
}

/** The environment cargo-zigbuild runs in for `target`: which rustc, zig, and per-target settings. */
function buildEnv(target) {
  const env = { ...process.env, ...target.env };
  const zigPaths = [path.join(tools, 'zig-venv', 'bin'), path.join(tools, 'bin')];
  if (target.toolchain === 'debian') {
    // Debian's cargo and rustc, ahead of rustup's proxies.
    env.PATH = [...zigPaths, '/usr/bin', env.PATH].join(path.delimiter);
    env.RUSTC = '/usr/bin/rustc';
    if (target.buildStd) env.RUSTC_BOOTSTRAP = '1'; // -Zbuild-std on a stable compiler
  } else {
    env.PATH = [...zigPaths, env.PATH].join(path.delimiter);
  }
  if (target.macosTarget) {
    // Stripping Mach-O needs rust-objcopy, which Debian does not ship; the linker strips instead
    // (see build()). C code (ring's) is compiled for the same minimum macOS.
    env.CARGO_PROFILE_RELEASE_STRIP = 'false';
    env[`CFLAGS_${target.triple.replaceAll('-', '_')}`] = `-target ${target.macosTarget}`;
  }
  return env;
}

/**
 * Builds `target`'s .node and returns its path. Each target has its own target dir: in a
 * shared one, the per-target environments (RUSTC_BOOTSTRAP, zig's CC settings) invalidate the
 * host build scripts and proc-macros, and every run rebuilt three targets.
 */
function build(target) {
  const targetDir = path.join(root, 'target', 'pack', target.name);
  const args = ['zigbuild', '--release', '--locked', '-p', 'kernel-native', '--target', target.zigTarget ?? target.triple];
  args.push('--target-dir', targetDir);
  if (target.buildStd) args.push('-Zbuild-std=std,panic_unwind');
  if (target.macosTarget) {
    const rustflags = [
      'link-arg=-Wl,-x', // strip local symbols at link time: Rust's own strip needs rust-objcopy
      `link-arg=-F${path.join(__dirname, 'macos-sdk-stubs')}`, // Security, CoreFoundation (no SDK here)
      'link-arg=-target', // the minimum macOS, which zig takes only from a versioned target
      `link-arg=${target.macosTarget}`,
    ].flatMap((flag) => ['-C', flag]);
    args.push('--config', `target.${target.triple}.rustflags=${JSON.stringify(rustflags)}`);
  }
  run('cargo', args, { env: buildEnv(target) });
  const library = target.macosTarget ? 'libkernel_native.dylib' : 'libkernel_native.so';
  return path.join(targetDir, target.triple, 'release', library);
}

/**
 * Packs the main package with `optionalDependencies` on every platform package, pinned to its
 * own version. They are added to a staged copy, not to the repository's package.json: there
 * they would name packages that do not exist before the first release, and `npm ci` would
 * refuse the lockfile.
 */
function packMain() {
  const stage = path.join(root, 'target', 'npm-stage');
  fs.rmSync(stage, { recursive: true, force: true });
  fs.mkdirSync(stage, { recursive: true });
  run('npm', ['pack', '--silent', '--pack-destination', stage]); // prepack bundles lib/ into dist/
  const [tarball] = fs.readdirSync(stage);
  run('tar', ['-xzf', path.join(stage, tarball), '-C', stage]);
  const manifestFile = path.join(stage, 'package', 'package.json');
  const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
  manifest.optionalDependencies = Object.fromEntries(targets.map((target) => [packageName(target), manifest.version]));
  fs.writeFileSync(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
  run('npm', ['pack', '--silent', '--ignore-scripts', '--pack-destination', packDir], { cwd: path.join(stage, 'package') });
}

function main() {
  // --prebuilt: the .node files are already in npm/<target>/ (the release workflow's
  // `napi artifacts` put them there): pack all seven, build nothing.
  const prebuilt = process.argv.includes('--prebuilt');
  const wanted = process.argv.slice(2).filter((arg) => arg !== '--prebuilt');
  const unknown = wanted.filter((name) => !targets.some((target) => target.name === name));
  if (unknown.length > 0) {
    console.error(`pack:all: unknown target ${unknown.join(', ')}; known: ${targets.map((t) => t.name).join(', ')}`);
    process.exit(2);
  }
  const buildable = (target) => prebuilt || target.toolchain;
  const selected = targets.filter((target) => buildable(target) && (wanted.length === 0 || wanted.includes(target.name)));

  if (!fs.existsSync(path.join(root, 'node_modules', 'esbuild'))) run('npm', ['ci', '--no-audit', '--no-fund']);
  if (!prebuilt) run('bash', [path.join('scripts', 'install-cross-toolchain.sh')]);
  // A full run starts from an empty folder, so that no tarball of an older version lingers.
  if (wanted.length === 0) fs.rmSync(packDir, { recursive: true, force: true });
  fs.mkdirSync(packDir, { recursive: true });

  for (const target of selected) {
    const binary = path.join(root, 'npm', target.name, binaryName(target));
    if (!prebuilt) fs.copyFileSync(build(target), binary);
    if (!fs.existsSync(binary)) {
      console.error(`pack:all: ${path.relative(root, binary)} is missing`);
      process.exit(1);
    }
    run('npm', ['pack', '--silent', '--pack-destination', packDir], { cwd: path.join(root, 'npm', target.name) });
  }
  packMain();
  console.error(`pack:all: ${fs.readdirSync(packDir).join(', ')} in ${path.relative(root, packDir)}/`);
}

main();
