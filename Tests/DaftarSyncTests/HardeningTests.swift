import AsyncHTTPClient
import DaftarClient
import DaftarModel
import DaftarSync
import DaftarTesting
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import CompressNIO
import Synchronization
import Testing

@testable import DaftarServer
@testable import DaftarStore

#if canImport(Glibc)
    import Glibc
#endif

/// What an outside client written from the protocol's documents, acting as an attacker, tried:
/// each attempt is refused as documented and leaves nothing behind.
@Suite(.timeLimit(.minutes(3))) struct AttackerTests {
    let folder: TemporaryFolder
    init() throws { folder = try TemporaryFolder() }

    func json(_ request: SyncRequest) throws -> Data { try JSONEncoder().encode(request) }

    /// The change at `dot` that `store` holds, with one field changed and its hash made anew:
    /// a copy an attacker could make of a change it pulled.
    func altered(_ dot: Dot, in store: Store, field: String = "title", to value: String = "altered") throws -> Change {
        let original = try #require(try store.change(at: dot))
        var fields = original.fields
        fields[name(field)] = .text(value)
        return try Change(
            dot: original.dot, record: original.record, kind: original.kind, operation: original.operation, fields: fields, vector: original.vector,
            hlc: original.hlc, officer: original.officer, wallTime: original.wallTime, scope: original.scope, prev: original.prev)
    }

    /// The change's JSON with a key no dot has added to its dot.
    func withExtraKeyInDot(_ json: String) throws -> String {
        var object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        var dot = try #require(object["dot"] as? [String: Any])
        dot["x"] = 2
        object["dot"] = dot
        return String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    }

    func post(_ url: String, token: String, _ request: SyncRequest) async throws -> (status: Int, headers: [String: String], json: [String: Any], raw: Data) {
        try await http(url, headers: [("Authorization", "Bearer \(token)"), ("Content-Type", "application/json")], body: json(request))
    }

    /// Issue: an office resent another office's change, altered and re-hashed, and the server
    /// recorded a fork on that office, freezing it. Now the origin is checked first.
    @Test func anOfficeCannotFreezeAnotherOffice() async throws {
        let central = try makeStore("central", in: folder)
        let lahore = try makeStore("fia-lahore", in: folder)
        let karachi = try makeStore("fia-karachi", in: folder)
        let quetta = try makeStore("fia-quetta", in: folder)
        for i in 1...3 { try karachi.add(kind: kind("incident"), fields: [name("title"): .text("karachi \(i)")], as: "Rashid") }
        try central.add(kind: kind("incident"), fields: [name("title"): .text("at headquarters")], as: "Analyst")
        try await withServer(central) { url in
            let lahoreRemote = try register(lahore, at: central, url: url, as: "central")
            try register(karachi, at: central, url: url, as: "central")
            try register(quetta, at: central, url: url, as: "central")
            #expect(try await sync(karachi, "central").complete)
            #expect(try await sync(lahore, "central").complete)
            // A copy of fia-karachi:3, and of the server's own central:1, altered and re-hashed.
            for dot in [Dot(origin: karachi.node, seq: 3), Dot(origin: central.node, seq: 1)] {
                let forged = try altered(dot, in: lahore)
                let answer = try await post(url, token: lahoreRemote.token, SyncRequest(node: lahore.node, knowledge: try lahore.knowledge(), changes: [forged]))
                #expect(answer.status == 200)
                let stop = try #require(answer.json["stop"] as? [String: Any])
                #expect(stop["reason"] as? String == "origin_not_allowed")
                #expect((answer.json["forks"] as? [Any])?.isEmpty == true)
            }
            // A made-up hash for those origins in its knowledge: reported to it, kept nowhere.
            var claimed = try lahore.knowledge()
            claimed.entries[Chain(karachi.node, .general)] = Knowledge.Entry(seq: 2, hash: try ContentHash(hex: String(repeating: "ab", count: 32)))
            claimed.entries[Chain(central.node, .general)] = Knowledge.Entry(seq: 1, hash: try ContentHash(hex: String(repeating: "cd", count: 32)))
            #expect(try await post(url, token: lahoreRemote.token, SyncRequest(node: lahore.node, knowledge: claimed, changes: [])).status == 200)
            #expect(try central.knownForks().isEmpty)
            // fia-karachi goes on syncing, and others receive its changes.
            try karachi.add(kind: kind("incident"), fields: [name("title"): .text("karachi 4")], as: "Rashid")
            let after = try await sync(karachi, "central")
            #expect(after.complete && after.serverStop == nil && after.forks.isEmpty)
            #expect(try await sync(quetta, "central").complete)
            #expect(try quetta.knowledge()[Chain(karachi.node, .general)] == 4)
            #expect(try quetta.count(Query(kind: kind("incident"))) == 5)
        }
    }

    /// Issue: a relay sent `central:1` and the server took it as its own change. Changes in the
    /// server's own name are refused from anyone, the relay is named in the log and `status`,
    /// and the server's own id cannot be registered.
    @Test func aRelayCannotWriteAsTheServer() async throws {
        let central = try makeStore("central", in: folder)
        let hub = try makeStore("punjab-hub", in: folder)
        #expect(throws: StoreError.self) { try central.registerPeer(central.node, role: .relay) }
        try central.add(kind: kind("incident"), fields: [name("title"): .text("at headquarters")], as: "Analyst")
        let captured = HostileSyncTests.CapturedLog()
        try await withLiveServer(central, logger: Logger(label: "test") { _ in captured }) { url in
            let remote = try register(hub, at: central, url: url, as: "central", relay: true)
            #expect(try await sync(hub, "central").complete)
            let first = try #require(try central.change(at: Dot(origin: central.node, seq: 1)))
            // The next change in the server's name, correctly chained, and an altered first one.
            let next = try Change(
                dot: Dot(origin: central.node, seq: 2), record: first.record, kind: first.kind, operation: .set, fields: [name("title"): .text("forged")],
                vector: VersionVector([(central.node, 2)]), hlc: HLC(milliseconds: first.hlc.milliseconds + 1), officer: "Forger",
                wallTime: first.wallTime + 1, prev: ChainLink(seq: 1, hash: first.hash))
            for forged in [next, try altered(first.dot, in: hub)] {
                let answer = try await post(url, token: remote.token, SyncRequest(node: hub.node, knowledge: try hub.knowledge(), changes: [forged]))
                #expect(answer.status == 200)
                #expect((answer.json["stop"] as? [String: Any])?["reason"] as? String == "origin_not_allowed")
            }
            #expect(try central.knowledge()[Chain(central.node, .general)] == 1)
            #expect(try central.knownForks().isEmpty)
            let refused = try central.refusedSenders()
            #expect(refused.count == 1 && refused[0].sender == hub.node && refused[0].origin == central.node && refused[0].times == 2)
            // The server's own next write builds on its own history.
            try central.add(kind: kind("incident"), fields: [name("title"): .text("second")], as: "Analyst")
            #expect(try central.knowledge()[Chain(central.node, .general)] == 2)
            #expect(try central.change(at: Dot(origin: central.node, seq: 2))?.previousHash == first.hash)
        }
        #expect(captured.lines.withLock { $0 }.contains { $0.contains("REFUSED") && $0.contains("punjab-hub") && $0.contains("central:") })
    }

    /// The body rules a foreign client must keep, each answered as documented.
    @Test func offSpecRequestsGetTheirDocumentedAnswers() async throws {
        let central = try makeStore("central", in: folder)
        let office = try makeStore("fia-lahore", in: folder)
        try office.add(kind: kind("incident"), fields: [name("title"): .text("x"), name("fine"): .decimal(try ExactDecimal("1.5"))], as: "Rashid")
        let change = try #require(try office.changes(missingFrom: Knowledge()).changes.first)
        let changeJSON = String(decoding: try JSONEncoder().encode(change), as: UTF8.self)
        try await withServer(central) { url in
            let token = try register(office, at: central, url: url, as: "central").token
            let auth = [("Authorization", "Bearer \(token)"), ("Content-Type", "application/json")]
            func send(_ body: String, headers: [(String, String)]? = nil) async throws -> (Int, String?) {
                let answer = try await http(url, headers: headers ?? auth, body: Data(body.utf8))
                return (answer.status, answer.json["error"] as? String)
            }
            let wallTime = "\"wallTime\":\(change.wallTime)"
            let cases: [(String, String, Int, String?)] = [
                ("duplicate keys", #"{"node":"fia-lahore","node":"fia-lahore","knowledge":{}}"#, 400, "malformed"),
                ("duplicate keys by escape", #"{"node":"fia-lahore","no\u0064e":"fia-lahore","knowledge":{}}"#, 400, "malformed"),
                ("maxChanges -1", #"{"node":"fia-lahore","knowledge":{},"maxChanges":-1}"#, 400, "malformed"),
                ("maxChanges 1000.0", #"{"node":"fia-lahore","knowledge":{},"maxChanges":1000.0}"#, 400, "malformed"),
                ("maxChanges 1e3", #"{"node":"fia-lahore","knowledge":{},"maxChanges":1e3}"#, 400, "malformed"),
                ("maxChanges 0", #"{"node":"fia-lahore","knowledge":{},"maxChanges":0}"#, 200, nil),
                ("knowledge seq 1.0", #"{"node":"fia-lahore","knowledge":{"general":{"central":{"seq":1.0,"hash":"\#(String(repeating: "0", count: 64))"}}}}"#, 400, "malformed"),
                ("knowledge entry with an extra key", #"{"node":"fia-lahore","knowledge":{"general":{"central":{"seq":1,"hash":"\#(String(repeating: "0", count: 64))","x":1}}}}"#, 400, "malformed"),
                ("wallTime N.0", #"{"node":"fia-lahore","knowledge":{},"changes":[\#(changeJSON.replacingOccurrences(of: wallTime, with: wallTime + ".0"))]}"#, 400, "malformed"),
                ("decimal with an extra key", #"{"node":"fia-lahore","knowledge":{},"changes":[\#(changeJSON.replacingOccurrences(of: #"{"decimal":"1.5"}"#, with: #"{"decimal":"1.5","x":1}"#))]}"#, 400, "malformed"),
                ("vector entry 0", #"{"node":"fia-lahore","knowledge":{},"changes":[\#(changeJSON.replacingOccurrences(of: #""vector":{"fia-lahore":1}"#, with: #""vector":{"fia-lahore":1,"central":0}"#))]}"#, 400, "malformed"),
                ("dot with an extra key", #"{"node":"fia-lahore","knowledge":{},"changes":[\#(try withExtraKeyInDot(changeJSON))]}"#, 400, "malformed"),
                ("the change itself", #"{"node":"fia-lahore","knowledge":{},"changes":[\#(changeJSON)]}"#, 200, nil),
            ]
            #expect(changeJSON.contains(wallTime) && changeJSON.contains(#"{"decimal":"1.5"}"#) && changeJSON.contains(#""vector":{"fia-lahore":1}"#))
            for (what, body, status, code) in cases {
                let (got, error) = try await send(body)
                #expect(got == status && error == code, "\(what): \(got) \(error ?? "")")
            }
            // charset other than UTF-8: 415; the scheme in lower case: accepted.
            let minimal = #"{"node":"fia-lahore","knowledge":{}}"#
            #expect(try await send(minimal, headers: [("Authorization", "Bearer \(token)"), ("Content-Type", "application/json; charset=utf-16")]) == (415, "unsupported_media_type"))
            #expect(try await send(minimal, headers: [("Authorization", "Bearer \(token)"), ("Content-Type", "application/json; charset=UTF-8")]).0 == 200)
            #expect(try await send(minimal, headers: [("Authorization", "bearer \(token)"), ("Content-Type", "application/json")]).0 == 200)
            // The chain's range: only whole numbers from 1.
            for query in ["from=-1", "from=abc", "to=xyz", "from=1.0", "from=5&to=2"] {
                let answer = try await http(url, .GET, "/v1/chain/fia-lahore?\(query)", headers: auth)
                #expect(answer.status == 400 && answer.json["error"] as? String == "malformed", "\(query)")
            }
            #expect(try await http(url, .GET, "/v1/chain/fia-lahore?from=1&to=10", headers: auth).status == 200)
            // Methods a path does not take: 405 with Allow; paths that do not exist: 404; both JSON.
            for (method, path, allow) in [(HTTPMethod.PUT, "/v1/sync", "POST"), (.DELETE, "/v1/health", "GET"), (.POST, "/v1/chain/fia-lahore", "GET")] {
                let answer = try await http(url, method, path, headers: auth)
                #expect(answer.status == 405 && answer.json["error"] as? String == "method_not_allowed" && answer.headers["allow"] == allow, "\(method) \(path)")
            }
            let missing = try await http(url, .GET, "/v1/nosuch", headers: auth)
            #expect(missing.status == 404 && missing.json["error"] as? String == "not_found")
        }
    }

    /// Bodies past the limits: 413 for a gzip body that inflates past the documented 32 MiB,
    /// 422 for a compact change longer than a change may be.
    @Test func oversizedBodiesGetTheirDocumentedStatus() async throws {
        let central = try makeStore("central", in: folder)
        let office = try makeStore("fia-lahore", in: folder)
        try await withServer(central) { url in
            let token = try register(office, at: central, url: url, as: "central").token
            // 33 MiB of spaces inside a JSON object: small on the wire, too large inflated.
            var inflated = ByteBuffer(string: #"{"node":"fia-lahore","knowledge":{}"# + String(repeating: " ", count: SyncProtocol.maxInflatedBytes + 1024 * 1024) + "}")
            let gzip = try inflated.compress(with: .gzip())
            let big = try await http(
                url, headers: [("Authorization", "Bearer \(token)"), ("Content-Type", "application/json"), ("Content-Encoding", "gzip")], body: Data(gzip.readableBytesView))
            #expect(big.status == 413 && big.json["error"] as? String == "too_large")
            // Just under the limit inflates and is read.
            var fits = ByteBuffer(string: #"{"node":"fia-lahore","knowledge":{}"# + String(repeating: " ", count: SyncProtocol.maxInflatedBytes - 1024) + "}")
            let small = try fits.compress(with: .gzip())
            let ok = try await http(
                url, headers: [("Authorization", "Bearer \(token)"), ("Content-Type", "application/json"), ("Content-Encoding", "gzip")], body: Data(small.readableBytesView))
            #expect(ok.status == 200)
            // A compact body whose change claims 0xFFFFFFFF bytes.
            let header = Array(#"{"node":"fia-lahore","knowledge":{},"changes":[]}"#.utf8)
            var compact: [UInt8] = Array("DFTB".utf8) + [2]
            compact += [0, 0, 0, UInt8(header.count)] + header + [0, 0, 0, 1] + [0xFF, 0xFF, 0xFF, 0xFF] + [1, 2, 3]
            let claimed = try await http(url, headers: [("Authorization", "Bearer \(token)"), ("Content-Type", SyncProtocol.compactType)], body: Data(compact))
            #expect(claimed.status == 422 && claimed.json["error"] as? String == "invalid_change")
            // Cut short instead: malformed.
            compact = Array("DFTB".utf8) + [2] + [0, 0, 0, UInt8(header.count)] + header + [0, 0, 0, 1] + [0, 0, 0, 40] + [1, 2, 3]
            let cut = try await http(url, headers: [("Authorization", "Bearer \(token)"), ("Content-Type", SyncProtocol.compactType)], body: Data(compact))
            #expect(cut.status == 400 && cut.json["error"] as? String == "malformed")
        }
    }

    /// A stamp past the year 2200 is refused on receipt (422), whatever its hash.
    @Test func stampsPastTheLimitAreRefusedOnReceipt() async throws {
        let central = try makeStore("central", in: folder)
        let office = try makeStore("fia-lahore", in: folder)
        try await withServer(central) { url in
            let token = try register(office, at: central, url: url, as: "central").token
            let forged = Change(
                unchecked: Dot(origin: office.node, seq: 1), record: RecordID(Dot(origin: office.node, seq: 1)), kind: kind("incident"), operation: .add,
                fields: [name("title"): .text("from the far future")], vector: VersionVector([(office.node, 1)]), hlc: HLC(rawValue: .max), officer: "Rashid",
                wallTime: 1_780_000_000_000, scope: .general, prev: .start, format: 2, hash: .zero)
            var hashed = forged
            hashed.hash = try forged.computedHash()
            let answer = try await post(url, token: token, SyncRequest(node: office.node, knowledge: Knowledge(), changes: [hashed]))
            #expect(answer.status == 422 && answer.json["error"] as? String == "invalid_change")
            #expect((answer.json["message"] as? String)?.contains("2200") == true)
            #expect(try central.knowledge()[Chain(office.node, .general)] == 0)
        }
    }

    /// `applying`: the server sends as if the client held what it is applying, but records what
    /// the client holds from its committed knowledge alone.
    @Test func applyingIsUsedForSendingButNeverRecorded() async throws {
        let central = try makeStore("central", in: folder)
        let office = try makeStore("fia-lahore", in: folder)
        for i in 1...4 { try central.add(kind: kind("incident"), fields: [name("title"): .text("hq \(i)")], as: "Analyst") }
        try await withServer(central) { url in
            let token = try register(office, at: central, url: url, as: "central").token
            let second = try #require(try central.change(at: Dot(origin: central.node, seq: 2)))
            let applying = Knowledge([Chain(central.node, .general): Knowledge.Entry(seq: 2, hash: second.hash)])
            let answer = try await post(url, token: token, SyncRequest(node: office.node, knowledge: Knowledge(), changes: [], applying: applying))
            #expect(answer.status == 200)
            let sent = (answer.json["changes"] as? [[String: Any]] ?? []).compactMap { ($0["dot"] as? [String: Any])?["seq"] as? Int }
            #expect(sent == [3, 4])
            let seen = try #require(try central.peers().first { $0.node == office.node })
            #expect(seen.lastKnowledge == Knowledge())
        }
    }

    /// A pull with nothing to apply takes no write lock: it is answered while another writer
    /// holds the store (with a busy timeout short enough that waiting for it would fail, 503).
    @Test func aPullTakesNoWriteLock() async throws {
        let path = folder.file("central.daftar")
        let central = try Store.create(at: path, node: NodeID("central"), options: Store.Options(busyTimeout: .milliseconds(200)))
        let office = try makeStore("fia-lahore", in: folder)
        try central.add(kind: kind("incident"), fields: [name("title"): .text("hq")], as: "Analyst")
        try await withServer(central) { url in
            let token = try register(office, at: central, url: url, as: "central").token
            #expect(try await sync(office, "central").complete)
            // The server notes what the office holds (a write, as it changed since the last note).
            let request = SyncRequest(node: office.node, knowledge: try office.knowledge(), changes: [])
            #expect(try await post(url, token: token, request).status == 200)
            // Another process's writer holds the store for a while.
            let other = try Store.open(at: path)
            let holding = Atomic<Int>(0)
            // It holds the store until the pull is answered (at most a minute), however slow
            // the machine is.
            let release = Atomic<Bool>(false)
            let writer = Thread {
                _ = try? other.write(as: "Other") { tx in
                    holding.store(1, ordering: .sequentiallyConsistent)
                    let until = Date().addingTimeInterval(60)
                    while !release.load(ordering: .sequentiallyConsistent), Date() < until { Thread.sleep(forTimeInterval: 0.05) }
                    try tx.add(kind: Kind("incident"), fields: [try FieldName("title"): .text("other")])
                }
                holding.store(2, ordering: .sequentiallyConsistent)
            }
            writer.start()
            while holding.load(ordering: .sequentiallyConsistent) == 0 { try await Task.sleep(for: .milliseconds(10)) }
            let pull = try await post(url, token: token, request)
            #expect(pull.status == 200, "\(pull.json)")
            #expect(holding.load(ordering: .sequentiallyConsistent) == 1, "the pull must be answered while the other writer still holds the store")
            release.store(true, ordering: .sequentiallyConsistent)
            while !writer.isFinished { try await Task.sleep(for: .milliseconds(50)) }
        }
    }
}

/// Connections that hold the server without asking anything, and the limits that end them.
@Suite(.serialized, .timeLimit(.minutes(3))) struct ConnectionLimitTests {
    let folder: TemporaryFolder
    init() throws { folder = try TemporaryFolder() }

    /// Whether the server has closed `connection` (a read returns end of file), waiting at most
    /// `seconds`.
    func closedByServer(_ connection: RawHTTP, within seconds: Double) async throws -> Bool {
        try await offThePool { Self.waitForClose(connection, within: seconds) }
    }

    static func waitForClose(_ connection: RawHTTP, within seconds: Double) -> Bool {
        var limit = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - Double(Int(seconds))) * 1_000_000))
        setsockopt(connection.descriptor, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var byte: UInt8 = 0
        let n = recv(connection.descriptor, &byte, 1, 0)
        return n == 0 || (n < 0 && errno == ECONNRESET)
    }

    @Test func idleConnectionsAreClosedAfterTheHeaderTimeout() async throws {
        let central = try makeStore("central", in: folder)
        try await withServer(central, limits: ConnectionLimits(headerTimeout: .seconds(1), bodyTimeout: .seconds(1))) { url in
            let port = try #require(Int(url.split(separator: ":").last!))
            let idle = try RawHTTP(port: port)
            let slowloris = try RawHTTP(port: port)
            #expect(slowloris.send(Array("POST /v1/sync HTTP/1.1\r\nHost: 127.0.0.1\r\n".utf8)))
            // A header byte every 200 ms does not keep the connection.
            let started = ContinuousClock.now
            var open = true
            while open, ContinuousClock.now - started < .seconds(15) {
                open = slowloris.send(Array("X".utf8))
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(!open)
            #expect(try await closedByServer(idle, within: 3))
        }
    }

    @Test func aStalledBodyIsCut_aSlowMovingBodySucceeds() async throws {
        let central = try makeStore("central", in: folder)
        let office = try makeStore("fia-lahore", in: folder)
        try office.add(kind: kind("incident"), fields: [name("title"): .text("over a poor link")], as: "Rashid")
        // The body timeout is ten times the gap between chunks: under a full test run on two
        // cores a 400 ms sleep can come back seconds late.
        try await withServer(central, limits: ConnectionLimits(headerTimeout: .seconds(5), bodyTimeout: .seconds(4))) { url in
            let token = try register(office, at: central, url: url, as: "central").token
            let port = try #require(Int(url.split(separator: ":").last!))
            let body = try JSONEncoder().encode(SyncRequest(node: office.node, knowledge: try office.knowledge(), changes: try office.changes(missingFrom: Knowledge()).changes))
            // Stalled after half the body: closed, nothing applied.
            let stalled = try RawHTTP(port: port)
            #expect(stalled.send(RawHTTP.postHead(path: "/v1/sync", token: token, contentType: "application/json", length: body.count)))
            #expect(stalled.send(Array(body.prefix(body.count / 2))))
            #expect(try await closedByServer(stalled, within: 12))
            #expect(try central.knowledge()[Chain(office.node, .general)] == 0)
            // Moving slowly (a chunk every 400 ms, 8 s in all, twice the body timeout): answered 200.
            let slow = try RawHTTP(port: port)
            #expect(slow.send(RawHTTP.postHead(path: "/v1/sync", token: token, contentType: "application/json", length: body.count)))
            let chunk = max(1, body.count / 20)
            var at = 0
            while at < body.count {
                #expect(slow.send(Array(body[at..<min(body.count, at + chunk)])))
                at += chunk
                try await Task.sleep(for: .milliseconds(400))
            }
            #expect(try await offThePool { try slow.response().status } == 200)
            #expect(try central.knowledge()[Chain(office.node, .general)] == 1)
        }
    }

    @Test func atTheCapWithEveryConnectionBusy_503WithRetryAfter() async throws {
        let central = try makeStore("central", in: folder)
        let office = try makeStore("fia-lahore", in: folder)
        try await withServer(central, limits: ConnectionLimits(headerTimeout: .seconds(10), bodyTimeout: .seconds(10), maxConnections: 2)) { url in
            let token = try register(office, at: central, url: url, as: "central").token
            let port = try #require(Int(url.split(separator: ":").last!))
            // Two connections busy with requests whose bodies are still arriving.
            var busy: [RawHTTP] = []
            for _ in 0..<2 {
                let connection = try RawHTTP(port: port)
                #expect(connection.send(RawHTTP.postHead(path: "/v1/sync", token: token, contentType: "application/json", length: 100)))
                #expect(connection.send(Array("{".utf8)))
                busy.append(connection)
            }
            try await Task.sleep(for: .milliseconds(300))
            let third = try RawHTTP(port: port)
            #expect(third.send(Array("GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8)))
            let (status, body, headers) = try await offThePool { try third.responseWithHeaders() }
            #expect(status == 503)
            #expect(headers["retry-after"] == "2")
            #expect(String(decoding: body, as: UTF8.self).contains("over_capacity"))
            busy.removeAll()
        }
    }

    /// 1,000 idle and slowloris connections against a server capped at 256: 20 offices syncing at
    /// the same time all sync, and the attackers' connections are closed.
    @Test func aThousandIdleAndSlowConnectionsDoNotStopTwentyOffices() async throws {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        limit.rlim_cur = limit.rlim_max
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        try #require(limit.rlim_cur >= 2600, "the test needs 2,600 open files (ulimit -n)")
        let central = try makeStore("central", in: folder)
        var offices: [Store] = []
        for i in 0..<20 { offices.append(try makeStore("office-\(i)", in: folder)) }
        try await withServer(central, limits: ConnectionLimits(headerTimeout: .seconds(5), bodyTimeout: .seconds(5), maxConnections: 256)) { url in
            let port = try #require(Int(url.split(separator: ":").last!))
            for office in offices { try register(office, at: central, url: url, as: "central") }
            let idle = try await offThePool { try (0..<500).map { _ in try RawHTTP(port: port) } }
            let slow = try await offThePool {
                try (0..<500).map { _ in
                    let connection = try RawHTTP(port: port)
                    _ = connection.send(Array("POST /v1/sync HTTP/1.1\r\n".utf8))
                    return connection
                }
            }
            // The slowloris: a header byte from each, every 500 ms, until the offices are done.
            let attacking = Atomic<Bool>(true)
            let slowCopy = slow
            let attacker = Thread {
                while attacking.load(ordering: .relaxed) {
                    for connection in slowCopy { _ = connection.send(Array("X".utf8)) }
                    Thread.sleep(forTimeInterval: 0.5)
                }
            }
            attacker.start()
            let results = await withTaskGroup(of: Bool.self) { group in
                for (i, office) in offices.enumerated() {
                    group.addTask {
                        do {
                            try office.add(kind: Kind("incident"), fields: [try FieldName("title"): .text("entry of office \(i)")], as: "Officer \(i)")
                            return try await sync(office, "central").complete
                        } catch {
                            return false
                        }
                    }
                }
                var all: [Bool] = []
                for await result in group { all.append(result) }
                return all
            }
            attacking.store(false, ordering: .relaxed)
            while !attacker.isFinished { try await Task.sleep(for: .milliseconds(50)) }
            #expect(results.count == 20 && results.allSatisfy { $0 })
            #expect(try central.count(Query(kind: Kind("incident"))) == 20)
            // Every attacker's connection is closed by the header timeout, or to make room.
            let sample = Array(idle.prefix(50) + slow.prefix(50))
            let stillOpen = try await offThePool { sample.filter { !Self.waitForClose($0, within: 8) }.count }
            #expect(stillOpen == 0)
        }
    }
}
