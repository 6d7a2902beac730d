#!/usr/bin/env bash
# Load: OFFICES simulated offices (default 200) push to one central node over loopback for
# SECONDS (default 60), SLOW of them (default 20) sending their request bodies a byte at a time.
# Fails unless every office's exchanges were answered without error, every slow client was
# answered, every entry recorded reached the central node, and a sample of offices converged.
# Prints latency percentiles and the peak resident memory. Release build; about 2 minutes.
# Usage: scripts/load.sh [OFFICES [SECONDS [SLOW]]] [--dir PATH]
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
  export PATH=/opt/swift/usr/bin:$PATH
fi
swift build -c release --product daftar-bench >&2
bin="$(swift build -c release --show-bin-path)"
numbers=()
rest=()
for arg in "$@"; do
  if [[ "$arg" =~ ^[0-9]+$ ]] && [ ${#rest[@]} -eq 0 ]; then numbers+=("$arg"); else rest+=("$arg"); fi
done
"$bin/daftar-bench" load "${numbers[@]}" --dir "${TMPDIR:-/tmp}" "${rest[@]}"
