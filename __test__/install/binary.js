'use strict';
// Reads what a built .node file is, without loading it: file format, CPU, which libc it links,
// the newest glibc symbol version it needs, the macOS minimum it names, and whether it exports
// napi_register_module_v1. ELF files are read with binutils' readelf; Mach-O files (which
// readelf does not read) with the small parser below.

const { execFileSync } = require('node:child_process');
const fs = require('node:fs');

const MACHO_MAGIC_64 = 0xfeedfacf;
const MH_TWOLEVEL = 0x80;
const CPU_TYPE = { 0x01000007: 'x86_64', 0x0100000c: 'arm64' };
const LC_SYMTAB = 0x2;
const LC_LOAD_DYLIB = 0xc;
const LC_CODE_SIGNATURE = 0x1d;
const LC_VERSION_MIN_MACOSX = 0x24;
const LC_BUILD_VERSION = 0x32;
const N_EXT = 0x01;
const N_TYPE = 0x0e;
const N_UNDF = 0x00;
const N_SECT = 0x0e;

/** "X.Y.Z" from Mach-O's packed xxxx.yy.zz version. */
const machoVersion = (packed) => `${packed >>> 16}.${(packed >>> 8) & 0xff}.${packed & 0xff}`;
const cString = (bytes, start) => bytes.toString('latin1', start, bytes.indexOf(0, start));

function inspectMachO(bytes) {
  const cpu = CPU_TYPE[bytes.readUInt32LE(4)] ?? `cpu type ${bytes.readUInt32LE(4).toString(16)}`;
  const commandCount = bytes.readUInt32LE(16);
  const twoLevel = Boolean(bytes.readUInt32LE(24) & MH_TWOLEVEL);
  let offset = 32; // mach_header_64
  let macosMin;
  let symtab;
  let signed = false;
  const dylibs = [];
  for (let i = 0; i < commandCount; i += 1) {
    const command = bytes.readUInt32LE(offset) & 0x7fffffff; // without LC_REQ_DYLD
    const size = bytes.readUInt32LE(offset + 4);
    if (command === LC_BUILD_VERSION) macosMin = machoVersion(bytes.readUInt32LE(offset + 12));
    if (command === LC_VERSION_MIN_MACOSX) macosMin = machoVersion(bytes.readUInt32LE(offset + 8));
    if (command === LC_LOAD_DYLIB) dylibs.push(cString(bytes, offset + bytes.readUInt32LE(offset + 8)));
    if (command === LC_CODE_SIGNATURE) signed = true;
    if (command === LC_SYMTAB) symtab = [8, 12, 16].map((at) => bytes.readUInt32LE(offset + at));
    offset += size;
  }
  // Defined external symbols, and undefined ones with the library each is bound to (two-level
  // namespace: the library ordinal is the high byte of n_desc, 1-based into `dylibs`).
  let exportsRegister = false;
  const imports = {};
  const [symoff, nsyms, stroff] = symtab ?? [0, 0, 0];
  for (let s = 0; s < nsyms; s += 1) {
    const entry = symoff + s * 16; // nlist_64
    const type = bytes[entry + 4];
    if (!(type & N_EXT)) continue;
    const name = cString(bytes, stroff + bytes.readUInt32LE(entry));
    if ((type & N_TYPE) === N_SECT && name === '_napi_register_module_v1') exportsRegister = true;
    if ((type & N_TYPE) === N_UNDF) {
      const ordinal = bytes.readUInt16LE(entry + 6) >> 8;
      imports[name] = dylibs[ordinal - 1] ?? 'dynamic lookup';
    }
  }
  return { format: 'mach-o', cpu, libc: undefined, glibcMax: undefined, macosMin, exportsRegister, twoLevel, signed, dylibs, imports };
}

const compareVersions = (a, b) => {
  const [x, y] = [a, b].map((v) => v.split('.').map(Number));
  for (let i = 0; i < Math.max(x.length, y.length); i += 1) {
    if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  }
  return 0;
};

