#!/usr/bin/env bash
# Holds the running server to docs/openapi.yaml with schemathesis: generated requests with and
# without a valid token must get no 5xx and only documented responses. Then the negative cases of
# scripts/api_negative.py: hostile or off-spec requests (duplicate keys, floats for integers,
# bad ranges, wrong methods, a gzip bomb, a broken compact body, made-up hashes, guessed tokens)
# must get their documented answers and leave no fork recorded.
# Usage: scripts/api-conformance.sh [max examples per operation, default 100]
# DAFTAR_BIN=PATH tests that binary instead of building the debug product.
set -euo pipefail
cd "$(dirname "$0")/.."
examples="${1:-100}"
[[ "$examples" =~ ^[1-9][0-9]*$ ]] || { echo "usage: scripts/api-conformance.sh [max examples per operation, default 100]" >&2; exit 2; }
command -v schemathesis >/dev/null 2>&1 || python3 -m pip install -q schemathesis
if [ -n "${DAFTAR_BIN:-}" ]; then
  daftar="$DAFTAR_BIN"
else
  if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
    export PATH=/opt/swift/usr/bin:$PATH
  fi
  swift build --product daftar >&2
  daftar="$(swift build --show-bin-path)/daftar"
fi
[ -x "$daftar" ] || { echo "api-conformance: no executable at $daftar" >&2; exit 2; }
work="$(mktemp -d)"
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
# The officer signs in by passphrase file; scrypt at its lowest cost (N = 1,024): these
# checks are about the wire, not the passphrase.
printf '%s\n' 'conformance passphrase' >"$work/pass"
chmod 600 "$work/pass"
export DAFTAR_OFFICER=conformance DAFTAR_PASSPHRASE_FILE="$work/pass" DAFTAR_SCRYPT_N=1024
"$daftar" --db "$work/central.daftar" --node central -c status >/dev/null 2>&1
# A change of the server's own (api_negative.py's no-fork checks need one), made before serving.
"$daftar" --db "$work/central.daftar" -c 'add incident title=x' >/dev/null
token="$("$daftar" node add fia-lahore --relay --db "$work/central.daftar" 2>/dev/null)"
office_token="$("$daftar" node add fia-karachi --db "$work/central.daftar" 2>/dev/null)"
[ -n "$token" ] && [ -n "$office_token" ] || { echo "api-conformance: node add printed no token" >&2; exit 1; }
# Starts the server on a free port (its log appended to serve.log) and sets $url.
start_server() {
  : >"$work/serve.out"
  "$daftar" serve --db "$work/central.daftar" --port 0 >"$work/serve.out" 2>>"$work/serve.log" &
  server=$!
  for _ in $(seq 1 100); do grep -q "listening on" "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
  port="$(awk '/listening on/{print $3}' "$work/serve.out")"
  [ -n "$port" ] || { echo "the server did not start" >&2; cat "$work/serve.log" >&2; exit 1; }
  url="http://127.0.0.1:$port"
}
start_server
checks="not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
status=0
echo "== with a valid token"
schemathesis run docs/openapi.yaml --url "$url" --checks "$checks" -n "$examples" -H "Authorization: Bearer $token" --no-color || status=1
echo "== without a token"
schemathesis run docs/openapi.yaml --url "$url" --checks "$checks" -n "$((examples / 4 + 1))" --no-color || status=1
# The negative cases count this address's refused tokens from zero (schemathesis sent some):
# a server started anew, on the same store. Their final case locks the address out for a minute.
kill "$server"
if ! wait "$server"; then
  echo "api-conformance: the server did not stop cleanly on SIGTERM" >&2
  status=1
fi
start_server
echo "== negative cases (scripts/api_negative.py)"
python3 scripts/api_negative.py --url "$url" --token "$token" --office-token "$office_token" --server-node central || status=1
if grep -q "internal" "$work/serve.log"; then
  echo "the server logged internal errors:" >&2
  grep "internal\|error" "$work/serve.log" >&2
  status=1
fi
exit $status
