import DaftarClient
import DaftarModel
import DaftarServer
import DaftarStore
import DaftarSync
import Foundation
import Logging
import Testing

/// Signed chains and keys over real servers (DESIGN promises 16 and 17): the central node binds
/// each node's key at its first exchange, an office passes on a colleague's signed changes, a
/// change altered on the way is refused naming the sender, and a pinned root is the only one
/// taken.
@Suite(.timeLimit(.minutes(5))) struct SignedChainSyncTests {
    let folder: TemporaryFolder
    init() throws { folder = try TemporaryFolder() }

    /// Registers `office` at `central` with a grant of general, as `daftar node add ID`.
    func enroll(_ office: Store, at central: Store, url: String) throws -> Remote {
        let remote = try register(office, at: central, url: url, as: "central")
        try central.writeGrant(for: office.node, .register(read: [.general], write: [.general]), as: "Admin")
        return remote
    }

    /// The case of an office that synced with a colleague while headquarters was down: it now
    /// passes the colleague's changes on, and its own later entries that build on them, instead
    /// of holding both back until the colleague reaches headquarters.
    @Test func anOfficePassesOnAColleaguesSignedChanges_andItsOwnThatDependOnThem() async throws {
        let central = try makeStore("central", in: folder)
        let kasur = try makeStore("fia-kasur", in: folder)
        let okara = try makeStore("fia-okara", in: folder)
        try await withServer(central) { url in
            _ = try enroll(kasur, at: central, url: url)
            _ = try enroll(okara, at: central, url: url)
            // Each office's first exchange binds its key; a second brings the other's binding.
            for office in [kasur, okara, kasur] { #expect(try await sync(office, "central").complete) }
            #expect(try central.boundKeys(of: kasur.node) == [try #require(try kasur.publicKey())])
            #expect(try okara.boundKeys(of: kasur.node).count == 1)
        }
        // Headquarters is down; kasur meets okara (okara serves).
        let raid = try kasur.add(kind: kind("case"), fields: [name("title"): .text("raid at Ganda Singh Wala")], as: "SI Aslam")
        try await withServer(okara) { url in
            _ = try register(kasur, at: okara, url: url, as: "okara")
            #expect(try await sync(kasur, "okara").complete)
        }
        #expect(try okara.record(raid) != nil)
        // okara's own entries: one on kasur's case (it depends on kasur's change), one new.
        try okara.write(as: "SI Bano") { try $0.set(raid, [name("status"): .text("suspects held at Okara")]) }
        let own = try okara.add(kind: kind("person"), fields: [name("name"): .text("محمد علی")], as: "SI Bano")
        try await withServer(central) { url in
            // Headquarters is back (on another port).
            var remote = try #require(try okara.remotes().first { $0.name == "central" })
            remote.url = url
            try okara.saveRemote(remote)
            let summary = try await sync(okara, "central")
            #expect(summary.complete && summary.heldBack.isEmpty, "held back: \(summary.heldBack) \(String(describing: summary.serverStop))")
            #expect(try central.record(raid)?.values[name("status")] == .text("suspects held at Okara"))
            #expect(try central.record(own) != nil)
            #expect(try central.audit().verified)
        }
    }

    /// A copy of an office's store used twice: the central node meets the copy's change at a dot
    /// it holds, and keeps the fork with its proof for that chain alone; the copy takes the proof
    /// from the answer, and a colleague that may read the scope receives it at its next sync,
    /// each checking it against kasur's key.
    @Test func aCopyUsedTwice_isProvenAtTheCentralNode_andTheProofTravels() async throws {
        let central = try makeStore("central", in: folder)
        let kasur = try makeStore("fia-kasur", in: folder)
        let okara = try makeStore("fia-okara", in: folder)
        try await withServer(central) { url in
            _ = try enroll(kasur, at: central, url: url)
            _ = try enroll(okara, at: central, url: url)
            for office in [kasur, okara, kasur] { #expect(try await sync(office, "central").complete) }
            _ = try kasur.add(kind: kind("case"), fields: [name("title"): .text("before the copy")], as: "SI Aslam")
            #expect(try await sync(kasur, "central").complete)
            // The whole laptop copied, key file too; both copies go on as fia-kasur.
            let copyPath = folder.file("copy.daftar")
            try kasur.backup(to: copyPath)
            try FileManager.default.copyItem(atPath: kasur.keyPath, toPath: copyPath + ".key")
            let copy = try Store.open(at: copyPath)
            let original = try kasur.add(kind: kind("case"), fields: [name("title"): .text("original")], as: "SI Aslam")
            let reused = try copy.add(kind: kind("case"), fields: [name("title"): .text("copy")], as: "SI Bilal")
            #expect(original.dot == reused.dot)
            #expect(try await sync(kasur, "central").complete)
            let summary = try await sync(copy, "central")
            #expect(summary.forks.contains { $0.proven && $0.dot == reused.dot && $0.scope == .general }, "\(summary.forks)")
            let atCentral = try central.knownForks()
            #expect(atCentral.count == 1 && atCentral.allSatisfy { $0.proven && $0.scope == .general && $0.dot == reused.dot })
            #expect(try central.record(original)?.values[name("title")] == .text("original"))
            #expect(try copy.knownForks().map(\.proven) == [true])
            // okara never held the copy's change; the proof reaches it, and it keeps it.
            _ = try await sync(okara, "central")
            let atOkara = try okara.knownForks()
            #expect(atOkara.map(\.dot) == [reused.dot] && atOkara.allSatisfy(\.proven))
            let proof = try #require(try okara.forkProof(of: Chain(kasur.node, .general)))
            #expect(Set([proof.firstHash, proof.secondHash]) == [try #require(try central.change(at: original.dot)).hash, try #require(try copy.change(at: reused.dot)).hash])
            // The original took the proof too: its chain stays with it until the operator
            // recovers (the central node would refuse it: ScopeForkTests), and each sync says why.
            let later = try kasur.add(kind: kind("case"), fields: [name("title"): .text("after")], as: "SI Aslam")
            let next = try await sync(kasur, "central")
            #expect(next.forks.contains { $0.proven && $0.dot == reused.dot })
            #expect(try kasur.knownForks().map(\.proven) == [true])
            #expect(try central.record(later) == nil)
        }
    }

    /// Fork evidence that cannot be read, proves nothing, or is too much is 400 saying what was
    /// wrong, and nothing of the request is applied or kept.
    @Test func badForkEvidence_is400_andNothingIsApplied() async throws {
        let central = try makeStore("central", in: folder)
        let kasur = try makeStore("fia-kasur", in: folder)
        try await withServer(central) { url in
            let remote = try enroll(kasur, at: central, url: url)
            #expect(try await sync(kasur, "central").complete)
            let entry = try kasur.add(kind: kind("case"), fields: [name("title"): .text("raid")], as: "SI Aslam")
            let change = try #require(try kasur.changes(missingFrom: try central.knowledge()).changes.last { $0.dot == entry.dot })
            let run = try SignedRun(headers: [try #require(try change.header())], signature: try #require(change.signature))
            let runJSON = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(run))
            var request = try #require(
                try JSONSerialization.jsonObject(with: try JSONEncoder().encode(SyncRequest(node: kasur.node, knowledge: try kasur.knowledge(), changes: [change]))) as? [String: Any])
            let cases: [(String, Any, String)] = [
                ("forkRuns", Array(repeating: runJSON, count: 33), "at most 32 signed runs"),
                ("forkProofs", [["first": runJSON, "second": runJSON]], "prove no fork"),
                ("forkRuns", [["headers": ["zz"], "signature": (runJSON as? [String: Any])?["signature"] ?? [:]]], "hex"),
                ("forkRuns", [["headers": [], "signature": (runJSON as? [String: Any])?["signature"] ?? [:]]], "at least one"),
            ]
            for (field, value, says) in cases {
                request["forkRuns"] = nil
                request["forkProofs"] = nil
                request[field] = value
                let answer = try await post(url, token: remote.token, body: try JSONSerialization.data(withJSONObject: request))
                let message = answer.body["message"] as? String ?? ""
                #expect(answer.status == 400 && answer.body["error"] as? String == "malformed" && message.contains(says), "\(field): \(answer.status) \(message)")
            }
            #expect(try central.record(entry) == nil && central.knownForks().isEmpty)
            // The same request without the bad evidence is taken.
            request["forkRuns"] = nil
            request["forkProofs"] = nil
            #expect(try await post(url, token: remote.token, body: try JSONSerialization.data(withJSONObject: request)).status == 200)
            #expect(try central.record(entry) != nil)
        }
    }

    /// A change altered on the way is refused for its chain alone, the sender named and noted;
    /// a store made again under an id whose key is bound is refused.
    @Test func anAlteredChange_isRefusedNamingTheSender_andAnotherKeyForABoundId_isRefused() async throws {
        let central = try makeStore("central", in: folder)
        let kasur = try makeStore("fia-kasur", in: folder)
        let okara = try makeStore("fia-okara", in: folder)
        try await withServer(central) { url in
            _ = try enroll(kasur, at: central, url: url)
            let okaraRemote = try enroll(okara, at: central, url: url)
            for office in [kasur, okara] { #expect(try await sync(office, "central").complete) }
            let raid = try kasur.add(kind: kind("case"), fields: [name("title"): .text("raid")], as: "SI Aslam")
            var passed = try kasur.changes(missingFrom: try central.knowledge()).changes
            let mine = try okara.add(kind: kind("person"), fields: [name("name"): .text("Bano")], as: "SI Bano")
            let okaras = try okara.changes(missingFrom: try central.knowledge()).changes
            passed[0].fields[name("title")] = .text("no raid")
            passed[0].hash = try passed[0].computedHash()
            var request = SyncRequest(node: okara.node, knowledge: try okara.knowledge(), changes: passed + okaras)
            request.key = try okara.publicKey()?.hex
            let answer = try await http(
                url, headers: [("Authorization", "Bearer \(okaraRemote.token)"), ("Content-Type", "application/json")],
                body: try JSONEncoder().encode(request))
            #expect(answer.status == 200)
            let stop = try #require(answer.json["stop"] as? [String: Any])
            #expect(stop["reason"] as? String == "bad_signature")
            #expect((stop["message"] as? String)?.contains("fia-kasur") == true)
            #expect(answer.json["applied"] as? Int == okaras.count)
            #expect(try central.record(raid) == nil && central.record(mine) != nil)
            #expect(try central.refusedSenders().contains { $0.sender == okara.node && $0.origin == kasur.node && $0.reason == "bad_signature" })
            #expect(try central.knownForks().isEmpty)

            // fia-kasur made again (a new key) with the old token: refused, nothing applied.
            let again = try Store.create(at: folder.file("kasur-again.daftar"), node: kasur.node)
            try again.saveRemote(try #require(try kasur.remotes().first))
            try again.add(kind: kind("case"), fields: [name("title"): .text("from a new laptop")], as: "SI Aslam")
            await #expect {
                try await sync(again, "central")
            } throws: { error in
                (error as? SyncError)?.message.contains("registered under a new id") == true
            }
        }
    }

    /// `remote add --pin`: a server whose root key has another fingerprint is refused, and
    /// nothing is taken from it; the right fingerprint syncs.
    @Test func aPinnedFingerprint_refusesAnotherRoot() async throws {
        let central = try makeStore("central", in: folder)
        let kasur = try makeStore("fia-kasur", in: folder)
        try await withServer(central) { url in
            var remote = try enroll(kasur, at: central, url: url)
            let key = try #require(try central.rootKey())
            remote.pin = SigningKey().publicKey.fingerprint
            try kasur.saveRemote(remote)
            await #expect {
                try await sync(kasur, "central")
            } throws: { error in
                (error as? SyncError)?.message.contains("pinned") == true
            }
            #expect(try kasur.root() == nil && kasur.grants().isEmpty)
            remote.pin = key.fingerprint
            try kasur.saveRemote(remote)
            #expect(try await sync(kasur, "central").complete)
            #expect(try kasur.rootKey() == key)
        }
    }

    /// An office that syncs only through a hub takes the root from the hub when it pinned the
    /// root's fingerprint, and with it the registry the hub passes on; its own changes wait at the
    /// hub (`unknown_key`) until the central node has bound its key.
    @Test func anOfficeBehindAHub_takesThePinnedRootAndTheRegistryFromIt() async throws {
        let central = try makeStore("central", in: folder)
        let hub = try makeStore("punjab-hub", in: folder)
        let okara = try makeStore("fia-okara", in: folder)
        let raid = try okara.add(kind: kind("case"), fields: [name("title"): .text("raid")], as: "SI Bano")
        try await withServer(central) { url in
            _ = try register(hub, at: central, url: url, as: "central", relay: true)
            try central.writeGrant(for: hub.node, .register(read: [.general], write: [.general]), as: "Admin")
            try central.writeGrant(for: okara.node, .register(read: [.general], write: [.general], via: hub.node), as: "Admin")
            #expect(try await sync(hub, "central").complete)
        }
        let pin = try #require(try central.rootKey()).fingerprint
        try await withServer(hub) { url in
            var remote = try register(okara, at: hub, url: url, as: "hub")
            remote.pin = pin
            try okara.saveRemote(remote)
            let first = try await sync(okara, "hub")
            #expect(try okara.root() == central.node && okara.rootKey()?.fingerprint == pin)
            #expect(try okara.grant(of: okara.node) != nil, "the registry came through the hub")
            #expect(first.serverStop?.reason == .unknownKey, "\(String(describing: first.serverStop))")
            #expect(try hub.record(raid) == nil)
        }
        // Once okara has met the central node (its key bound), the hub takes its changes.
        try await withServer(central) { url in
            _ = try register(okara, at: central, url: url, as: "central")
            #expect(try await sync(okara, "central").complete)
            var hubRemote = try #require(try hub.remotes().first { $0.name == "central" })
            hubRemote.url = url
            try hub.saveRemote(hubRemote)
            #expect(try await sync(hub, "central").complete)
        }
        try await withServer(hub) { url in
            var remote = try #require(try okara.remotes().first { $0.name == "hub" })
            remote.url = url
            try okara.saveRemote(remote)
            #expect(try await sync(okara, "hub").complete)
            #expect(try hub.record(raid) != nil)
        }
    }

    /// A hub whose delegation names an office binds the office's key at its first sync with the
    /// hub's token (DESIGN promise 17): the office's changes reach the central node through the
    /// hub without the office ever meeting it, and the hub's statement comes with them. An office
    /// the delegation does not name waits at the hub (`unknown_key`).
    @Test func aHubUnderADelegation_bindsTheKeysItNames_andTheirChangesReachTheCentralNode() async throws {
        let central = try makeStore("central", in: folder)
        let hub = try makeStore("punjab-hub", in: folder)
        let okara = try makeStore("fia-okara", in: folder)
        let sahiwal = try makeStore("fia-sahiwal", in: folder)
        let raid = try okara.add(kind: kind("case"), fields: [name("title"): .text("raid at Renala Khurd")], as: "SI Bano")
        let urea = try sahiwal.add(kind: kind("case"), fields: [name("title"): .text("smuggled urea")], as: "SI Tariq")
        try await withServer(central) { url in
            _ = try register(hub, at: central, url: url, as: "central", relay: true)
            try central.writeGrant(for: hub.node, .register(read: [.general], write: [.general]), as: "Admin")
            try central.writeDelegation(hub: hub.node, nodes: [okara.node], as: "Admin")
            for office in [okara, sahiwal] {
                try central.writeGrant(for: office.node, .register(read: [.general], write: [.general], via: hub.node), as: "Admin")
            }
            #expect(try await sync(hub, "central").complete)
        }
        let pin = try #require(try central.rootKey()).fingerprint
        try await withServer(hub) { url in
            for office in [okara, sahiwal] {
                var remote = try register(office, at: hub, url: url, as: "hub")
                remote.pin = pin
                try office.saveRemote(remote)
            }
            let first = try await sync(okara, "hub")
            #expect(first.complete, "\(String(describing: first.serverStop))")
            #expect(try hub.boundKeys(of: okara.node) == [try #require(try okara.publicKey())])
            #expect(try hub.record(raid) != nil)
            let other = try await sync(sahiwal, "hub")
            #expect(other.serverStop?.reason == .unknownKey, "\(String(describing: other.serverStop))")
            #expect(try hub.boundKeys(of: sahiwal.node).isEmpty && hub.record(urea) == nil)
        }
        try await withServer(central) { url in
            var hubRemote = try #require(try hub.remotes().first { $0.name == "central" })
            hubRemote.url = url
            try hub.saveRemote(hubRemote)
            let summary = try await sync(hub, "central")
            #expect(summary.complete, "\(String(describing: summary.serverStop))")
            #expect(try central.boundKeys(of: okara.node) == [try #require(try okara.publicKey())])
            #expect(try central.record(raid) != nil)
            #expect(try central.boundKeys(of: sahiwal.node).isEmpty && central.record(urea) == nil)
            #expect(try central.audit().verified)
        }
    }

    /// `serve` at the central node writes its heartbeat on its own; an office syncing after it
    /// holds it.
    @Test func theServerWritesHeartbeats_andAnOfficeHoldsTheNewest() async throws {
        let central = try makeStore("central", in: folder)
        let kasur = try makeStore("fia-kasur", in: folder)
        let server = SyncServer(store: central, logger: Logger(label: "test"))
        try await withServer(central) { url in
            _ = try enroll(kasur, at: central, url: url)
            let beats = Task { await server.heartbeat(every: .milliseconds(100)) }
            let deadline = ContinuousClock.now + .seconds(20)
            while (try? central.newestHeartbeat()) == nil, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(50)) }
            // Stopped, and its last write finished, before the store is closed.
            beats.cancel()
            await beats.value
            let beat = try #require(try central.newestHeartbeat())
            #expect(try await sync(kasur, "central").complete)
            #expect(try kasur.newestHeartbeat()?.at ?? 0 >= beat.at)
        }
    }

    /// A key rotated at an office is bound at its next sync with the central node, over its
    /// token, and what it signs from then on is taken.
    @Test func aRotatedKey_isBoundAtTheNextSync() async throws {
        let central = try makeStore("central", in: folder)
        let kasur = try makeStore("fia-kasur", in: folder)
        try await withServer(central) { url in
            _ = try enroll(kasur, at: central, url: url)
            try kasur.add(kind: kind("case"), fields: [name("title"): .text("before")], as: "SI Aslam")
            #expect(try await sync(kasur, "central").complete)
            let (_, new, _) = try kasur.rotateKey()
            let after = try kasur.add(kind: kind("case"), fields: [name("title"): .text("after")], as: "SI Aslam")
            #expect(try await sync(kasur, "central").complete)
            #expect(try central.record(after) != nil)
            #expect(try central.boundKeys(of: kasur.node).contains(new))
            #expect(try kasur.pendingRotation() == nil)
            #expect(try central.audit().verified)
        }
    }

    /// A `key` that is no key, and a `keyRotation` naming another key than `key`, are 400 with
    /// what is wrong, and nothing is bound or applied.
    @Test func aBadKeyOrRotation_is400_andChangesNothing() async throws {
        let central = try makeStore("central", in: folder)
        let kasur = try makeStore("fia-kasur", in: folder)
        try await withServer(central) { url in
            let remote = try enroll(kasur, at: central, url: url)
            let headers = [("Authorization", "Bearer \(remote.token)"), ("Content-Type", "application/json")]
            let before = try central.knowledge()
            let badKey = try await http(url, headers: headers, body: Data(#"{"node":"fia-kasur","knowledge":{},"key":"not-a-key"}"#.utf8))
            #expect(badKey.status == 400 && (badKey.json["message"] as? String)?.contains("key") == true, "\(badKey.json)")
            let key = try #require(try kasur.publicKey()).hex
            let other = SigningKey().publicKey.hex
            let rotation = #"{"previous":"\#(String(repeating: "a", count: 64))","key":"\#(other)","from":1,"signature":"\#(String(repeating: "b", count: 128))"}"#
            let mismatch = try await http(url, headers: headers, body: Data(#"{"node":"fia-kasur","knowledge":{},"key":"\#(key)","keyRotation":\#(rotation)}"#.utf8))
            #expect(mismatch.status == 400 && (mismatch.json["message"] as? String)?.contains("keyRotation") == true, "\(mismatch.json)")
            #expect(try central.boundKeys(of: kasur.node).isEmpty && central.knowledge() == before)
        }
    }
}
