import DaftarClient
import DaftarModel
import DaftarStore
import DaftarSync
import Foundation
import Testing

/// Scopes across a real server (DESIGN promise 12): the central node grants each office its
/// scopes in the registry; an office holds, receives and sends only what its grant allows, and no
/// answer names anything of a scope it may not read.
@Suite(.timeLimit(.minutes(5))) struct ScopeSyncTests {
    let folder: TemporaryFolder
    init() throws { folder = try TemporaryFolder() }

    let punjab = try! Scope("punjab")
    let sindh = try! Scope("sindh")
    let national = try! Scope("national")

    /// Registers `office` at `central` with a grant, as `daftar node add ID --read ... --write ...`.
    func grant(_ office: Store, at central: Store, url: String, read: Set<Scope>, write: Set<Scope>) throws {
        try register(office, at: central, url: url, as: "central")
        try central.writeGrant(for: office.node, .register(read: read, write: write), as: "Admin")
    }

    @Test func eachOfficeHoldsOnlyItsScopes_andTheRegistryReachesEveryOffice() async throws {
        let central = try makeStore("central", in: folder)
        let lahore = try makeStore("fia-lahore", in: folder)
        let karachi = try makeStore("fia-karachi", in: folder)
        try await withServer(central) { url in
            // The first grant makes the central node the registry's root: it holds and writes every scope.
            #expect(try central.root() == nil)
            try grant(lahore, at: central, url: url, read: [national], write: [punjab])
            try grant(karachi, at: central, url: url, read: [national], write: [sindh])
            #expect(try central.root() == central.node)
            #expect(try central.heldScopes() == nil)
            let nationalCase = try central.write(as: "HQ") { try $0.add(kind: kind("case"), fields: [name("title"): .text("national")], in: national) }
            let sindhCase = try central.write(as: "HQ") { try $0.add(kind: kind("case"), fields: [name("title"): .text("sindh only")], in: sindh) }

            // Before the first sync an office writes general alone (or its --scope).
            #expect(throws: StoreError.self) { try lahore.write(as: "Rashid") { try $0.add(kind: kind("case"), fields: [:], in: punjab) } }
            let first = try await sync(lahore, "central")
            #expect(first.complete, "\(String(describing: first.serverStop)) \(String(describing: first.localStop))")
            #expect(try lahore.root() == central.node)
            #expect(try lahore.grant(of: lahore.node)?.writable == [punjab])
            #expect(try lahore.grant(of: lahore.node) == lahore.grants()[lahore.node])
            #expect(try lahore.heldScopes() == [national, punjab])
            #expect(try lahore.scopeForNewEntries() == punjab)

            // Lahore records in punjab (its one writable scope is where `add` puts entries).
            let raid = try lahore.add(kind: kind("case"), fields: [name("title"): .text("raid in Kasur")], as: "Rashid")
            #expect(try lahore.scope(of: raid) == punjab)
            let refused = try? lahore.write(as: "Rashid") { try $0.add(kind: kind("case"), fields: [:], in: sindh) }
            #expect(refused == nil, "lahore may not write sindh")
            try await sync(lahore, "central")
            try await sync(karachi, "central")
            let k = try karachi.add(kind: kind("case"), fields: [name("title"): .text("port seizure")], as: "Ali")
            try await sync(karachi, "central")
            try await sync(lahore, "central")

            // The central node holds every scope.
            for id in [nationalCase, sindhCase, raid, k] { #expect(try central.record(id) != nil) }
            // Lahore: national and its own punjab; never sindh.
            #expect(try lahore.record(nationalCase) != nil && lahore.record(raid) != nil)
            #expect(try lahore.record(sindhCase) == nil && lahore.record(k) == nil)
            #expect(try lahore.knowledge().scopes == [national, punjab, .registry])
            // Karachi: national and sindh; never punjab.
            #expect(try karachi.record(nationalCase) != nil && karachi.record(sindhCase) != nil && karachi.record(k) != nil)
            #expect(try karachi.record(raid) == nil)
            #expect(try karachi.knowledge().scopes == [national, sindh, .registry])
            // The registry (every grant) reached both.
            #expect(Set(try karachi.grants().keys) == [lahore.node, karachi.node])
            #expect(try karachi.entriesPerScope()[punjab] == nil)

            // An id of an entry in a scope not held says so, rather than "no such entry".
            let later = try central.write(as: "HQ") { try $0.add(kind: kind("circular"), fields: [name("title"): .text("later")], in: national) }
            try await sync(lahore, "central")
            #expect(try lahore.record(later) != nil)
            do {
                _ = try lahore.resolveID(sindhCase.description)
                Issue.record("lahore resolved an entry of sindh")
            } catch let error as StoreError {
                #expect(error.message.contains("in a scope this office does not hold"), "\(error.message)")
            }
            // The registry's statements are not entries: the central node counts, finds and
            // searches only the register's.
            #expect(try central.count(Query()) == 5)
            #expect(try central.find(Query(kind: Grant.kind)).isEmpty)
            try central.updateIndex()
            #expect(try central.search("fia-karachi").isEmpty)
            #expect(try central.countByKind().map(\.kind) == [kind("case"), kind("circular")])
        }
    }

    /// What a client may not read is never taken from it, sent to it, or named to it: a raw
    /// request carrying a change of a scope not granted gets it refused for that chain alone,
    /// and the answer's knowledge, scopes and chain hashes name no other scope.
    @Test func aScopeNotGranted_isNeitherTakenNorNamed() async throws {
        let central = try makeStore("central", in: folder)
        let lahore = try makeStore("fia-lahore", in: folder)
        try await withServer(central) { url in
            try grant(lahore, at: central, url: url, read: [], write: [punjab])
            let secret = try central.write(as: "HQ") { try $0.add(kind: kind("case"), fields: [name("title"): .text("ct-wing")], in: try Scope("ct-wing")) }
            let remote = try #require(try lahore.remotes().first)
            // A change of sindh, which lahore may not read (made by hand: its store would refuse to).
            let dot = Dot(origin: lahore.node, seq: 1)
            let sindhChange = try Change(
                dot: dot, record: RecordID(dot), kind: kind("case"), operation: .add, fields: [name("title"): .text("not granted")],
                vector: VersionVector(dot), hlc: HLC(milliseconds: 1_780_000_000_000), officer: "Rashid", wallTime: 1_780_000_000_000,
                scope: sindh, prev: .start)
            let body = try JSONEncoder().encode(SyncRequest(node: lahore.node, knowledge: Knowledge(), changes: [sindhChange]))
            let answer = try await post(url, token: remote.token, body: body)
            #expect(answer.status == 200)
            let stop = try #require(answer.body["stop"] as? [String: Any])
            #expect(stop["reason"] as? String == "scope_not_taken")
            #expect(answer.body["applied"] as? Int == 0)
            #expect(try central.change(at: dot) == nil)
            #expect(answer.body["scopes"] as? [String] == ["punjab"])
            #expect(answer.body["root"] as? String == "central")
            let raw = String(decoding: try JSONSerialization.data(withJSONObject: answer.body), as: UTF8.self)
            #expect(!raw.contains("ct-wing"), "the answer names a scope the client may not read: \(raw)")
            let knowledge = try #require(answer.body["knowledge"] as? [String: Any])
            #expect(Set(knowledge.keys) == ["registry"])
            // Chain hashes: the central node's own changes of scopes lahore may not read are not listed.
            let hashes = try await getChain(url, token: remote.token, origin: "central")
            #expect(hashes[String(secret.dot.seq)] == nil)
            #expect(!hashes.isEmpty, "the registry's changes are listed")
        }
    }

    /// Through a hub: the hub (a relay granted punjab and national) passes on what the office may
    /// read and it holds, and never registry statements (those travel only in a direct exchange
    /// with the central node): the office's sync through it is complete, with nothing stopped.
    @Test func throughAHub_theOfficeGetsItsScopes_andNoRegistry() async throws {
        let central = try makeStore("central", in: folder)
        let hub = try makeStore("punjab-hub", in: folder)
        let lahore = try makeStore("fia-lahore", in: folder)
        try await withServer(central) { centralURL in
            try grant(hub, at: central, url: centralURL, read: [punjab, national], write: [])
            try grant(lahore, at: central, url: centralURL, read: [national], write: [punjab])
            let circular = try central.write(as: "HQ") { try $0.add(kind: kind("circular"), fields: [name("title"): .text("n")], in: national) }
            let secret = try central.write(as: "HQ") { try $0.add(kind: kind("case"), fields: [name("title"): .text("s")], in: sindh) }
            // The office meets the central node once (its grant); a later grant reaches the hub.
            try await sync(lahore, "central")
            try central.writeGrant(for: try NodeID("fia-kasur"), .register(read: [national], write: [punjab]), as: "Admin")
            #expect(try await sync(hub, "central").complete)
            #expect(try hub.root() == central.node && hub.record(secret) == nil)
            try await withServer(hub) { hubURL in
                let token = try hub.registerPeer(lahore.node, role: .relay)
                try lahore.saveRemote(Remote(name: "hub", url: hubURL, token: token))
                let raid = try lahore.add(kind: kind("case"), fields: [name("title"): .text("raid")], as: "Rashid")
                let registryBefore = try lahore.knowledge().restricted(to: [.registry])
                let viaHub = try await sync(lahore, "hub")
                #expect(viaHub.complete, "\(String(describing: viaHub.serverStop)) \(String(describing: viaHub.localStop))")
                #expect(try hub.record(raid) != nil)
                #expect(try lahore.record(circular) != nil && lahore.record(secret) == nil)
                // The hub passed the registry on (signed, DESIGN promise 16): the grant written
                // after lahore last met the central node reached it; the hub took none.
                #expect(try lahore.knowledge().restricted(to: [.registry]) != registryBefore)
                #expect(try lahore.knowledge().restricted(to: [.registry]) == hub.knowledge().restricted(to: [.registry]))
                #expect(try lahore.grant(of: try NodeID("fia-kasur")) != nil)
                #expect(try hub.knowledge().restricted(to: [.registry]) == central.knowledge().restricted(to: [.registry]))
            }
        }
    }

    /// DESIGN promise 15 over a real server: a withdrawn scope is hidden at once, every change of
    /// it the central node lacks is pushed (another office's too), then it is deleted down to the
    /// bytes of the store file, its index file and the write-ahead logs; granted again, it comes
    /// back from its beginning and the office's own chain goes on without a fork.
    @Test func aWithdrawnScope_isPushedThenDeletedDownToTheBytes_andComesBackWhenGrantedAgain() async throws {
        let central = try makeStore("central", in: folder)
        let kasur = try makeStore("fia-kasur", in: folder)
        let lahore = try makeStore("fia-lahore", in: folder)
        try await withServer(central) { url in
            try grant(kasur, at: central, url: url, read: [], write: [punjab, sindh])
            try grant(lahore, at: central, url: url, read: [], write: [punjab])
            #expect(try await sync(kasur, "central").complete)
            #expect(try await sync(lahore, "central").complete)
            // Values that must leave no byte behind at kasur.
            let secret = "Zarghoon informant 7731"
            let own = try kasur.add(kind: kind("person"), fields: [name("alias"): .text(secret)], as: "SI Aslam")
            try await sync(kasur, "central")
            let unsent = try kasur.add(kind: kind("person"), fields: [name("alias"): .text("Qalat courier 4410")], as: "SI Aslam")
            // lahore's entry reaches kasur directly (a USB stick), never the central node.
            let fromLahore = try lahore.add(kind: kind("case"), fields: [name("title"): .text("Marri safehouse 9902")], as: "SI Bilal")
            #expect(try kasur.merge(from: lahore).applied == 1)
            #expect(try central.record(fromLahore) == nil && central.record(unsent) == nil)
            try kasur.updateIndex()
            #expect(try kasur.search("safehouse").map(\.id) == [fromLahore])

            try central.writeGrant(for: kasur.node, .withdraw(punjab), as: "Admin")
            let summary = try await sync(kasur, "central")
            // Hidden at once; every change of it pushed, lahore's too (its signature vouches for
            // it wherever it comes from, DESIGN promise 16), so the deletion waits for nobody.
            #expect(try kasur.search("zarghoon").isEmpty && kasur.find(Query(kind: kind("person"))).isEmpty)
            #expect(summary.withdrawalsWaiting.isEmpty)
            #expect(summary.complete, "\(String(describing: summary.serverStop)) \(String(describing: summary.localStop))")
            // Pushed first: the central node holds every change of punjab kasur held, lahore's
            // too; kasur's change after the closure (the central node did not have it when it
            // closed kasur's writing) is void there, kept and shown.
            #expect(try central.record(fromLahore) != nil)
            #expect(try central.change(at: unsent.dot) != nil)
            #expect(try central.voidDots(of: unsent) == [unsent.dot])
            // Then deleted at kasur, and the deletion recorded.
            #expect(summary.deletedScopes.map(\.scope) == [punjab])
            #expect(try kasur.deletedScopes().map(\.changes) == [3])
            #expect(try kasur.pendingWithdrawals().isEmpty)
            #expect(try kasur.record(own) == nil && kasur.record(fromLahore) == nil)
            #expect(try kasur.knowledge().scopes.contains(punjab) == false)
            try kasur.updateIndex()
            #expect(try kasur.search("zarghoon").isEmpty)
            // No byte of the values is left in the store file, its index file or their logs.
            for suffix in ["", "-wal", "-index", "-index-wal"] {
                let file = kasur.path + suffix
                guard let bytes = FileManager.default.contents(atPath: file) else { continue }
                for value in [secret, "Qalat courier", "Marri safehouse", "zarghoon", "safehouse"] {
                    #expect(bytes.range(of: Data(value.utf8)) == nil, "\(value) is still in \(file)")
                }
            }
            // Its own next change does not reuse a seq.
            let later = try kasur.write(as: "SI Aslam") { try $0.add(kind: kind("case"), fields: [:], in: sindh) }
            #expect(later.dot.seq > unsent.dot.seq)

            // Granted again: punjab comes back from its beginning, and kasur's chain goes on.
            try central.writeGrant(for: kasur.node, .grant(read: [], write: [punjab]), as: "Admin")
            let back = try await sync(kasur, "central")
            #expect(back.complete && back.forks.isEmpty, "\(String(describing: back.serverStop)) \(String(describing: back.localStop)) \(back.forks)")
            #expect(try kasur.record(own)?.values[name("alias")] == .text(secret))
            #expect(try kasur.record(fromLahore) != nil)
            let again = try kasur.add(kind: kind("person"), fields: [name("alias"): .text("new informant")], as: "SI Aslam")
            let after = try await sync(kasur, "central")
            #expect(after.complete && after.forks.isEmpty)
            #expect(try central.record(again) != nil && central.knownForks().isEmpty)
        }
    }

    /// `GET /v1/chain/ORIGIN`, the hashes map of the answer.
    func getChain(_ url: String, token: String, origin: String) async throws -> [String: Any] {
        let answer = try await http(url, .GET, "/v1/chain/\(origin)", headers: [("Authorization", "Bearer \(token)")])
        #expect(answer.status == 200)
        return answer.json["hashes"] as? [String: Any] ?? [:]
    }
}
