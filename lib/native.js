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

/** The candidates for one platform and architecture, each a target name and its loaders. */
function candidatesFor(platform, arch) {
  switch (`${platform}-${arch}`) {
    case 'linux-x64':
      return [
        ['linux-x64-gnu', () => require('../kernel-native.linux-x64-gnu.node'), () => require('kernel-native-linux-x64-gnu')],
        ['linux-x64-musl', () => require('../kernel-native.linux-x64-musl.node'), () => require('kernel-native-linux-x64-musl')],
      ];
    case 'linux-arm64':
      return [
        ['linux-arm64-gnu', () => require('../kernel-native.linux-arm64-gnu.node'), () => require('kernel-native-linux-arm64-gnu')],
        ['linux-arm64-musl', () => require('../kernel-native.linux-arm64-musl.node'), () => require('kernel-native-linux-arm64-musl')],
      ];
    case 'darwin-x64':
      return [['darwin-x64', () => require('../kernel-native.darwin-x64.node'), () => require('kernel-native-darwin-x64')]];
    case 'darwin-arm64':
      return [['darwin-arm64', () => require('../kernel-native.darwin-arm64.node'), () => require('kernel-native-darwin-arm64')]];
    case 'win32-x64':
      return [['win32-x64-msvc', () => require('../kernel-native.win32-x64-msvc.node'), () => require('kernel-native-win32-x64-msvc')]];
    default:
      return [];
  }
}

/** Whether `error` says only that `require()` found nothing to load (as opposed to a file that failed to load). */
const isNotFound = (error) => error?.code === 'MODULE_NOT_FOUND';

function load() {
  const override = process.env.NAPI_RS_NATIVE_LIBRARY_PATH;
  if (override) return require(override);

  const { platform, arch } = process;
  const candidates = candidatesFor(platform, arch);
  const failures = [];
  for (const [, ...loaders] of candidates) {
    for (const loader of loaders) {
      try {
        return loader();
      } catch (error) {
        if (!isNotFound(error)) failures.push(error);
      }
    }
  }
  throw missingBinaryError(platform, arch, candidates, failures);
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
function missingBinaryError(platform, arch, candidates, failures) {
  const libc = libcOf(platform);
  const where = [platform, arch, libc].filter(Boolean).join(' ');
  const packages = candidates.map(([target]) => `kernel-native-${target}`);
  const loadErrors = failures.map((error) => error.message.split('\n')[0]).join('; ');
  const lines = [];
  if (candidates.length === 0) {
    lines.push(`kernel-native has no prebuilt binary for ${where}: no platform package exists for it.`);
  } else {
    lines.push(`kernel-native could not load its native binary for ${where}: looked for the package ${packages.join(' or ')}.`);
    if (failures.length > 0) {
      lines.push(`It is installed but did not load: ${loadErrors}`);
    } else {
      lines.push(
        'It is not installed: npm skipped the optional dependency (optional dependencies turned off,',
        'or a package-lock.json made on another platform).',
        `Fix: run \`npm install --include=optional\`, or remove package-lock.json and node_modules and run \`npm install\` again.`,
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
