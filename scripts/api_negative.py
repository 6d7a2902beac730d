#!/usr/bin/env python3
"""Negative-case conformance checks of a running `daftar serve`: hostile or off-spec requests
must get their documented answers (docs/PROTOCOL.md, docs/openapi.yaml), and none of them may
leave a fork recorded at the server.

  python3 scripts/api_negative.py --url http://127.0.0.1:PORT --token TOKEN \\
      --office-token TOKEN2 --server-node central

TOKEN is the token of fia-lahore, registered as a relay (`daftar node add fia-lahore --relay`);
TOKEN2 that of fia-karachi, an ordinary office (`daftar node add fia-karachi`). The server must
hold at least one change of its own (e.g. `daftar -c 'add incident title=x'` on its store before
`serve`). Only loopback addresses are accepted.

Prints one line per case, `ok   CASE` or `FAIL CASE: expected X, got Y BODY`, then
`N passed, M failed`; exits 1 if any case failed (2 on bad usage). The last case sends ten wrong
tokens: the address is locked out (429 for wrong tokens) for about a minute afterwards.

Standard library only.
"""
import argparse
import gzip
import hashlib
import http.client
import json
import socket
import sys
import urllib.parse
import zlib

RELAY, OFFICE = "fia-lahore", "fia-karachi"
MIB = 1024 * 1024


class Failure(Exception):
    def __init__(self, expected, got, body=b""):
        super().__init__(expected)
        self.expected, self.got, self.body = expected, got, body


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def header(self, name):
        return self.headers.get(name)


def show(body, limit=300):
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    body = " ".join(str(body).split())
    return body if len(body) <= limit else body[:limit] + "…"


def loopback(url):
    """(host, port) of an http:// URL on a loopback address; ValueError otherwise."""
    u = urllib.parse.urlsplit(url)
    if u.scheme != "http" or not u.hostname or u.path not in ("", "/"):
        raise ValueError(f"--url must be http://127.0.0.1:PORT, not {url!r}")
    if u.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError(f"only a server on this machine (127.0.0.1) is tried, not {u.hostname}")
    return u.hostname, u.port or 80


