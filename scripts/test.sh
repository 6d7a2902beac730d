#!/usr/bin/env bash
# Builds Daftar and runs every test. Usage: scripts/test.sh [extra `swift test` arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
  export PATH=/opt/swift/usr/bin:$PATH
fi
# The CLI tests run the built executables, so build them first.
swift build
swift test "$@"
