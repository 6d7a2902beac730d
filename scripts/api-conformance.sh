#!/usr/bin/env bash
# Holds the running server to docs/openapi.yaml with schemathesis: generated requests with and
# without a valid token must get no 5xx and only documented responses.
# Usage: scripts/api-conformance.sh [max examples per operation, default 100]
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
  export PATH=/opt/swift/usr/bin:$PATH
fi
examples="${1:-100}"
command -v schemathesis >/dev/null 2>&1 || python3 -m pip install -q schemathesis
swift build --product daftar >&2
daftar="$(swift build --show-bin-path)/daftar"
work="$(mktemp -d)"
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
export DAFTAR_OFFICER=conformance
"$daftar" --db "$work/central.daftar" --node central -c status >/dev/null 2>&1
token="$("$daftar" node add fia-lahore --relay --db "$work/central.daftar" 2>/dev/null)"
"$daftar" serve --db "$work/central.daftar" --port 0 >"$work/serve.out" 2>"$work/serve.log" &
server=$!
for _ in $(seq 1 100); do grep -q "listening on" "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
port="$(awk '/listening on/{print $3}' "$work/serve.out")"
[ -n "$port" ] || { echo "the server did not start" >&2; cat "$work/serve.log" >&2; exit 1; }
url="http://127.0.0.1:$port"
checks="not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
status=0
echo "== with a valid token"
schemathesis run docs/openapi.yaml --url "$url" --checks "$checks" -n "$examples" -H "Authorization: Bearer $token" --no-color || status=1
echo "== without a token"
schemathesis run docs/openapi.yaml --url "$url" --checks "$checks" -n "$((examples / 4 + 1))" --no-color || status=1
if grep -q "internal" "$work/serve.log"; then
  echo "the server logged internal errors:" >&2
  grep "internal\|error" "$work/serve.log" >&2
  status=1
fi
exit $status