class Client:
    def __init__(self, url, timeout):
        (self.host, self.port), self.timeout = loopback(url), timeout

    def request(self, method, path, body=None, headers=None):
        """One request on a connection of its own. A server that answers before reading the
        whole body (and closes) still has its answer read."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            try:
                conn.request(method, path, body=body, headers=headers or {})
            except (BrokenPipeError, ConnectionResetError):
                pass  # the answer may be there all the same
            r = conn.getresponse()
            return Response(r.status, r.headers, r.read())
        finally:
            conn.close()


# --- expectations: each raises Failure ---------------------------------------------------------

def json_body(r, expected):
    try:
        doc = json.loads(r.body)
    except ValueError:
        raise Failure(expected, f"{r.status} with a body that is not JSON", r.body)
    if not isinstance(doc, dict):
        raise Failure(expected, f"{r.status} with a JSON body that is not an object", r.body)
    ctype = r.header("Content-Type") or ""
    if not ctype.lower().startswith("application/json"):
        raise Failure(expected, f"{r.status} with Content-Type {ctype!r}", r.body)
    return doc


def expect_error(r, status, code):
    expected = f"{status} {code}"
    if r.status != status:
        raise Failure(expected, str(r.status), r.body)
    doc = json_body(r, expected)
    if not isinstance(doc.get("error"), str) or not isinstance(doc.get("message"), str):
        raise Failure(expected, f"{r.status} without string \"error\" and \"message\" keys", r.body)
    if doc["error"] != code:
        raise Failure(expected, f"{r.status} {doc['error']}", r.body)
    return doc


def expect_ok(r, expected="200"):
    if r.status != 200:
        raise Failure(expected, str(r.status), r.body)
    return json_body(r, expected)


# --- requests ---------------------------------------------------------------------------------

def made_up_hash(c):
    return (c * 64)[:64]


def change(origin, seq=1, **override):
    """A syntactically complete change (JSON form) with made-up hashes."""
    c = {
        "dot": {"origin": origin, "seq": seq},
        "record": f"{origin}-{seq}",
        "kind": "incident",
        "operation": "add",
        "fields": {"title": "made up by api_negative", "count": 3},
        "vector": {origin: seq},
        "hlc": 1780000000000 << 16,
        "officer": "Insp. Negative",
        "wallTime": 1780000000000,
        "format": 2,
        "scope": "general",
        "prev": {"seq": seq - 1, "hash": "0" * 64 if seq == 1 else made_up_hash("0")},
        "hash": made_up_hash("ab"),
    }
    c.update(override)
    return c


class Suite:
    def __init__(self, args):
        self.args = args
        self.http = Client(args.url, args.timeout)
        self.server = args.server_node
        self.passed = self.failed = 0

    def auth(self, token=None):
        return {"Authorization": f"Bearer {token or self.args.token}"}

    def sync(self, body, token=None, headers=None):
        """POST /v1/sync; body: bytes as they are, or an object sent as JSON."""
        if not isinstance(body, bytes):
            body = json.dumps(body).encode()
        h = {"Content-Type": "application/json", **self.auth(token)}
        h.update(headers or {})
        return self.http.request("POST", "/v1/sync", body, h)

    def get(self, path, token=None):
        return self.http.request("GET", path, headers=self.auth(token))

    def run(self, name, fn):
        try:
            fn()
        except Failure as f:
            self.failed += 1
            body = f" {show(f.body)}" if f.body else ""
            print(f"FAIL {name}: expected {f.expected}, got {f.got}{body}", flush=True)
        except (OSError, http.client.HTTPException) as e:  # refused, reset, timed out, garbled
            self.failed += 1
            print(f"FAIL {name}: expected an answer, got {type(e).__name__}: {e}", flush=True)
        except Exception as e:  # an answer of an unexpected shape
            self.failed += 1
            print(f"FAIL {name}: expected an answer this script can read, got {type(e).__name__}: {e}", flush=True)
        else:
            self.passed += 1
            print(f"ok   {name}", flush=True)

    # A helper of several cases: an ordinary exchange as the relay shows no fork, and that the
    # server still serves its own changes (a fork recorded on its own origin would stop them).
    def no_fork_recorded(self, after):
        r = self.sync({"node": RELAY, "knowledge": {}})
        want = f"an ordinary exchange after {after} to answer 200 with no stop and no forks"
        doc = expect_ok(r, want)
        if doc.get("stop") is not None:
            raise Failure(want, f"stop {json.dumps(doc['stop'])}", r.body)
        if doc.get("forks") != []:
            raise Failure(want, f"forks {json.dumps(doc.get('forks'))}", r.body)
        seq = ((doc.get("knowledge") or {}).get("general") or {}).get(self.server, {}).get("seq", 0)
        if not isinstance(seq, int) or seq < 1:
            raise Failure(f"the server ({self.server}) to hold a change of its own (the runner adds one"
                          " before serving)", f"knowledge {json.dumps(doc.get('knowledge'))}", b"")
        own = [c for c in doc.get("changes") or [] if (c.get("dot") or {}).get("origin") == self.server]
        if not own and not doc.get("hasMore"):
            raise Failure(f"{want}, and {self.server}'s own changes sent",
                          f"none of them ({len(doc.get('changes') or [])} changes)", r.body)

    # --- the cases --------------------------------------------------------------------------

    def cases(self):
        minimal = {"node": RELAY, "knowledge": {}}

        def bad_sync(body, status=400, code="malformed", **kw):
            return lambda: expect_error(self.sync(body, **kw), status, code)

        def sync_ok(body, **kw):
            def check():
                doc = expect_ok(self.sync(body, **kw))
                for key in ("node", "knowledge", "changes", "hasMore", "applied", "duplicates", "forks", "skews"):
                    if key not in doc:
                        raise Failure(f"200 with a sync answer", f"200 without {key!r}", json.dumps(doc).encode())
                if doc["node"] != self.server:
                    raise Failure(f"200 from node {self.server}", f"200 from node {doc['node']!r}",
                                  json.dumps(doc).encode())
            return check

        def with_change(c):
            return {"node": RELAY, "knowledge": {}, "changes": [c]}

        yield ("duplicate JSON keys in the request", bad_sync(
            b'{"node":"fia-lahore","node":"fia-lahore","knowledge":{}}'))
        yield ("maxChanges -1", bad_sync(b'{"node":"fia-lahore","knowledge":{},"maxChanges":-1}'))
        yield ("maxChanges 1000.0", bad_sync(b'{"node":"fia-lahore","knowledge":{},"maxChanges":1000.0}'))
        yield ("maxChanges 1e3", bad_sync(b'{"node":"fia-lahore","knowledge":{},"maxChanges":1e3}'))
        yield ("maxChanges 0 (push-only) is valid", sync_ok(
            b'{"node":"fia-lahore","knowledge":{},"changes":[], "maxChanges": 0}'))
        yield ("knowledge seq 1.0", bad_sync(
            b'{"node":"fia-lahore","knowledge":{"general":{"fia-lahore":{"seq":1.0,"hash":"'
            + made_up_hash("c").encode() + b'"}}}}'))
        yield ("knowledge per origin (without its scope)", bad_sync(
            b'{"node":"fia-lahore","knowledge":{"fia-lahore":{"seq":1,"hash":"'
            + made_up_hash("c").encode() + b'"}}}'))
        yield ("knowledge under a scope name that is not one", bad_sync(
            b'{"node":"fia-lahore","knowledge":{"General":{"fia-lahore":{"seq":1,"hash":"'
            + made_up_hash("c").encode() + b'"}}}}'))
        yield ("decimal value with an extra key", bad_sync(
            with_change(change(RELAY, fields={"amount": {"decimal": "1.5", "x": 1}}))))
        yield ("vector entry 0", bad_sync(
            with_change(change(RELAY, vector={RELAY: 1, OFFICE: 0}))))
        # (json.dumps writes 1780000000000.0 for the float: the point is kept)
        yield ("wallTime 1780000000000.0", bad_sync(
            with_change(change(RELAY, wallTime=1780000000000.0))))
        yield ("Content-Type charset=utf-16 with a UTF-8 body", bad_sync(
            minimal, 415, "unsupported_media_type",
            headers={"Content-Type": "application/json; charset=utf-16"}))
        yield ("lower-case bearer scheme", sync_ok(
            minimal, headers={"Authorization": f"bearer {self.args.token}"}))

        # Knowledge digests (PROTOCOL.md, Knowledge digests), computed here from the text alone.
        def digest(scope, chains):
            text = f"knowledge/2/{scope}\n"
            for origin in sorted(chains, key=lambda o: o.encode()):
                text += f"{origin} {chains[origin]['seq']} {chains[origin]['hash']}\n"
            return hashlib.sha256(text.encode()).hexdigest()

        def digests_both_ways():
            want = "an answer whose knowledge, rebuilt from the delta, matches its digests and the whole answer"
            whole = expect_ok(self.sync({"node": RELAY, "knowledge": {}}))["knowledge"]
            doc = expect_ok(self.sync({"node": RELAY, "knowledge": {}, "digests": {}}))
            got = doc.get("digests")
            if not isinstance(got, dict) or "general" not in got:
                raise Failure(want, f"digests {json.dumps(got)}", json.dumps(doc).encode())
            for scope, value in got.items():
                # The base is the request's knowledge ({}): the delta is the whole, less seq 0.
                rebuilt = {o: e for o, e in (doc["knowledge"].get(scope) or {}).items() if e["seq"] != 0}
                if digest(scope, rebuilt) != value:
                    raise Failure(want, f"scope {scope}: digest {value}, rebuilt {digest(scope, rebuilt)}",
                                  json.dumps(doc).encode())
                if rebuilt != (whole.get(scope) or {}):
                    raise Failure(want, f"scope {scope}: rebuilt {json.dumps(rebuilt)}, whole {json.dumps(whole.get(scope))}", b"")
            # The server recorded {}: nothing changed since, sent as a delta.
            again = expect_ok(self.sync({"node": RELAY, "knowledge": {}, "knowledgeDelta": True, "digests": {}}))
            if again.get("digests") != got:
                raise Failure("the same digests for the same knowledge", f"digests {json.dumps(again.get('digests'))}", b"")

        yield ("knowledge digests both ways, rebuilt by the documented formula", digests_both_ways)
        def documented_vectors():
            chains = {"fia-okara": {"seq": 3, "hash": "11" * 32}, "fia-kasur": {"seq": 12, "hash": "ab" * 32}}
            for got, want in ((digest("punjab", {}), "38eb4d41c86037d24c5bf1829f90c697397411975e033c99b3e4f3b148f6995a"),
                              (digest("punjab", chains), "aa08c8d29a7c384b354688337511c24174d2ab046fd5e42a76eac97ccf214eb7")):
                if got != want:
                    raise Failure(f"the digest PROTOCOL.md gives, {want}", got)

        yield ("the digests PROTOCOL.md gives as examples", documented_vectors)
        yield ("a delta whose digest does not match", bad_sync(
            {"node": RELAY, "knowledge": {}, "knowledgeDelta": True, "digests": {"general": made_up_hash("d")}},
            409, "knowledge_mismatch"))
        yield ("knowledgeDelta without digests", bad_sync({"node": RELAY, "knowledge": {}, "knowledgeDelta": True}))
        yield ("a digest that is not 64 hex digits", bad_sync({"node": RELAY, "knowledge": {}, "digests": {"general": "ab"}}))

        def chain(query, status):
            def check():
                r = self.get(f"/v1/chain/{RELAY}?{query}")
                if status != 200:
                    expect_error(r, status, "malformed")
                    return
                doc = expect_ok(r)
                if doc.get("origin") != RELAY or not isinstance(doc.get("hashes"), dict):
                    raise Failure(f"200 with {{\"origin\": \"{RELAY}\", \"hashes\": {{…}}}}", "200 with another body",
                                  r.body)
            return check
        yield ("chain from=-1", chain("from=-1", 400))
        yield ("chain from=abc", chain("from=abc", 400))
        yield ("chain to=xyz", chain("to=xyz", 400))
        yield ("chain from=1&to=10", chain("from=1&to=10", 200))

        def not_allowed(method, path, allowed, body=None):
            def check():
                h = self.auth()
                if body is not None:
                    h["Content-Type"] = "application/json"
                r = self.http.request(method, path, body, h)
                expect_error(r, 405, "method_not_allowed")
                allow = r.header("Allow")
                if not allow:
                    raise Failure("405 with an Allow header", "405 without one", r.body)
                if allowed not in [m.strip().upper() for m in allow.split(",")]:
                    raise Failure(f"405 with Allow naming {allowed}", f"405 with Allow: {allow}", r.body)
            return check
        yield ("PUT /v1/sync", not_allowed("PUT", "/v1/sync", "POST", json.dumps(minimal).encode()))
        yield ("DELETE /v1/health", not_allowed("DELETE", "/v1/health", "GET"))
        yield ("GET /v1/nosuch", lambda: expect_error(self.get("/v1/nosuch"), 404, "not_found"))

        def gzip_bomb(mib=40):
            """A valid minimal request padded with MIB MiB of whitespace (valid JSON, so that
            its size is the only thing wrong with it), gzipped: small on the wire."""
            z = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)  # gzip framing
            parts = [z.compress(b'{"node":"fia-lahore","knowledge":{},"changes":[]')]
            chunk = b" " * MIB
            parts += [z.compress(chunk) for _ in range(mib)]
            parts += [z.compress(b'}'), z.flush()]
            body = b"".join(parts)
            assert len(body) < MIB and len(gzip.decompress(body)) > mib * MIB
            return body
        yield ("gzip body inflating past 32 MiB", bad_sync(
            gzip_bomb(), 413, "too_large", headers={"Content-Encoding": "gzip"}))

        header = json.dumps({"node": RELAY, "knowledge": {}, "changes": []}).encode()
        compact = (b"DFTB" + bytes([2]) + len(header).to_bytes(4, "big") + header
                   + (1).to_bytes(4, "big") + b"\xff\xff\xff\xff" + b"\x01\x02\x03\x04\x05")
        yield ("compact change of length 0xFFFFFFFF", bad_sync(
            compact, 422, "invalid_change", headers={"Content-Type": "application/vnd.daftar.batch"}))

        def made_up_knowledge():
            body = {"node": OFFICE, "knowledge": {"general": {self.server: {"seq": 1, "hash": made_up_hash("de")}}}}
            expect_ok(self.sync(body, token=self.args.office_token), "200 to the office's exchange")
            r = self.http.request("GET", "/v1/health")
            doc = expect_ok(r, "GET /v1/health 200")
            if doc.get("status") != "ok" or doc.get("node") != self.server:
                raise Failure(f"GET /v1/health {{\"status\": \"ok\", \"node\": \"{self.server}\"}}",
                              "another body", r.body)
            self.no_fork_recorded("the made-up knowledge")
        yield ("made-up knowledge hash records no fork", made_up_knowledge)

        def own_origin_change():
            r = self.sync(with_change(change(self.server, fields={"title": "not made by the server"})))
            if r.status == 200:
                doc = expect_ok(r)
                reason = (doc.get("stop") or {}).get("reason")
                if reason != "origin_not_allowed" or doc.get("applied") != 0:
                    raise Failure("422 invalid_change, or 200 with stop.reason origin_not_allowed",
                                  f"200 with stop.reason {reason!r}, applied {doc.get('applied')!r}", r.body)
            else:
                expect_error(r, 422, "invalid_change")
            self.no_fork_recorded("the change in the server's name")
        yield (f"relay change in the server's own name ({self.server}) records no fork", own_origin_change)

        def lockout():
            wrong = "not-a-token-" + made_up_hash("9")[:20]
            for i in range(1, 11):
                r = self.sync(minimal, token=wrong)
                try:
                    expect_error(r, 401, "unauthenticated")
                except Failure as f:
                    f.expected = f"wrong token {i} of 10: {f.expected}"
                    raise
            r = self.sync(minimal)
            try:
                expect_ok(r)
            except Failure as f:
                f.expected = f"the valid token after 10 wrong ones: {f.expected}"
                raise
            r = self.sync(minimal, token=wrong)
            expect_error(r, 429, "too_many_failures")
            retry = r.header("Retry-After")
            if not retry or not retry.strip().isdigit():
                raise Failure("429 with a Retry-After header (seconds)", f"429 with Retry-After {retry!r}", r.body)
        yield ("10 wrong tokens: the valid token still 200, the 11th wrong 429", lockout)

    def main(self):
        for name, fn in self.cases():
            self.run(name, fn)
        print(f"{self.passed} passed, {self.failed} failed", flush=True)
        return 1 if self.failed else 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--url", required=True, help="the server, http://127.0.0.1:PORT")
    p.add_argument("--token", required=True, help=f"the token of {RELAY}, registered as a relay")
    p.add_argument("--office-token", required=True, help=f"the token of {OFFICE}, an ordinary office")
    p.add_argument("--server-node", required=True, help="the server's node id, e.g. central")
    p.add_argument("--timeout", type=float, default=60, help="seconds to wait for each answer (60)")
    args = p.parse_args()
    try:
        loopback(args.url)
    except ValueError as e:
        p.error(str(e))
    if args.timeout <= 0:
        p.error("--timeout takes a positive number of seconds")
    socket.setdefaulttimeout(args.timeout)
    sys.exit(Suite(args).main())


if __name__ == "__main__":
    main()
