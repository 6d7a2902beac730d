#!/usr/bin/env bash
# Crash-and-resume test of sync, with real processes on loopback: a central node serving its
# store and one office (fia-lahore) syncing with it. Each round:
#  1. the office records 200-3000 new entries (one `import jsonl`; one round in five, 200-1500
#     piped `add`s instead) and the central node 1-5 of its own while its server runs; a round
#     in which the office recorded nothing (its import, or every one of its adds, failed) fails;
#  2. `daftar sync` starts in the background and, after 0-1.5 s (more often early: 1.5 s times
#     the square of a uniform draw), the sync client or the server (at random) is killed with
#     SIGKILL; a killed server is restarted at once, half the time on the same port (where a
#     client still retrying finds it), else on a new one with the office's remote removed and
#     added again; the old client must end by itself within 30 s;
#  3. the office syncs again, which must succeed (5 tries);
#  4. both stores are checked: SQLite's integrity check (`check`); `status` (entries, changes
#     held, knowledge, kinds; no conflicts, forks or clock warnings; nothing unsent); the round's
#     entries (`count` and `find where round = N`) exactly as recorded, once each, the same on
#     both; read-only with python3's sqlite3, every record's merged state the same on both, each
#     origin's changes seqs 1..n once each, knowledge with its chained hashes the same on both.
#     Every tenth round and the last, the whole registers too: `export jsonl` of both, sorted,
#     identical, and every entry the script ever recorded (counting only commands that
#     succeeded) held exactly once with the fields it was given. Each check command runs under
#     `timeout` (120 s; CRASH_LOOP_CHECK_TIMEOUT=SECONDS to change it): one that fails, prints
#     nothing or something that is not its JSON answer, or hangs, fails the round.
# The first round that fails stops the script (exit 1) saying which round and seed, which check
# or command failed, what was killed when, what differs, and where the stores and logs are (kept).
#
#   scripts/crash-loop.sh [--rounds N] [--daftar PATH] [--dir PATH] [--seed N]
#
# --rounds: default 100, the long form: about 150,000 entries at the end; 9-11 minutes on a
#           2-core machine shared with builds (a round takes 2-4 s early and 4-8 s late, checks
#           of the whole registers 10-25 s, and a round whose server died before the client
#           connected about 10 s more: the client gives up connecting only after 10 s).
#           CI runs --rounds 10: 25-60 s.
# --daftar: the binary to test; without it, $DAFTAR_BIN if set, else the debug product is built
#           (`swift build`) and used.
# --dir:    keep the stores, logs and round files there (must not hold a previous run);
#           without it, a temporary folder, removed at the end unless a round failed.
# --seed:   repeats a run's choices (counts, data, delays, victims; not the machine's timing).
#
# Prints one line per round and a summary: rounds, kills of the client and of the server (and
# how many landed while the sync was still running), changes recorded, failures, seconds.
set -Eeuo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
checker="$root/scripts/crash_check.py"

usage() { sed -n '/^#   scripts/p' "$0" | sed 's/^#   /usage: /'; }
# bad_usage MESSAGE: says what is wrong, and the usage; exit 2.
bad_usage() { echo "crash-loop: $1" >&2; usage >&2; exit 2; }
# need OPTION VALUE...: the option's value is there, or bad usage.
need() { [ $# -ge 2 ] && [ -n "$2" ] || bad_usage "$1 needs a value"; }
rounds=100 daftar="${DAFTAR_BIN:-}" dir="" seed=""
check_limit="${CRASH_LOOP_CHECK_TIMEOUT:-120}" # seconds any one check may take
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) need "$@"; rounds="$2"; shift 2 ;;
    --daftar) need "$@"; daftar="$2"; shift 2 ;;
    --dir) need "$@"; dir="$2"; shift 2 ;;
    --seed) need "$@"; seed="$2"; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) bad_usage "unknown argument '$1'" ;;
  esac
done
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || bad_usage "--rounds takes a positive number"
[ -z "$seed" ] && seed=$(( $(od -An -N2 -tu2 /dev/urandom) ))
[[ "$seed" =~ ^[0-9]+$ ]] || bad_usage "--seed takes a number"
[[ "$check_limit" =~ ^[1-9][0-9]*$ ]] || bad_usage "CRASH_LOOP_CHECK_TIMEOUT takes a positive number of seconds"
RANDOM=$seed

