#!/usr/bin/env bash
# Builds the release binaries and runs every benchmark of the performance targets, printing a
# table and writing bench-results.json (each figure, its same-run baseline, the ratio and the
# target). Takes about 10 minutes; the million-entry store is kept in the work folder and reused.
# Usage: scripts/bench.sh [--dir PATH] [--skip-large]
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
  export PATH=/opt/swift/usr/bin:$PATH
fi
swift build -c release --product daftar >&2
swift build -c release --product daftar-bench >&2
bin="$(swift build -c release --show-bin-path)"
dir="${TMPDIR:-/tmp}"
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) dir="$2"; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
"$bin/daftar-bench" all --dir "$dir" --daftar "$bin/daftar" --out bench-results.json "${args[@]}"
echo "wrote bench-results.json"
