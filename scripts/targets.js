'use strict';
// The release targets: one platform package each (npm/<name>/), and how `npm run pack:all`
// builds its .node on a Debian 12 x86_64 machine (scripts/install-cross-toolchain.sh installs
// the tools). The loader (lib/native.js), the install tests and the release workflow name the
// same seven targets.
//
// - `toolchain`: 'rustup' is the machine's own stable Rust (it has only the x86_64 glibc
//   standard library); 'debian' is Debian's rustc-web, which has a prebuilt arm64 standard
//   library and the library source for -Zbuild-std.
// - `zigTarget`: what cargo-zigbuild links for; a `.2.17` suffix links against glibc 2.17's
//   symbols, so the binary loads on any glibc from 2.17 (CentOS 7, Amazon Linux 2) on.
// - `buildStd`: no prebuilt standard library exists for this target: build it from source.
// - `env`: per-target settings (musl cdylibs must not link libc statically).
// - `macosTarget`: zig's target with the minimum macOS in it. zig ignores
//   MACOSX_DEPLOYMENT_TARGET and -mmacosx-version-min below its own default minimum (13.0 in
//   zig 0.15), but honours a versioned target given last.

const targets = [
  {
    name: 'linux-x64-gnu',
    triple: 'x86_64-unknown-linux-gnu',
    zigTarget: 'x86_64-unknown-linux-gnu.2.17',
    toolchain: 'rustup',
    runsHere: true,
  },
  {
    name: 'linux-arm64-gnu',
    triple: 'aarch64-unknown-linux-gnu',
    zigTarget: 'aarch64-unknown-linux-gnu.2.17',
    toolchain: 'debian',
    runsUnderQemu: true,
  },
  {
    name: 'linux-x64-musl',
    triple: 'x86_64-unknown-linux-musl',
    toolchain: 'debian',
    buildStd: true,
    env: { CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_RUSTFLAGS: '-C target-feature=-crt-static' },
  },
  {
    name: 'linux-arm64-musl',
    triple: 'aarch64-unknown-linux-musl',
    toolchain: 'debian',
    buildStd: true,
    env: { CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_RUSTFLAGS: '-C target-feature=-crt-static' },
  },
  {
    name: 'darwin-x64',
    triple: 'x86_64-apple-darwin',
    toolchain: 'debian',
    buildStd: true,
    macosTarget: 'x86_64-macos.10.15-none',
    env: { MACOSX_DEPLOYMENT_TARGET: '10.15' },
  },
  {
    name: 'darwin-arm64',
    triple: 'aarch64-apple-darwin',
    toolchain: 'debian',
    buildStd: true,
    macosTarget: 'aarch64-macos.11.0-none',
    env: { MACOSX_DEPLOYMENT_TARGET: '11.0' },
  },
  // Built only by .github/workflows/release.yml, on a Windows runner: MSVC cannot be had here.
  { name: 'win32-x64-msvc', triple: 'x86_64-pc-windows-msvc', toolchain: null },
];

const packageName = (target) => `kernel-native-${target.name}`;
const binaryName = (target) => `kernel-native.${target.name}.node`;

module.exports = { targets, packageName, binaryName };
