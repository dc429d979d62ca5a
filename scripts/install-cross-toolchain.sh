#!/usr/bin/env bash
# Installs what `npm run pack:all` needs to build every non-Windows target on Debian 12 x86_64,
# where rustup cannot download other standard libraries (see CONTRIBUTING.md, "Release builds"):
# - Debian's rustc-web (a current rustc) with its library source, for -Zbuild-std targets,
#   and its prebuilt arm64 standard library;
# - zig and cargo-zigbuild from PyPI, in a venv under .tools/, as linker and old-glibc sysroot;
# - qemu-user-static with arm64 glibc, to run the arm64 build and arm64 Node here.
# Idempotent: a second run checks and returns in about a second. Needs root (apt-get).
set -euo pipefail
cd "$(dirname "$0")/.."

ZIGLANG_VERSION=0.15.2
CARGO_ZIGBUILD_VERSION=0.20.1
tools="$PWD/.tools"
venv="$tools/zig-venv"

apt_packages=(rustc-web cargo-web rust-web-src libstd-rust-web-dev:arm64 qemu-user-static
  libc6:arm64 libstdc++6:arm64 binutils)
missing=()
for package in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if ((${#missing[@]})); then
  echo "> apt-get install ${missing[*]}" >&2
  dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! "$venv/bin/python" -m ziglang version >/dev/null 2>&1 || ! [ -x "$venv/bin/cargo-zigbuild" ]; then
  echo "> pip install ziglang==$ZIGLANG_VERSION cargo-zigbuild==$CARGO_ZIGBUILD_VERSION" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check \
    "ziglang==$ZIGLANG_VERSION" "cargo-zigbuild==$CARGO_ZIGBUILD_VERSION"
fi
# cargo-zigbuild looks for `zig` on PATH (or $CARGO_ZIGBUILD_ZIG_PATH); a wrapper keeps the
# venv's copy the one used. Written every time: it names the venv by absolute path, which
# changes when the checkout moves.
mkdir -p "$tools/bin"
printf '#!/bin/sh\nexec "%s" -m ziglang "$@"\n' "$venv/bin/python" >"$tools/bin/zig"
chmod +x "$tools/bin/zig"
echo "cross toolchain ready: $(/usr/bin/rustc --version), zig $("$tools/bin/zig" version), $("$venv/bin/cargo-zigbuild" --version)" >&2
