#!/usr/bin/env bash
# Measures find by an indexed field and full-text search over a store of N entries (default
# 1,000,000), in a release build. Usage: scripts/measure-find.sh [--entries N] [--dir PATH]
# The store is kept in --dir (default: the temporary folder) and reused by later runs.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
  export PATH=/opt/swift/usr/bin:$PATH
fi
swift build -c release --product daftar-bench >&2
"$(swift build -c release --show-bin-path)/daftar-bench" find-search "$@"