if [ -z "$daftar" ]; then
  if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
    export PATH=/opt/swift/usr/bin:$PATH
  fi
  (cd "$root" && swift build --product daftar >&2)
  daftar="$(cd "$root" && swift build --show-bin-path)/daftar"
fi
case "$daftar" in /*) ;; *) daftar="$PWD/$daftar" ;; esac
[ -x "$daftar" ] || { echo "crash-loop: no executable at $daftar" >&2; exit 2; }

if [ -n "$dir" ]; then
  mkdir -p "$dir"
  work="$(cd "$dir" && pwd)"
  if [ -e "$work/central.daftar" ] || [ -e "$work/office.daftar" ]; then
    echo "crash-loop: $work holds a previous run; give an empty or new folder" >&2
    exit 2
  fi
else
  work="$(mktemp -d "${TMPDIR:-/tmp}/crash-loop.XXXXXX")"
fi
central="$work/central.daftar" office="$work/office.daftar" ledger="$work/ledger"
mkdir -p "$ledger"

# The officer signs in by passphrase file, scrypt at its lowest cost (N = 1,024): the loop is
# about the log, not the passphrase.
printf '%s\n' 'crash loop passphrase' >"$work/pass"
chmod 600 "$work/pass"
export DAFTAR_OFFICER="Insp. Crash Loop" DAFTAR_PASSPHRASE_FILE="$work/pass" DAFTAR_SCRYPT_N=1024
unset DAFTAR_DB DAFTAR_NODE
limit=60      # seconds any one daftar command may take
full_every=10 # rounds between checks of the whole registers (exports), and the last round
d() { timeout "$limit" "$daftar" "$@"; }
now_ms() { local t=${EPOCHREALTIME/[.,]/}; echo $((t / 1000)); }

server="" client="" failed=0 interrupted=0 round=0
start=$(now_ms)
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  # Stops what this script started. Their exit statuses are not checks: a process killed here
  # ends by its signal, and one may have ended already.
  local ended=0
  if [ -n "$client" ] && kill -0 "$client" 2>/dev/null; then
    kill -9 "$client" 2>/dev/null || ended=$?
    wait "$client" 2>/dev/null || ended=$?
  fi
  if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then
    kill "$server" 2>/dev/null || ended=$?
    for _ in $(seq 1 50); do kill -0 "$server" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$server" 2>/dev/null; then kill -9 "$server" 2>/dev/null || ended=$?; fi
    wait "$server" 2>/dev/null || ended=$?
  fi
  # Kept after a failure (a failed round, or a command that failed unexpectedly), unless
  # interrupted.
  if [ -z "$dir" ] && { [ "$rc" -eq 0 ] || [ "$interrupted" -eq 1 ]; }; then
    rm -rf "$work"
  elif [ "$rc" -ne 0 ] && [ "$interrupted" -eq 0 ]; then
    echo "crash-loop: the stores and logs are kept in $work" >&2
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'rc=$?; echo "crash-loop: round $round: a command failed (exit $rc) at line $LINENO${FUNCNAME:+ in $FUNCNAME, called at line ${BASH_LINENO[0]}}: $BASH_COMMAND" >&2' ERR
trap 'interrupted=1; exit 130' INT
trap 'interrupted=1; exit 143' TERM

kills_client=0 kills_server=0 mid_client=0 mid_server=0 n_office=0 n_central=0
summary() {
  local secs=$(( ($(now_ms) - start) / 1000 ))
  echo "crash-loop: $round rounds (seed $seed), $kills_client kills of the client ($mid_client while the sync ran)," \
    "$kills_server kills of the server ($mid_server while the sync ran), $((n_office + n_central)) changes" \
    "($n_office at the office, $n_central at central), $failed failures, $secs s"
}
# fail WHAT [FILE...]: names the round and what went wrong, shows the files, stops.
fail() {
  failed=1
  echo "crash-loop: FAIL round $round (seed $seed): $1" >&2
  shift
  local f
  for f in "$@"; do
    [ -s "$f" ] && { echo "--- $f" >&2; tail -n 20 "$f" >&2; }
  done
  summary
  exit 1
}

# check_failed WHAT RC [FILE...]: a check (WHAT, a command line) that ended with RC, not 0: a
# timeout (124; 137 when it also ignored the TERM) or a failure; fails the round.
check_failed() {
  local what="$1" rc="$2"
  shift 2
  case "$rc" in
    124) fail "check \`$what\` timed out: no answer within $check_limit s" "$@" ;;
    137) fail "check \`$what\` was killed (SIGKILL; after its $check_limit s timeout, if it ignored the TERM)" "$@" ;;
    *) fail "check \`$what\` failed (exit $rc)" "$@" ;;
  esac
}
# run_check NAME ARGS...: runs `daftar ARGS` as a check under the timeout, its standard output to
# $work/NAME.json and its errors to $work/NAME.err; one that fails or hangs fails the round.
run_check() {
  local name="$1" rc=0
  shift
  timeout -k 10 "$check_limit" "$daftar" "$@" >"$work/$name.json" 2>"$work/$name.err" || rc=$?
  [ "$rc" -eq 0 ] || check_failed "daftar $*" "$rc" "$work/$name.json" "$work/$name.err"
}

port=""
# start_server [PORT]: serves the central store on PORT (default: a free one, in $port). On a
# given port that cannot be had, returns 1.
start_server() {
  local want="${1:-0}"
  : >"$work/serve.out"
  echo "=== serve started in round $round, port $want" >>"$work/serve.log"
  "$daftar" serve --db "$central" --port "$want" >"$work/serve.out" 2>>"$work/serve.log" &
  server=$!
  port=""
  for _ in $(seq 1 200); do # 20 s
    port="$(awk '/listening on/{print $3; exit}' "$work/serve.out")"
    [ -n "$port" ] && return 0
    kill -0 "$server" 2>/dev/null || break
    sleep 0.1
  done
  if [ "$want" != 0 ] && ! kill -0 "$server" 2>/dev/null; then
    # It exited (the port was taken); the caller tries another port, so its status is kept
    # only for the log.
    local exited=0
    wait "$server" 2>/dev/null || exited=$?
    echo "server on port $want exited with status $exited" >>"$work/serve.log"
    server=""
    return 1
  fi
  fail "the server did not start listening" "$work/serve.out" "$work/serve.log"
}

# Setup: the central node and its server, the office and its remote.
d --db "$central" --node central -c status >/dev/null 2>"$work/setup.err" || fail "cannot create the central store" "$work/setup.err"
d --db "$office" --node fia-lahore -c status >/dev/null 2>"$work/setup.err" || fail "cannot create the office store" "$work/setup.err"
token="$(d node add fia-lahore --db "$central" 2>"$work/setup.err")" || fail "node add failed" "$work/setup.err"
[ -n "$token" ] || fail "node add printed no token" "$work/setup.err"
start_server
d remote add central "http://127.0.0.1:$port" --token "$token" --db "$office" >/dev/null
echo "crash-loop: $rounds rounds, seed $seed, daftar $daftar, in $work"

for round in $(seq 1 "$rounds"); do
  t0=$(now_ms)
  rf="$work/round"
  note="" restarted=""

  # 1. The office records new entries: one import (all or nothing), or piped single adds.
  if [ $((RANDOM % 5)) -eq 0 ]; then
    n=$((200 + RANDOM % 1301)) how="adds"
    python3 "$checker" gen-adds fia-lahore "$round" "$n" "$seed" "$rf-office.txt" "$rf-office.pending"
    # Exit status 1 means some lines failed; which ones were acknowledged is read from the
    # output, and a round in which none was fails below.
    piped=0
    d --db "$office" --json <"$rf-office.txt" >"$rf-office.out" 2>"$rf-office.err" || piped=$?
    [ "$piped" -le 1 ] || fail "the office's piped adds ended with status $piped" "$rf-office.err"
    got="$(python3 "$checker" commit-piped "$rf-office.pending" "$rf-office.out" "$ledger" "$round")"
  else
    n=$((200 + RANDOM % 2801)) how="import"
    python3 "$checker" gen-import "$round" "$n" "$seed" "$rf-office.jsonl" "$rf-office.pending"
    got=0
    if d --db "$office" --json -c "import jsonl \"$rf-office.jsonl\"" >"$rf-office.out" 2>"$rf-office.err"; then
      grep -Eq "\"imported\":$n[,}]" "$rf-office.out" || fail "import printed $(cat "$rf-office.out")"
      got="$(python3 "$checker" commit-all "$rf-office.pending" "$ledger" "$round")"
    fi
  fi
  if [ "$got" -eq 0 ]; then # (an import is all or nothing)
    fail "the office recorded nothing: its $how ($n entries) failed" "$rf-office.out" "$rf-office.err"
  fi
  [ "$got" -eq "$n" ] || note="$note, office recorded $got of $n"
  n_office=$((n_office + got))
  office_new=$got

  # 2. The central node records a few of its own while its server runs.
  n=$((1 + RANDOM % 5))
  python3 "$checker" gen-adds central "$round" "$n" "$seed" "$rf-central.txt" "$rf-central.pending"
  piped=0
  d --db "$central" --json <"$rf-central.txt" >"$rf-central.out" 2>"$rf-central.err" || piped=$?
  [ "$piped" -le 1 ] || fail "the central node's piped adds ended with status $piped" "$rf-central.err"
  got="$(python3 "$checker" commit-piped "$rf-central.pending" "$rf-central.out" "$ledger" "$round")"
  [ "$got" -eq "$n" ] || note="$note, central recorded $got of $n"
  [ $((office_new + got)) -gt 0 ] || fail "nothing was recorded in this round" "$rf-central.out" "$rf-central.err"
  n_central=$((n_central + got))
  central_new=$got

  # 3. Sync in the background; after 0-1.5 s, SIGKILL the client or the server. The delay is
  # 1.5 s times the square of a uniform draw (median 375 ms), since most syncs here take
  # 0.1-1 s: more kills land while the exchange is under way.
  u=$((RANDOM % 1001))
  delay=$((u * u * 1500 / 1000000))
  victim=client
  [ $((RANDOM % 2)) -eq 0 ] && victim=server
  launched=$(now_ms)
  "$daftar" sync --db "$office" >"$rf-sync-killed.out" 2>&1 &
  client=$!
  sleep "$((delay / 1000)).$(printf '%03d' $((delay % 1000)))"
  if kill -0 "$client" 2>/dev/null; then running=1; else running=0; fi
  # (kill and wait together, stderr hidden: no "Killed" notices from bash)
  rc=0
  if [ "$victim" = client ]; then
    # (the client may have ended on its own a moment before: then kill finds nothing)
    gone=0
    kill -9 "$client" 2>/dev/null || gone=$?
    at=$(( $(now_ms) - launched ))
    wait "$client" 2>/dev/null || rc=$?
    client=""
  else
    killed=0
    kill -9 "$server" 2>/dev/null || killed=$?
    at=$(( $(now_ms) - launched ))
    wait "$server" 2>/dev/null || killed=$?
  fi
  if [ "$victim" = server ]; then
    server=""
    kills_server=$((kills_server + 1)); mid_server=$((mid_server + running))
    # Restart it at once: half the time on the same port, where a client still retrying its
    # connection (for up to 10 s) finds it again; else on a new port, and the office's remote
    # is changed (remove, add).
    old_port=$port
    if [ $((RANDOM % 2)) -eq 0 ] && start_server "$old_port"; then
      restarted="restarted on the same port"
    else
      start_server
      d remote remove central --db "$office" >/dev/null
      d remote add central "http://127.0.0.1:$port" --token "$token" --db "$office" >/dev/null
      restarted="restarted on a new port"
    fi
  else
    kills_client=$((kills_client + 1)); mid_client=$((mid_client + running))
  fi
  # The client must end by itself soon after its server dies (or it was killed).
  for _ in $(seq 1 300); do kill -0 "$client" 2>/dev/null || break; sleep 0.1; done # 30 s
  if kill -0 "$client" 2>/dev/null; then
    # (it fails the round whatever these answer)
    kill -9 "$client" 2>/dev/null || rc=$?
    wait "$client" 2>/dev/null || rc=$?
    client=""
    fail "the sync client had not ended 30 s after its server was killed at $at ms ($restarted)" "$rf-sync-killed.out" "$work/serve.log"
  fi
  if [ -n "$client" ]; then
    wait "$client" || rc=$?
    client=""
  fi
  if [ "$running" -eq 0 ] && [ "$rc" -ne 0 ]; then
    fail "the background sync failed (exit $rc) before anything was killed" "$rf-sync-killed.out" "$work/serve.log"
  fi
  if [ "$running" -eq 1 ]; then what="mid-sync, exit $rc"; else what="after the sync ended"; fi

  if [ "$victim" = server ]; then
    what="$what, $restarted"
  elif ! kill -0 "$server" 2>/dev/null; then
    fail "the server died when its client was killed at $at ms" "$work/serve.out" "$work/serve.log"
  fi

  # 4. Sync again, to completion (a few tries, in case the server is just starting).
  tries=0
  until d sync --db "$office" >"$rf-sync.out" 2>&1; do
    tries=$((tries + 1))
    [ "$tries" -lt 5 ] || fail "sync failed 5 times after the $victim was killed at $at ms ($what)" \
      "$rf-sync-killed.out" "$rf-sync.out" "$work/serve.log"
    sleep 0.5
  done

  # 5. Check both stores; every tenth round and the last, their whole registers too.
  full=""
  if [ $((round % full_every)) -eq 0 ] || [ "$round" -eq "$rounds" ]; then full=full; fi
  rm -f "$work"/check-*.json "$work"/status-*.json "$work"/count-*.json "$work"/find-*.json "$work"/export-*.jsonl
  for s in office central; do
    db="$work/$s.daftar"
    run_check "check-$s" --db "$db" --json -c check
    run_check "status-$s" --db "$db" --json -c status
    run_check "count-$s" --db "$db" --json -c "count where round = $round"
    run_check "find-$s" --db "$db" --json -c "find where round = $round limit 100000"
  done
  if [ -n "$full" ]; then # both at once: the exports take most of the check's time
    timeout -k 10 "$check_limit" "$daftar" --db "$office" -c "export jsonl \"$work/export-office.jsonl\"" \
      >/dev/null 2>"$work/export-office.err" & e1=$!
    timeout -k 10 "$check_limit" "$daftar" --db "$central" -c "export jsonl \"$work/export-central.jsonl\"" \
      >/dev/null 2>"$work/export-central.err" & e2=$!
    rc1=0 rc2=0
    wait "$e1" || rc1=$?
    wait "$e2" || rc2=$?
    [ "$rc1" -eq 0 ] || check_failed "export jsonl of the office store" "$rc1" "$work/export-office.err"
    [ "$rc2" -eq 0 ] || check_failed "export jsonl of the central store" "$rc2" "$work/export-central.err"
  fi
  rc=0
  timeout -k 10 "$check_limit" python3 "$checker" verify "$round" "$ledger" "$work" "$office" "$central" $full \
    >"$work/verify.out" 2>&1 || rc=$?
  case "$rc" in
    0) ;;
    124 | 137) check_failed "crash_check.py verify" "$rc" "$work/verify.out" ;;
    *) fail "check \`crash_check.py verify\` failed after killing the $victim at $at ms ($what), then syncing (office +$office_new, central +$central_new):
$(cat "$work/verify.out")" "$rf-sync-killed.out" "$rf-sync.out" "$work/serve.log" ;;
  esac
  checked="check ok"
  [ -n "$full" ] && checked="check ok (whole registers too)"

  printf 'round %3d/%d: office +%-4d (%s), central +%d; killed the %-6s at %4d ms (%s); resync ok%s; %d changes; %s; %.1f s%s\n' \
    "$round" "$rounds" "$office_new" "$how" "$central_new" "$victim" "$at" "$what" \
    "$([ "$tries" -gt 0 ] && echo " after $tries retries")" "$((n_office + n_central))" "$checked" \
    "$(( $(now_ms) - t0 ))e-3" "$note"
done
summary
