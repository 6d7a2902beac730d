import AsyncHTTPClient
import DaftarClient
import DaftarModel
import DaftarSync
import Foundation
import Logging
import Synchronization
import Testing

@testable import DaftarServer
@testable import DaftarStore

@Suite(.timeLimit(.minutes(3))) struct SyncTests {
    let folder: TemporaryFolder
    init() throws { folder = try TemporaryFolder() }

    /// A central node, a hub and three offices: each office records and edits shared entries
    /// while offline, then they sync in several orders; every store ends identical, with the
    /// same entries in conflict everywhere.
    @Test(arguments: [0, 1, 2])
    func centralHubThreeOffices_convergeInAnyOrder(order: Int) async throws {
        let central = try makeStore("central", in: folder)
        let hub = try makeStore("punjab-hub", in: folder)
        let lahore = try makeStore("fia-lahore", in: folder)
        let karachi = try makeStore("fia-karachi", in: folder)
        let multan = try makeStore("fia-multan", in: folder)
        try await withServer(central) { centralURL in
            try await withServer(hub) { hubURL in
                try register(hub, at: central, url: centralURL, as: "central", relay: true)
                try register(lahore, at: central, url: centralURL, as: "central")
                try register(karachi, at: central, url: centralURL, as: "central")
                try register(karachi, at: hub, url: hubURL, as: "hub")
                try register(multan, at: hub, url: hubURL, as: "hub")
                // Shared entries, known to all before going offline.
                let shared = try (0..<3).map { i in
                    try lahore.add(kind: kind("case"), fields: [name("title"): .text("Case \(i)"), name("status"): .text("open")], as: "Rashid")
                }
                try await sync(lahore, "central")
                try await sync(hub, "central")
                try await sync(karachi, "central")
                try await sync(multan, "hub")
                #expect(try multan.record(shared[2]) != nil)
                // Offline: every office edits; some edits collide.
                try lahore.write(as: "Rashid") { tx in
                    try tx.set(shared[0], [name("status"): .text("closed")])
                    try tx.add(kind: kind("person"), fields: [name("name"): .text("Asif")])
                }
                try karachi.write(as: "Ayesha") { tx in
                    try tx.set(shared[0], [name("status"): .text("referred")])
                    try tx.set(shared[1], [name("city"): .text("Karachi")])
                    try tx.delete(shared[2])
                }
                try multan.write(as: "Bilal") { tx in
                    try tx.set(shared[2], [name("status"): .text("active")])
                    try tx.set(shared[1], [name("status"): .text("sealed")])
                    try tx.add(kind: kind("vehicle"), fields: [name("plate"): .text("MNA-77")])
                }
                let steps: [[(Store, String)]] = [
                    [(lahore, "central"), (karachi, "central"), (multan, "hub"), (hub, "central"), (karachi, "hub")],
                    [(multan, "hub"), (hub, "central"), (karachi, "hub"), (lahore, "central"), (karachi, "central")],
                    [(karachi, "hub"), (karachi, "central"), (hub, "central"), (lahore, "central"), (multan, "hub")],
                ]
                for _ in 0..<3 {
                    // Order 1 uses JSON bodies; order 2 compresses both ways with gzip.
                    for (store, remote) in steps[order] { try await sync(store, remote, encoding: order == 1 ? .json : .compact, gzip: order == 2) }
                }
            }
        }
        let reference = try snapshot(central)
        let conflicts = try central.conflicts().map(\.id)
        #expect(conflicts.count == 2)  // shared[0] status; shared[2] deleted against edited
        for store in [hub, lahore, karachi, multan] {
            #expect(try snapshot(store) == reference, "\(store.node) differs")
            #expect(try store.conflicts().map(\.id) == conflicts)
            #expect(try store.knowledge() == central.knowledge())
        }
    }

    @Test func push_sendsOwnChanges_receivesNothing() async throws {
        let central = try makeStore("central", in: folder)
        let office = try makeStore("fia-lahore", in: folder)
        try central.add(kind: kind("case"), fields: [name("t"): .text("from central")], as: "HQ")
        let mine = try office.add(kind: kind("case"), fields: [name("t"): .text("from lahore")], as: "Rashid")
        try await withServer(central) { url in
            let remote = try register(office, at: central, url: url, as: "central")
            let client = try SyncClient(store: office, remote: remote)
            let summary = try await client.sync(receive: false)
            await client.shutdown()
            #expect(summary.progress.sentChanges == 1 && summary.progress.receivedChanges == 0)
            #expect(try central.record(mine) != nil)
            #expect(try office.count(Query()) == 1)
            try await sync(office, "central")
            #expect(try office.count(Query()) == 2)
        }
    }

    @Test func authentication_noTokenWrongTokenRevokedWrongNode() async throws {
        let central = try makeStore("central", in: folder)
        let office = try makeStore("fia-lahore", in: folder)
        try await withServer(central) { url in
            let remote = try register(office, at: central, url: url, as: "central")
            let body = try JSONEncoder().encode(SyncRequest(node: office.node, knowledge: Knowledge(), changes: []))
            let none = try await post(url, token: nil, body: body)
            #expect(none.status == 401 && none.body["error"] as? String == "unauthenticated")
            let wrong = try await post(url, token: "dft1_not-a-real-token", body: body)
            #expect(wrong.status == 401)
            let ok = try await post(url, token: remote.token, body: body)
            #expect(ok.status == 200)
            let other = try JSONEncoder().encode(SyncRequest(node: try NodeID("fia-karachi"), knowledge: Knowledge(), changes: []))
            let wrongNode = try await post(url, token: remote.token, body: other)
            #expect(wrongNode.status == 403 && wrongNode.body["error"] as? String == "wrong_node")
            try central.revokePeer(office.node)
            let revoked = try await post(url, token: remote.token, body: body)
            #expect(revoked.status == 401)
            await #expect(throws: SyncError.self) { try await sync(office, "central") }
        }
    }

    @Test func origins_officeMaySendOnlyItsOwn_relayMayPassOthers() async throws {
        let central = try makeStore("central", in: folder)
        let lahore = try makeStore("fia-lahore", in: folder)
        let karachi = try makeStore("fia-karachi", in: folder)
        let hub = try makeStore("punjab-hub", in: folder)
        try await withServer(central) { url in
            let office = try register(lahore, at: central, url: url, as: "central")
            let relay = try register(hub, at: central, url: url, as: "central", relay: true)
            // Karachi's change reaches Lahore and the hub by hand.
            try karachi.add(kind: kind("incident"), fields: [name("title"): .text("spoof")], as: "Ayesha")
            let foreign = try karachi.changes(missingFrom: Knowledge()).changes
            _ = try lahore.apply(foreign)
            _ = try hub.apply(foreign)
            let own = try lahore.add(kind: kind("incident"), fields: [name("title"): .text("own")], as: "Rashid")
            // Lahore, an office, sends Karachi's change as if passing it on: refused, named, nothing applied.
            let spoof = SyncRequest(node: lahore.node, knowledge: try lahore.knowledge(), changes: foreign + (try lahore.changes(missingFrom: Knowledge(), mayPassOn: { $0 == lahore.node }).changes))
            let answer = try await post(url, token: office.token, body: try JSONEncoder().encode(spoof))
            #expect(answer.status == 200)
            let stop = try #require(answer.body["stop"] as? [String: Any])
            #expect(stop["reason"] as? String == "origin_not_allowed")
            #expect((stop["message"] as? String)?.contains("fia-karachi") == true)
            #expect(try central.knowledge()[Chain(karachi.node, .general)] == 0)
            // The client itself never sends what it may not pass on: it holds it back and says so,
            // and sends its own.
            let summary = try await sync(lahore, "central")
            #expect(summary.heldBack == [Dot(origin: karachi.node, seq: 1)])
            #expect(try central.record(own) != nil)
            // A registered relay may pass Karachi's change on.
            _ = relay
            try await sync(hub, "central")
            #expect(try central.knowledge()[Chain(karachi.node, .general)] == 1)
        }
    }

    @Test func badRequests_getTheirErrors_andChangeNothing() async throws {
        let central = try makeStore("central", in: folder)
        let office = try makeStore("fia-lahore", in: folder)
        try await withServer(central) { url in
            let remote = try register(office, at: central, url: url, as: "central")
            try office.add(kind: kind("incident"), fields: [name("t"): .text("x")], as: "Rashid")
            let before = try snapshot(central)
            let malformed = try await post(url, token: remote.token, body: Data("{not json".utf8))
            #expect(malformed.status == 400 && malformed.body["error"] as? String == "malformed")
            let wrongType = try await post(url, token: remote.token, body: Data(#"{"node": 5, "knowledge": {}}"#.utf8))
            #expect(wrongType.status == 400)
            let unknown = try await post(url, token: remote.token, body: Data(#"{"node": "fia-lahore", "knowledge": {}, "changez": []}"#.utf8))
            #expect(unknown.status == 400 && (unknown.body["message"] as? String)?.contains("changez") == true)
            let mediaType = try await post(url, token: remote.token, contentType: "text/plain", body: Data("hi".utf8))
            #expect(mediaType.status == 415)
            // A tampered change: 422, nothing applied.
            var changes = try office.changes(missingFrom: Knowledge()).changes
            changes[0].fields[name("t")] = .text("y")
            let tampered = try await post(url, token: remote.token, body: try JSONEncoder().encode(SyncRequest(node: office.node, knowledge: try office.knowledge(), changes: changes)))
            #expect(tampered.status == 422 && tampered.body["error"] as? String == "invalid_change")
            // An impossible dot (seq 0).
            var impossible = try office.changes(missingFrom: Knowledge()).changes
            impossible[0].dot.seq = 0
            let zero = try await post(url, token: remote.token, body: try JSONEncoder().encode(SyncRequest(node: office.node, knowledge: try office.knowledge(), changes: impossible)))
            #expect(zero.status == 422)
            // A huge body: 413.
            let huge = try await post(url, token: remote.token, body: Data(repeating: 0x20, count: SyncProtocol.maxRequestBytes + 10))
            #expect(huge.status == 413)
            #expect(try snapshot(central) == before)
        }
    }

    /// Two offices sync with each other while the central node is down; later both sync with it
    /// and all converge.
    @Test func officeToOffice_whileCentralIsDown_thenAllConverge() async throws {
        let central = try makeStore("central", in: folder)
        let lahore = try makeStore("fia-lahore", in: folder)
        let kasur = try makeStore("fia-kasur", in: folder)
        // Both are registered at central; central is not running now.
        let centralToken = (lahore: try central.registerPeer(lahore.node, role: .office), kasur: try central.registerPeer(kasur.node, role: .office))
        try lahore.add(kind: kind("case"), fields: [name("title"): .text("joint raid")], as: "Rashid")
        try kasur.add(kind: kind("person"), fields: [name("name"): .text("Tariq")], as: "Sana")
        try await withServer(lahore) { lahoreURL in
            try register(kasur, at: lahore, url: lahoreURL, as: "lahore", relay: true)
            try await sync(kasur, "lahore")
            try await sync(kasur, "lahore")
        }
        #expect(try snapshot(lahore) == snapshot(kasur))
        // Later, central is up.
        try await withServer(central) { url in
            try lahore.saveRemote(Remote(name: "central", url: url, token: centralToken.lahore))
            try kasur.saveRemote(Remote(name: "central", url: url, token: centralToken.kasur))
            try await sync(kasur, "central")  // kasur may pass on only its own changes here
            try await sync(lahore, "central")
            try await sync(kasur, "central")
        }
        #expect(try snapshot(central) == snapshot(lahore))
        #expect(try snapshot(central) == snapshot(kasur))
        #expect(try central.count(Query()) == 2)
    }

    /// An office's store copied by hand and used twice: the fork is found with its dot named, and
    /// the documented recovery brings everyone back to one register.
    @Test func fork_isFoundWithItsDot_andRecoveryConverges() async throws {
        let central = try makeStore("central", in: folder)
        let office = try makeStore("fia-lahore", in: folder)
        try office.add(kind: kind("case"), fields: [name("title"): .text("shared")], as: "Rashid")
        let copyPath = folder.file("copy.daftar")
        try await office.pool.writeWithoutTransaction { db in try db.execute(sql: "VACUUM INTO ?", arguments: [copyPath]) }
        // The whole laptop copied: its key file too, so that the copy signs as the same node.
        try FileManager.default.copyItem(atPath: office.keyPath, toPath: copyPath + ".key")
        let copy = try Store.open(at: copyPath)
        try await withServer(central) { url in
            let token = try central.registerPeer(office.node, role: .office)
            try office.saveRemote(Remote(name: "central", url: url, token: token))
            try copy.saveRemote(Remote(name: "central", url: url, token: token))
            try office.add(kind: kind("vehicle"), fields: [name("plate"): .text("LEA-1")], as: "Rashid")
            try copy.add(kind: kind("vehicle"), fields: [name("plate"): .text("LEB-2")], as: "Ayesha")
            try await sync(office, "central")
            let summary = try await sync(copy, "central")
            let fork = try #require(summary.forks.first)
            #expect(fork.dot == Dot(origin: office.node, seq: 2))
            #expect(try central.knownForks().map(\.dot.origin) == [office.node])
            #expect(try central.count(Query()) == 2)  // nothing of the copy's branch merged
            // Recovery on the copy: find where the histories part, discard its branch, take the new id.
            guard let remote = try copy.remotes().first else { throw TestFailure("no remote") }
            let client = try SyncClient(store: copy, remote: remote)
            let kept = try await client.chainHashes(of: office.node, from: 1, to: 100)
            await client.shutdown()
            let seq = try #require(try copy.firstDifference(of: office.node, comparedWith: kept))
            let report = try copy.discardBranch(of: office.node, from: seq)
            #expect(report.tookNewIdentity)
            try central.keepBranch(of: office.node)
            // The copy is a new node now: it needs its own registration.
            let newToken = try central.registerPeer(copy.node, role: .office)
            try copy.saveRemote(Remote(name: "central", url: url, token: newToken))
            try await sync(copy, "central")
            try await sync(office, "central")
        }
        #expect(try snapshot(central) == snapshot(office))
        #expect(try snapshot(central) == snapshot(copy))
        #expect(try central.count(Query()) == 3)
        #expect(try central.knownForks().isEmpty)
    }
}

/// Requests made to break the server, answered without harm.
@Suite(.timeLimit(.minutes(5))) struct HostileSyncTests {
    let folder: TemporaryFolder
    init() throws { folder = try TemporaryFolder() }

    func get(_ url: String, token: String) async throws -> Int {
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        let response = try await http.execute(request, timeout: .seconds(30))
        _ = try await response.body.collect(upTo: 1 << 20)
        try await http.shutdown()
        return Int(response.status.code)
    }

    /// Offices behind one carrier NAT share an address: guesses lock that address out for
    /// unknown tokens only, and every refusal is slowed; a valid token always gets through.
    @Test func guessedTokens_lockTheAddressOutForUnknownTokensOnly() async throws {
        let central = try makeStore("central", in: folder)
        let office = try makeStore("fia-lahore", in: folder)
        try await withServer(central) { url in
            let remote = try register(office, at: central, url: url, as: "central")
            let body = try JSONEncoder().encode(SyncRequest(node: office.node, knowledge: Knowledge(), changes: []))
            let started = ContinuousClock.now
            for guess in 0..<10 {
                #expect(try await post(url, token: "dft1_guess\(guess)", body: body).status == 401)
            }
            // Refusals are slowed, more with every failure: 0.2 + 0.4 + ... + 2.0 s at least.
            #expect(ContinuousClock.now - started >= .milliseconds(10_500))
            let locked = try await http(url, headers: [("Authorization", "Bearer dft1_guess10"), ("Content-Type", "application/json")], body: body)
            #expect(locked.status == 429 && locked.json["error"] as? String == "too_many_failures")
            let retryAfter = try #require(locked.headers["retry-after"].flatMap { Int($0) })
            #expect((1...61).contains(retryAfter))
            // A valid token from the same address is never refused for it.
            #expect(try await post(url, token: remote.token, body: body).status == 200)
            #expect(try await sync(office, "central").complete)
        }
    }

    @Test func tokenRevokedWhileTheBodyArrives_nothingIsApplied() async throws {
        let central = try makeStore("central", in: folder)
        let office = try makeStore("fia-lahore", in: folder)
        try office.add(kind: Kind("incident"), fields: [try FieldName("title"): .text("sent by a node about to be revoked")], as: "Rashid")
        try await withServer(central) { url in
            let remote = try register(office, at: central, url: url, as: "central")
            let outgoing = try office.changes(missingFrom: Knowledge())
            let body = try JSONEncoder().encode(SyncRequest(node: office.node, knowledge: try office.knowledge(), changes: outgoing.changes))
            let port = try #require(Int(url.split(separator: ":").last!))
            let connection = try RawHTTP(port: port)
            // The headers and half the body arrive with a live token; the rest after revocation.
            #expect(connection.send(RawHTTP.postHead(path: "/v1/sync", token: remote.token, contentType: "application/json", length: body.count)))
            #expect(connection.send(Array(body.prefix(body.count / 2))))
            try await Task.sleep(for: .milliseconds(200))
            try central.revokePeer(office.node)
            #expect(connection.send(Array(body.dropFirst(body.count / 2))))
            let (status, answer) = try await offThePool { try connection.response() }
            #expect(status == 401, "\(String(decoding: answer, as: UTF8.self))")
            #expect(try central.count(Query()) == 0)
        }
    }

    /// Keeps every log line, message and metadata, for checking what the server writes down.
    final class CapturedLog: LogHandler, @unchecked Sendable {
        let lines = Mutex<[String]>([])
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { $1 }
            lines.withLock { $0.append("\(event.message) \(all)") }
        }
    }

    @Test func everyRefusalIsLogged_withTheAddress_neverTheToken() async throws {
        let central = try makeStore("central", in: folder)
        let office = try makeStore("fia-lahore", in: folder)
        let other = try makeStore("fia-karachi", in: folder)
        let captured = CapturedLog()
        let logger = Logger(label: "test") { _ in captured }
        try await withLiveServer(central, logger: logger) { url in
            let remote = try register(office, at: central, url: url, as: "central")
            let otherRemote = try register(other, at: central, url: url, as: "central")
            let body = try JSONEncoder().encode(SyncRequest(node: office.node, knowledge: Knowledge(), changes: []))
            let guess = "dft1_notarealtokenatall0123456789"
            #expect(try await post(url, token: guess, body: body).status == 401)
            #expect(try await post(url, token: otherRemote.token, body: body).status == 403)  // another node's token
            try central.revokePeer(office.node)
            #expect(try await post(url, token: remote.token, body: body).status == 401)
        }
        let lines = captured.lines.withLock { $0 }
        let refusals = lines.filter { $0.contains("refused") }
        #expect(refusals.count >= 3, "\(lines)")
        #expect(refusals.filter { $0.contains("127.0.0.1") }.count >= 2, "\(refusals)")
        for line in lines {
            #expect(!line.contains("dft1_"), "a log line shows a token: \(line)")
        }
    }

    /// `change` after `edit`, with its hash made again, so that only the checks past the hash
    /// can refuse it.
    func rehashed(_ change: Change, _ edit: (inout Change) -> Void) throws -> Change {
        var c = change
        edit(&c)
        let hash = try c.computedHash()
        return Change(
            unchecked: c.dot, record: c.record, kind: c.kind, operation: c.operation, fields: c.fields, vector: c.vector, hlc: c.hlc, officer: c.officer,
            wallTime: c.wallTime, scope: c.scope, prev: c.prev, format: c.format, hash: hash)
    }

    @Test func hostileInput_isRefusedWithItsError_andChangesNothing() async throws {
        let central = try makeStore("central", in: folder)
        let office = try makeStore("fia-lahore", in: folder)
        try office.add(kind: kind("incident"), fields: [name("t"): .text("x")], as: "Rashid")
        try await withServer(central) { url in
            let remote = try register(office, at: central, url: url, as: "central")
            let before = try snapshot(central)
            let changes = try office.changes(missingFrom: Knowledge()).changes
            let valid = String(decoding: try JSONEncoder().encode(SyncRequest(node: office.node, knowledge: try office.knowledge(), changes: changes)), as: UTF8.self)
            func send(_ body: String) async throws -> (status: Int, body: [String: Any]) { try await post(url, token: remote.token, body: Data(body.utf8)) }
            func send(_ changes: [Change]) async throws -> (status: Int, body: [String: Any]) {
                try await post(url, token: remote.token, body: try JSONEncoder().encode(SyncRequest(node: office.node, knowledge: try office.knowledge(), changes: changes)))
            }
            #expect(valid.contains(#""t":"x""#))
            // SQL in a field name: not an identifier.
            let sqlName = try await send(valid.replacingOccurrences(of: #""t":"x""#, with: #""t'); DROP TABLE record;--":"x""#))
            #expect(sqlName.status == 400 && sqlName.body["error"] as? String == "malformed", "\(sqlName)")
            // A value over 8,192 bytes.
            let long = try await send(valid.replacingOccurrences(of: #""t":"x""#, with: "\"t\":\"\(String(repeating: "x", count: 100_000))\""))
            #expect([400, 413, 422].contains(long.status), "\(long.status)")
            // JSON nested 100,000 deep, where an object is expected.
            let nested = try await send(#"{"node":"fia-lahore","knowledge":"# + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}")
            #expect(nested.status == 400)
            // Bytes that are not UTF-8.
            var invalid = Data(valid.utf8)
            invalid.replaceSubrange(invalid.range(of: Data(#""x""#.utf8))!, with: Data([0x22, 0xFF, 0xFE, 0x22]))
            let notUTF8 = try await post(url, token: remote.token, body: invalid)
            #expect(notUTF8.status == 400)
            // An add that creates a record in another office's name.
            let foreign = try rehashed(changes[0]) { $0.record = RecordID(Dot(origin: try! NodeID("fia-karachi"), seq: 1)) }
            let foreignAnswer = try await send([foreign])
            #expect(foreignAnswer.status == 422 && foreignAnswer.body["error"] as? String == "invalid_change", "\(foreignAnswer)")
            // A vector with an absurd counter, and one covering a change that does not exist: held
            // back as missing dependencies, nothing applied.
            for seq in [UInt64(Int64.max), 3] {
                let absurd = try rehashed(changes[0]) { $0.vector[try! NodeID("fia-karachi")] = seq }
                let answer = try await send([absurd])
                #expect(answer.status == 200 && answer.body["applied"] as? Int == 0, "\(answer)")
                #expect((answer.body["stop"] as? [String: Any])?["reason"] as? String == "missing_dependency", "\(answer)")
            }
            #expect(try snapshot(central) == before)
            #expect(try central.integrityCheck() == [])
            // SQL in a value is only text: kept and found as typed.
            let sql = "x'); DROP TABLE record;--"
            try office.write(as: "Rashid") { tx in try tx.set(RecordID(changes[0].dot), [name("t"): .text(sql)]) }
            try await sync(office, "central")
            #expect(try central.find(Query(where: .compare(name("t"), .equal, .text(sql)))).count == 1)
            #expect(try central.integrityCheck() == [])
        }
    }

    @Test func chainRangesPastTheLimits_are400_andTheServerLives() async throws {
        let central = try makeStore("central", in: folder)
        let office = try makeStore("fia-lahore", in: folder)
        try await withServer(central) { url in
            let remote = try register(office, at: central, url: url, as: "central")
            for query in ["from=9223372036854775808&to=9223372036854775808", "from=18446744073709551615", "from=0", "from=5&to=2", "from=1&to=200000"] {
                #expect(try await get(url + "/v1/chain/fia-lahore?\(query)", token: remote.token) == 400, "\(query)")
            }
            #expect(try await get(url + "/v1/chain/fia-lahore?from=1&to=10", token: remote.token) == 200)
        }
    }

    @Test func madeUpForkClaimAboutAnotherOrigin_isReportedButBlocksNothing() async throws {
        let central = try makeStore("central", in: folder)
        let office = try makeStore("fia-lahore", in: folder)
        let karachi = try makeStore("fia-karachi", in: folder)
        try await withServer(central) { url in
            let remote = try register(office, at: central, url: url, as: "central")
            try register(karachi, at: central, url: url, as: "central")
            try karachi.add(kind: kind("case"), fields: [name("t"): .text("k")], as: "Ayesha")
            try await sync(karachi, "central")
            let fake = Knowledge([Chain(karachi.node, .general): Knowledge.Entry(seq: 1, hash: try ContentHash(hex: String(repeating: "ab", count: 32)))])
            let answer = try await post(url, token: remote.token, body: try JSONEncoder().encode(SyncRequest(node: office.node, knowledge: fake, changes: [])))
            #expect(answer.status == 200)
            #expect((answer.body["forks"] as? [Any])?.count == 1)
            #expect(try central.knownForks().isEmpty)
            // Karachi's changes still flow to everyone else.
            try karachi.add(kind: kind("case"), fields: [name("t"): .text("k2")], as: "Ayesha")
            try await sync(karachi, "central")
            #expect(try central.knowledge()[Chain(karachi.node, .general)] == 2)
        }
    }

    @Test func editOfARecordNeverCreated_stopsThere_andTheClientStillReceives() async throws {
        let central = try makeStore("central", in: folder)
        let office = try makeStore("fia-lahore", in: folder)
        try await withServer(central) { url in
            let remote = try register(office, at: central, url: url, as: "central")
            try central.add(kind: kind("case"), fields: [name("t"): .text("from central")], as: "HQ")
            let a = try office.add(kind: kind("case"), fields: [name("t"): .text("a")], as: "Rashid")
            try office.write(as: "Rashid") { try $0.set(a, [name("t"): .text("b")]) }
            // A forged third change: a set of "fia-lahore-2", which is a set, not a created record.
            let own = try office.knowledge().entries[Chain(office.node, .general)]!
            let forged = try Change(
                dot: Dot(origin: office.node, seq: 3), record: RecordID(Dot(origin: office.node, seq: 2)), kind: kind("case"), operation: .set,
                fields: [name("t"): .text("x")], vector: VersionVector([(office.node, 3)]), hlc: HLC(milliseconds: 1_780_000_000_000),
                officer: "forger", wallTime: 0, prev: ChainLink(seq: own.seq, hash: own.hash))
            let batch = try office.changes(missingFrom: Knowledge()).changes + [forged]
            let answer = try await post(url, token: remote.token, body: try JSONEncoder().encode(SyncRequest(node: office.node, knowledge: Knowledge(), changes: batch)))
            #expect(answer.status == 200)
            #expect(answer.body["applied"] as? Int == 2)
            #expect((answer.body["stop"] as? [String: Any])?["reason"] as? String == "invalid_change")
            #expect((answer.body["changes"] as? [Any])?.count == 3)  // the client still receives (all it claims to lack)
            #expect(try central.knowledge()[Chain(office.node, .general)] == 2)
        }
    }
}
