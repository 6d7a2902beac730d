import DaftarClient
import DaftarModel
import DaftarStore
import DaftarSync
import Foundation
import Testing

/// Knowledge crosses the wire as a digest per scope, with entries only where the peer's copy
/// differs (DESIGN promise 13), through a real server: a sync with nothing new sends no entries
/// either way, a digest that does not match is refused with nothing applied, and a lost answer
/// costs one more exchange.
@Suite(.timeLimit(.minutes(5))) struct KnowledgeDigestTests {
    let folder: TemporaryFolder
    init() throws { folder = try TemporaryFolder() }

    func post(_ url: String, token: String, _ body: [String: Any]) async throws -> (status: Int, headers: [String: String], json: [String: Any], raw: Data) {
        try await http(url, headers: [("Authorization", "Bearer \(token)"), ("Content-Type", "application/json")], body: JSONSerialization.data(withJSONObject: body))
    }

    func wire(_ value: some Encodable) throws -> Any { try JSONSerialization.jsonObject(with: JSONEncoder().encode(value), options: .fragmentsAllowed) }

    /// A central node holding the changes of `offices` offices, each synced once; returns the
    /// first office and its token.
    func network(offices: Int, central: Store, url: String) async throws -> (Store, String) {
        var first: (Store, String)?
        for i in 0..<offices {
            let office = try makeStore("fia-office-\(i)", in: folder)
            let remote = try register(office, at: central, url: url, as: "central")
            try office.add(kind: kind("incident"), fields: [name("title"): .text("report \(i)")], as: "Rashid")
            try await sync(office, "central")
            if first == nil { first = (office, remote.token) }
        }
        let (office, token) = try #require(first)
        // Once more, so that the first office holds every other office's change too.
        try await sync(office, "central")
        return (office, token)
    }

    @Test func aSyncWithNothingNew_sendsNoEntriesEitherWay_andFarFewerBytes() async throws {
        let central = try makeStore("central", in: folder)
        try await withServer(central) { url in
            let (office, token) = try await network(offices: 12, central: central, url: url)
            // The last request of a sync said what the office held before it applied the last
            // answer: the server recorded that, and the next sync's request sends what was
            // received since. After it, the record is the office's knowledge as it is.
            let recorded = try #require(try office.remotes().first?.sentKnowledge)
            #expect(try central.peerSeen(office.node).knowledge == recorded, "the client remembers what the server recorded")
            try await sync(office, "central")
            let knowledge = try office.knowledge()
            #expect(knowledge.entries.count >= 12)
            #expect(try office.remotes().first?.sentKnowledge == knowledge)
            #expect(try central.peerSeen(office.node).knowledge == knowledge)

            // By hand, as docs/PROTOCOL.md says: nothing changed since the last answered exchange.
            let digests = knowledge.digests(of: knowledge.scopes)
            let answer = try await post(url, token: token, ["node": office.node.rawValue, "knowledge": [String: Any](), "knowledgeDelta": true, "digests": try wire(digests)])
            #expect(answer.status == 200, "\(String(decoding: answer.raw, as: UTF8.self))")
            #expect((answer.json["knowledge"] as? [String: Any])?.isEmpty == true, "no entry differs: \(answer.json["knowledge"] ?? "")")
            #expect((answer.json["changes"] as? [Any])?.isEmpty == true, "the server rebuilt the whole knowledge, so it sends nothing already held")
            let serverDigests = try JSONDecoder().decode(KnowledgeDigests.self, from: JSONSerialization.data(withJSONObject: try #require(answer.json["digests"])))
            #expect(serverDigests == (try central.knowledge()).digests(of: knowledge.scopes), "the answer's digests are those of the server's knowledge")
            // Left out, everything comes whole: the knowledge, and (for empty knowledge) every change.
            let whole = try await post(url, token: token, ["node": office.node.rawValue, "knowledge": [String: Any]()])
            #expect(whole.status == 200 && whole.json["digests"] == nil)
            #expect(((whole.json["knowledge"] as? [String: [String: Any]])?["general"]?.count ?? 0) >= 12)
            #expect(((whole.json["changes"] as? [Any])?.count ?? 0) >= 12)

            // The same sync by the client, with digests and whole: both converge, and with
            // digests the bytes both ways are a fraction.
            func steady(digests: Bool) async throws -> (SyncSummary, Int) {
                let remote = try #require(try office.remotes().first)
                let client = try SyncClient(store: office, remote: remote, encoding: .json, knowledgeDigests: digests)
                let summary = try await client.sync()
                await client.shutdown()
                return (summary, summary.progress.sentBytes + summary.progress.receivedBytes)
            }
            _ = try await steady(digests: false)
            _ = try await steady(digests: true)
            let (withDigests, digestBytes) = try await steady(digests: true)
            let (plain, wholeBytes) = try await steady(digests: false)
            #expect(withDigests.complete && plain.complete)
            #expect(digestBytes * 3 < wholeBytes, "digests \(digestBytes) bytes, whole \(wholeBytes) bytes")
        }
    }

    @Test func aDigestThatDoesNotMatch_isRefused_withNothingApplied() async throws {
        let central = try makeStore("central", in: folder)
        try await withServer(central) { url in
            let (office, token) = try await network(offices: 2, central: central, url: url)
            let id = try office.add(kind: kind("incident"), fields: [name("title"): .text("not yet sent")], as: "Rashid")
            let seq = try office.knowledge().highestSeq(of: office.node)
            let change = try #require(try office.change(at: Dot(origin: office.node, seq: seq)))
            var knowledge = try office.knowledge()
            // A digest of other knowledge: the office claims one chain fewer than it holds.
            let claimed = try #require(knowledge.entries.keys.first { $0.origin != office.node })
            knowledge.entries[claimed] = nil
            let body: [String: Any] = [
                "node": office.node.rawValue, "knowledge": [String: Any](), "knowledgeDelta": true,
                "digests": try wire(knowledge.digests(of: try office.knowledge().scopes)), "changes": [try wire(change)],
            ]
            let answer = try await post(url, token: token, body)
            #expect(answer.status == 409 && answer.json["error"] as? String == "knowledge_mismatch", "\(String(decoding: answer.raw, as: UTF8.self))")
            #expect((answer.json["message"] as? String)?.contains("send the knowledge whole") == true)
            #expect(try central.record(id) == nil, "nothing of a refused exchange is applied")
            // A delta without digests is malformed; digests that leave out a scope the
            // knowledge names too.
            let noDigests = try await post(url, token: token, ["node": office.node.rawValue, "knowledge": [String: Any](), "knowledgeDelta": true])
            #expect(noDigests.status == 400, "\(String(decoding: noDigests.raw, as: UTF8.self))")
            let strayScope = try await post(
                url, token: token, ["node": office.node.rawValue, "knowledge": try wire(try office.knowledge()), "digests": [String: Any]()])
            #expect(strayScope.status == 400, "\(String(decoding: strayScope.raw, as: UTF8.self))")
            // The client itself gets through.
            #expect(try await sync(office, "central").complete)
            #expect(try central.record(id) != nil)
        }
    }

    /// The server answered, but the answer never arrived: the client's base is older than what
    /// the server recorded. Knowledge only grows, so the changes since the older base rebuild
    /// the whole all the same. When the server's record is not one the client's base led to (the
    /// server's store was restored from a backup), the digests catch it: the knowledge goes
    /// whole once, and the next exchange is a delta again.
    @Test func aLostAnswerOrARestoredServer_stillSyncs_andADeltaFollows() async throws {
        let central = try makeStore("central", in: folder)
        try await withServer(central) { url in
            let (office, _) = try await network(offices: 3, central: central, url: url)
            let stale = try #require(try office.remotes().first)
            let before = try office.knowledge()
            let other = try makeStore("fia-extra", in: folder)
            try register(other, at: central, url: url, as: "central")
            try other.add(kind: kind("case"), fields: [name("title"): .text("extra")], as: "Ali")
            try await sync(other, "central")
            try await sync(office, "central")
            #expect(try office.knowledge() != before)
            // Back to the base of before: as if the last answer had been lost.
            try office.noteRemoteSynced("central", knowledge: try #require(stale.lastKnowledge), sent: stale.sentKnowledge)
            let id = try office.add(kind: kind("incident"), fields: [name("title"): .text("after the lost answer")], as: "Rashid")
            #expect(try await sync(office, "central").complete)
            #expect(try central.record(id) != nil)
            #expect(try office.remotes().first?.sentKnowledge == office.knowledge())
            #expect(try central.peerSeen(office.node).knowledge == office.knowledge())

            // The server's record of the office is gone (its store restored from a backup made
            // before the office first synced): the delta cannot be read; refused, then whole.
            try central.notePeerSeen(office.node, knowledge: Knowledge(), previous: Store.PeerSeen())
            let later = try office.add(kind: kind("incident"), fields: [name("title"): .text("after the restore")], as: "Rashid")
            let again = try await sync(office, "central")
            #expect(again.complete && again.forks.isEmpty)
            #expect(try central.record(later) != nil)
            #expect(try central.peerSeen(office.node).knowledge == office.knowledge())
            #expect(try central.knownForks().isEmpty)
            #expect(try office.remotes().first?.sentKnowledge == office.knowledge())
        }
    }
}
