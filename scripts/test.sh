#!/usr/bin/env bash
# Builds Daftar and runs every test. Usage: scripts/test.sh [extra `swift test` arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
  export PATH=/opt/swift/usr/bin:$PATH
fi
# The CLI tests run the built executables, so build them first.
swift build
# Should the test process crash, print the crashed thread alone (whole, named), so that the end
# of the log shows where.
export SWIFT_BACKTRACE="${SWIFT_BACKTRACE:-enable=yes,interactive=no,threads=crashed,registers=none,images=none,limit=80}"
swift test "$@"
