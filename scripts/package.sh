#!/usr/bin/env bash
# Makes a release build of `daftar` with the Swift runtime linked in statically, for a Linux
# laptop without a Swift toolchain. It needs only the system's C library and libsqlite3 (and
# loads libedit for line editing when present). Output: dist/daftar-linux-<arch>.tar.gz
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
  export PATH=/opt/swift/usr/bin:$PATH
fi
swift build -c release --product daftar --static-swift-stdlib
bin="$(swift build -c release --show-bin-path)/daftar"
arch="$(uname -m)"
mkdir -p dist
stage="$(mktemp -d)"
cp "$bin" "$stage/daftar"
strip "$stage/daftar" 2>/dev/null || true
tar -C "$stage" -czf "dist/daftar-linux-$arch.tar.gz" daftar
rm -rf "$stage"
if ldd "$bin" | grep -q libswift; then
  echo "error: the binary still links the Swift runtime dynamically:" >&2
  ldd "$bin" >&2
  exit 1
fi
echo "dist/daftar-linux-$arch.tar.gz: $(du -h "dist/daftar-linux-$arch.tar.gz" | cut -f1); shared libraries it needs:"
ldd "$bin" | awk '{print "  " $1}'
