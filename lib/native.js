'use strict';
// Loads the addon, in this order: the file named by NAPI_RS_NATIVE_LIBRARY_PATH, a local build
// at the package root (a development checkout), then the platform package that npm installed
// from optionalDependencies (kernel-native-<platform>-<arch>[-<abi>]).
//
// Linux tries glibc before musl and keeps the first that loads, instead of asking which libc
// this is: the usual probes (reading /usr/bin/ldd, process.report) cost more than the rest of
// the import. On musl the glibc package is not installed (npm filters by its `libc` field), or
// fails to load and the musl one is next. Every require() names its file literally, so that
// bundlers and file tracers can follow it.

const { KernelError } = require('./errors');

/**
 * Tries the builds for one platform and architecture in order; returns the first binding that
 * loads, or undefined. Each require() stands inside its own `try`, so that a bundler (esbuild)
 * leaves one it cannot resolve (a package for another libc) as it is instead of failing.
 * `failed` hears of every file that was found but did not load.
 */
function loadFor(platform, arch, failed) {
  switch (`${platform}-${arch}`) {
    case 'linux-x64':
      try { return require('../kernel-native.linux-x64-gnu.node'); } catch (e) { failed(e); }
      try { return require('kernel-native-linux-x64-gnu'); } catch (e) { failed(e); }
      try { return require('../kernel-native.linux-x64-musl.node'); } catch (e) { failed(e); }
      try { return require('kernel-native-linux-x64-musl'); } catch (e) { failed(e); }
      return undefined;
    case 'linux-arm64':
      try { return require('../kernel-native.linux-arm64-gnu.node'); } catch (e) { failed(e); }
      try { return require('kernel-native-linux-arm64-gnu'); } catch (e) { failed(e); }
      try { return require('../kernel-native.linux-arm64-musl.node'); } catch (e) { failed(e); }
      try { return require('kernel-native-linux-arm64-musl'); } catch (e) { failed(e); }
      return undefined;
    case 'darwin-x64':
      try { return require('../kernel-native.darwin-x64.node'); } catch (e) { failed(e); }
      try { return require('kernel-native-darwin-x64'); } catch (e) { failed(e); }
      return undefined;
    case 'darwin-arm64':
      try { return require('../kernel-native.darwin-arm64.node'); } catch (e) { failed(e); }
      try { return require('kernel-native-darwin-arm64'); } catch (e) { failed(e); }
      return undefined;
    case 'win32-x64':
      try { return require('../kernel-native.win32-x64-msvc.node'); } catch (e) { failed(e); }
      try { return require('kernel-native-win32-x64-msvc'); } catch (e) { failed(e); }
      return undefined;
    default:
      return undefined;
  }
}

/** The platform packages that fit each platform and architecture, in the order they are tried. */
const PACKAGES = {
  'linux-x64': ['kernel-native-linux-x64-gnu', 'kernel-native-linux-x64-musl'],
  'linux-arm64': ['kernel-native-linux-arm64-gnu', 'kernel-native-linux-arm64-musl'],
  'darwin-x64': ['kernel-native-darwin-x64'],
  'darwin-arm64': ['kernel-native-darwin-arm64'],
  'win32-x64': ['kernel-native-win32-x64-msvc'],
};

function load() {
  const override = process.env.NAPI_RS_NATIVE_LIBRARY_PATH;
  if (override) return require(override);

  const { platform, arch } = process;
  const failures = [];
  const binding = loadFor(platform, arch, (error) => {
    // MODULE_NOT_FOUND: nothing there. Anything else: there, but it did not load.
    if (error?.code !== 'MODULE_NOT_FOUND') failures.push(error);
  });
  if (binding) return binding;
  throw missingBinaryError(platform, arch, PACKAGES[`${platform}-${arch}`] ?? [], failures);
}

/** glibc or musl, asked only on the error path: process.report is slow. */
function libcOf(platform) {
  if (platform !== 'linux') return undefined;
  try {
    const report = process.report?.getReport();
    if (report?.header?.glibcVersionRuntime) return `glibc ${report.header.glibcVersionRuntime}`;
    if (report?.sharedObjects?.some((file) => file.includes('musl'))) return 'musl';
  } catch {
    // fall through: unknown
  }
  return 'unknown libc';
}

/** The error for a platform with no installed (or no loadable) binary: what, why, and how to fix it. */
function missingBinaryError(platform, arch, packages, failures) {
  const where = [platform, arch, libcOf(platform)].filter(Boolean).join(' ');
  const loadErrors = failures.map((error) => error.message.split('\n')[0]).join('; ');
  const lines = [];
  if (packages.length === 0) {
    lines.push(`kernel-native has no prebuilt binary for ${where}: no platform package exists for it.`);
  } else {
    lines.push(`kernel-native could not load its native binary for ${where}: looked for the package ${packages.join(' or ')}.`);
    if (failures.length > 0) {
      lines.push(`It is installed but did not load: ${loadErrors}`);
    } else {
      lines.push(
        'It is not installed: npm skipped the optional dependency (optional dependencies turned off,',
        'or a package-lock.json made on another platform).',
        'Fix: run `npm install --include=optional`, or remove package-lock.json and node_modules and run `npm install` again.',
      );
    }
  }
  lines.push(
    'Supported platforms: https://www.npmjs.com/package/kernel-native#supported-platforms',
    'To load a binary built yourself, set NAPI_RS_NATIVE_LIBRARY_PATH to its .node file.',
  );
  const error = new KernelError(lines.join('\n'));
  error.code = 'ERR_KERNEL_NATIVE_BINARY';
  if (failures.length > 0) error.cause = failures.length === 1 ? failures[0] : new AggregateError(failures, loadErrors);
  return error;
}

module.exports = load();