function inspectElf(file) {
  const readelf = (...args) => execFileSync('readelf', ['-W', ...args, file], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const header = readelf('-h');
  const machine = /Machine:\s+(.+)/.exec(header)[1].trim();
  const cpu = { 'Advanced Micro Devices X86-64': 'x86_64', AArch64: 'arm64' }[machine] ?? machine;
  const needed = [...readelf('-d').matchAll(/\(NEEDED\)\s+Shared library: \[(.+?)\]/g)].map((m) => m[1]);
  const symbols = readelf('--dyn-syms');
  // A defined (section index not UND), global function.
  const exportsRegister = /FUNC\s+GLOBAL\s+DEFAULT\s+\d+\s+napi_register_module_v1\b/.test(symbols);
  const glibcVersions = [...new Set([...symbols.matchAll(/@GLIBC_([0-9.]+)/g)].map((m) => m[1]))].sort(compareVersions);
  const musl = needed.some((lib) => /musl|^libc\.so$/.test(lib));
  const libc = musl ? 'musl' : needed.some((lib) => lib.startsWith('libc.so.6')) ? 'glibc' : 'none';
  return {
    format: /Class:\s+ELF64/.test(header) ? 'elf64' : 'elf',
    cpu,
    libc,
    needed,
    glibcMax: glibcVersions.at(-1),
    macosMin: undefined,
    exportsRegister,
  };
}

/** What `file` is: { format, cpu, libc, needed?, glibcMax, macosMin, exportsRegister, bytes }. */
function inspectBinary(file) {
  const bytes = fs.readFileSync(file);
  const magic = bytes.readUInt32LE(0);
  const info =
    magic === MACHO_MAGIC_64
      ? inspectMachO(bytes)
      : bytes.toString('latin1', 0, 4) === '\x7fELF'
        ? inspectElf(file)
        : { format: `unknown (magic ${magic.toString(16)})` };
  return { ...info, bytes: bytes.length };
}

module.exports = { inspectBinary, compareVersions };

/** The properties each release target's .node must have; `inspectBinary`'s result is checked against them. */
const EXPECTED = {
  'linux-x64-gnu': { format: 'elf64', cpu: 'x86_64', libc: 'glibc', glibcMax: '2.17', maxBytes: 5 * 2 ** 20 },
  'linux-arm64-gnu': { format: 'elf64', cpu: 'arm64', libc: 'glibc', glibcMax: '2.17', maxBytes: 5 * 2 ** 20 },
  'linux-x64-musl': { format: 'elf64', cpu: 'x86_64', libc: 'musl', maxBytes: 5 * 2 ** 20 },
  'linux-arm64-musl': { format: 'elf64', cpu: 'arm64', libc: 'musl', maxBytes: 5 * 2 ** 20 },
  'darwin-x64': { format: 'mach-o', cpu: 'x86_64', macosMin: '10.15', maxBytes: 5 * 2 ** 20 },
  'darwin-arm64': { format: 'mach-o', cpu: 'arm64', macosMin: '11.0', maxBytes: 5 * 2 ** 20 },
};

/** Asserts that `file` is a loadable-looking .node for release target `name`; returns what was read. */
function assertReleaseBinary(name, file) {
  const assert = require('node:assert/strict');
  const expected = EXPECTED[name];
  assert.ok(expected, `no expectations for target ${name}`);
  const info = inspectBinary(file);
  const label = `${name} (${file})`;
  assert.equal(info.format, expected.format, `${label}: format`);
  assert.equal(info.cpu, expected.cpu, `${label}: cpu`);
  assert.ok(info.exportsRegister, `${label}: does not export napi_register_module_v1`);
  assert.ok(info.bytes < expected.maxBytes, `${label}: ${info.bytes} bytes, limit ${expected.maxBytes}`);
  if (expected.libc) assert.equal(info.libc, expected.libc, `${label}: libc (needs ${info.needed})`);
  if (expected.libc === 'musl') {
    // Only musl's libc.so: nothing from glibc, no libgcc_s that Alpine lacks by default.
    assert.deepEqual(info.needed.filter((lib) => !/musl|^libc\.so$/.test(lib)), [], `${label}: needs ${info.needed}`);
  }
  if (expected.glibcMax) {
    assert.ok(info.glibcMax, `${label}: no versioned glibc symbols found`);
    assert.ok(compareVersions(info.glibcMax, expected.glibcMax) <= 0, `${label}: needs GLIBC_${info.glibcMax}`);
  }
  if (expected.macosMin) {
    assert.ok(info.macosMin, `${label}: names no macOS minimum`);
    assert.ok(compareVersions(info.macosMin, expected.macosMin) <= 0, `${label}: needs macOS ${info.macosMin}`);
    assert.ok(info.twoLevel, `${label}: not a two-level namespace image`);
    // Apple Silicon runs no unsigned code: the linker must have signed it (ad hoc).
    if (expected.cpu === 'arm64') assert.ok(info.signed, `${label}: no code signature`);
    // Every system symbol is bound to the library that has it (the framework stubs in
    // scripts/macos-sdk-stubs/ list them); only Node's napi_* are looked up in the process.
    const unbound = Object.entries(info.imports).filter(([name, lib]) => lib === 'dynamic lookup' && !name.startsWith('_napi_'));
    assert.deepEqual(unbound, [], `${label}: symbols with no library`);
    for (const framework of ['Security', 'CoreFoundation']) {
      const installName = `/System/Library/Frameworks/${framework}.framework/Versions/A/${framework}`;
      assert.ok(info.dylibs.includes(installName), `${label}: does not load ${framework} (${info.dylibs})`);
    }
  }
  return info;
}

module.exports.EXPECTED = EXPECTED;
module.exports.assertReleaseBinary = assertReleaseBinary;
