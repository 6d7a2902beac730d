#!/usr/bin/env bash
# Fuzzes the sync wire decoder (FuzzWire: a request body, compact and JSON) and the console's
# command parser (FuzzCommand) with libFuzzer and AddressSanitizer, each for SECONDS (default
# 300), one after the other. Each run starts from a copy of Fuzz/corpus/<target> in a temporary
# folder (the repository's corpus is never grown); crash, timeout (10 s) and out-of-memory (2 GiB)
# inputs go to that folder, whose path is printed. Exits 1 if either target found anything.
# Takes 2 x SECONDS, plus the first build of the instrumented targets (about 7 minutes on two
# cores; a few seconds after that).
# Reproduce a finding: the printed binary with the input file as its argument, or a normal
# `swift build --product FuzzWire` and `.build/debug/FuzzWire FILE` (a replayer in that build).
# Usage: scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
  export PATH=/opt/swift/usr/bin:$PATH
fi
duration="${1:-300}"
case "$duration" in
  '' | *[!0-9]*) echo "usage: scripts/fuzz.sh [SECONDS]" >&2; exit 2 ;;
esac

# Its own scratch path, so the instrumented build never disturbs .build. No -parse-as-library:
# SwiftPM already parses a one-file executable as a library, and the flag would break the
# executables that have a main.swift (DaftarMigrationsTool, built here for DaftarStore's plugin).
# lld: gold fails with an internal error linking that tool with the sanitizers.
build=(swift build -c release --scratch-path .build-fuzz
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING -Xswiftc -use-ld=lld)
started=$(date +%s)
for product in FuzzWire FuzzCommand; do
  nice -n 10 "${build[@]}" --product "$product" >&2
done
echo "fuzz build: $(($(date +%s) - started)) s" >&2
bin="$("${build[@]}" --show-bin-path)"

work="$(mktemp -d "${TMPDIR:-/tmp}/daftar-fuzz.XXXXXX")"
echo "work folder (corpora, logs, findings): $work"
status=0
# target, corpus folder, longest input
for spec in "FuzzWire wire 65536" "FuzzCommand command 4096"; do
  read -r target corpus maxlen <<<"$spec"
  dir="$work/$corpus"
  mkdir -p "$dir/corpus" "$dir/findings"
  cp Fuzz/corpus/"$corpus"/* "$dir/corpus/"
  echo "== $target: $duration s, max_len $maxlen"
  set +e
  # Swift's own crash backtracer off: libFuzzer reports the crash and saves the input (the
  # backtracer reading the stack also trips AddressSanitizer).
  SWIFT_BACKTRACE=enable=no nice -n 10 "$bin/$target" "$dir/corpus" \
    -max_total_time="$duration" -timeout=10 -rss_limit_mb=2048 -max_len="$maxlen" \
    -artifact_prefix="$dir/findings/" -print_final_stats=1 >"$dir/log" 2>&1
  rc=$?
  set -e
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/log" | tail -1)
  echo "executions: ${runs:-?} (${rate:-?}/s)"
  echo "coverage: $(grep -E '^#[0-9]+.*cov:' "$dir/log" | tail -1 || true)"
  if [ "$rc" -ne 0 ] || [ -n "$(ls -A "$dir/findings")" ]; then
    status=1
    echo "FOUND (libFuzzer exit $rc); log: $dir/log"
    grep -E '^==[0-9]+==|^(Fatal error|SUMMARY|ERROR|artifact_prefix)|Test unit written' "$dir/log" | head -20 || true
    for f in "$dir/findings"/*; do
      [ -e "$f" ] && echo "input: $f  (reproduce: $bin/$target $f)"
    done
  else
    echo "nothing found; log: $dir/log"
  fi
done
exit "$status"
