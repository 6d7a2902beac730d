import DaftarModel
import DaftarTesting
import Foundation
import GRDB
import Testing

@testable import DaftarStore

/// DESIGN promise 16 at the store: an origin signs its chains, and a store that knows the root
/// applies a run of a chain only up to a change whose signature it verified with a key the root
/// bound to the origin. Relays can delay changes, never forge them.
@Suite struct SignedChainTests {
    let folder: TemporaryFolder
    let clock = TestClock()
    init() throws { folder = try TemporaryFolder() }

    /// The central node with two offices enrolled (keys bound, root taken).
    func deployment() throws -> (central: Store, lahore: Store, kasur: Store) {
        let central = try Store.make("central", in: folder, clock: clock)
        let lahore = try Store.make("fia-lahore", in: folder, clock: clock)
        let kasur = try Store.make("fia-kasur", in: folder, clock: clock)
        for office in [lahore, kasur] {
            try central.writeGrant(for: office.node, .register(read: [.general], write: [.general]), as: "Admin")
            try office.enroll(at: central)
        }
        return (central, lahore, kasur)
    }

    /// How many of `store`'s changes of `origin` carry a signature.
    func signatureCount(_ store: Store, of origin: NodeID) throws -> Int {
        try store.pool.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM change WHERE origin = ? AND signature IS NOT NULL", arguments: [origin.rawValue]) ?? 0
        }
    }

    @Test func aTransaction_signsTheLastChangeOfEachChainItTouched_andAgainEveryRun() throws {
        let store = try Store.make("fia-lahore", in: folder, clock: clock)
        let punjab = try Scope("punjab")
        try store.setDefaultScope(punjab)
        try store.write(as: "SI Bilal") { tx in
            for n in 0..<3 { try tx.add(kind: kind("case"), fields: [name("n"): .integer(Int64(n))], in: .general) }
            try tx.add(kind: kind("case"), fields: [name("n"): .integer(9)], in: punjab)
        }
        let log = try store.changes(missingFrom: Knowledge()).changes
        #expect(log.count == 4)
        #expect(log.filter { $0.signature != nil }.map(\.dot.seq).sorted() == [3, 4])
        let key = try #require(try store.publicKey())
        for change in log where change.signature != nil { #expect(change.signature!.verifies(change.hash, with: key)) }
        // A run never grows past the format's limit unsigned: 300 changes in one transaction are
        // signed at the 256th and the last.
        try store.write(as: "SI Bilal") { tx in
            for n in 0..<300 { try tx.add(kind: kind("person"), fields: [name("n"): .integer(Int64(n))], in: .general) }
        }
        #expect(try signatureCount(store, of: store.node) == 4)
    }

    @Test func tamperedAlteredInventedOrWithheld_isRefused_andEveryOtherChainGoesOn() throws {
        let (central, lahore, kasur) = try deployment()
        let ids = try lahore.write(as: "SI Bilal") { tx in
            try (0..<3).map { n in try tx.add(kind: kind("case"), fields: [name("title"): text("raid \(n)")]) }
        }
        try kasur.add(kind: kind("person"), fields: [name("alias"): text("Kala")], as: "SI Aslam")
        let honest = try lahore.changes(missingFrom: try central.knowledge()).changes
        let kasurs = try kasur.changes(missingFrom: try central.knowledge()).changes.filter { $0.dot.origin == kasur.node }
        #expect(honest.count == 3 && honest.last?.signature != nil && kasurs.count == 1)

        // The signed change altered on the way (its hash made again to match): the signature
        // no longer verifies; the chain is refused, kasur's chain in the same batch applied.
        var altered = honest
        altered[2].fields[name("title")] = text("raid cancelled")
        altered[2].hash = try altered[2].computedHash()
        var report = try central.apply(altered + kasurs)
        #expect(report.stop == .badSignature(change: honest[0].dot))
        #expect(report.applied == 1)
        #expect(try central.record(ids[0]) == nil)

        // An unsigned change in the middle altered: its successor no longer links to it, so no
        // signature covers it; it waits, never applied.
        var middle = honest
        middle[1].fields[name("title")] = text("made up")
        middle[1].hash = try middle[1].computedHash()
        report = try central.apply(middle)
        #expect(report.stop == .unsigned(change: honest[0].dot))
        #expect(try central.record(ids[0]) == nil)

        // Reordered: the links break the same way.
        report = try central.apply([honest[1], honest[0], honest[2]])
        #expect(report.applied == 0)

        // Invented in lahore's name, signed with kasur's key: not a key bound to lahore.
        let dot = Dot(origin: lahore.node, seq: 1)
        var invented = try Change(
            dot: dot, record: RecordID(dot), kind: kind("case"), operation: .add, fields: [name("title"): text("forged")],
            vector: VersionVector(dot), hlc: HLC(milliseconds: 1_780_000_000_000), officer: "Nobody", wallTime: 1_780_000_000_000,
            prev: .start)
        invented.signature = try ChangeSignature.sign(invented.hash, with: kasur.signer())
        report = try central.apply([invented])
        #expect(report.stop == .unknownKey(change: dot, key: try #require(try kasur.publicKey()).fingerprintHash))
        // Unsigned altogether: waits for a signature that never comes.
        invented.signature = nil
        report = try central.apply([invented])
        #expect(report.stop == .unsigned(change: dot))
        #expect(try central.change(at: dot) == nil && central.knownForks().isEmpty)

        // The chain's tail withheld (the signed change held back): the rest waits; sent whole
        // later, all of it is applied, and sent again, it is a duplicate.
        report = try central.apply(Array(honest.prefix(2)))
        #expect(report.applied == 0 && report.stop == .unsigned(change: honest[0].dot))
        report = try central.apply(honest)
        #expect(report.applied == 3 && report.stop == nil)
        report = try central.apply(honest)
        #expect(report.duplicates == 3 && report.applied == 0)
        #expect(try central.record(ids[2])?.values[name("title")] == text("raid 2"))

        // Everything the central node holds verifies, signatures included.
        let audit = try central.audit()
        #expect(audit.verified, "\(audit.problems)")
        #expect(audit.chains.first { $0.origin == lahore.node.rawValue }?.signedBy == (try lahore.publicKey())?.fingerprint)
        #expect(audit.signatures >= 3)
        // A signature altered in the file is named.
        try central.pool.write { db in
            try db.execute(
                sql: "UPDATE change SET signature = zeroblob(96) WHERE origin = ? AND signature IS NOT NULL", arguments: [lahore.node.rawValue])
        }
        let after = try central.audit()
        #expect(!after.verified)
        #expect(after.problems.contains { $0.contains("change fia-lahore:3") })
    }

    @Test func aCutBatch_endsEachChainAtASignature_andEveryBatchApplies() throws {
        let (central, lahore, _) = try deployment()
        // Three transactions of 40 changes: signed at 40, 80 and 120.
        for t in 0..<3 {
            try lahore.write(as: "SI Bilal") { tx in
                for n in 0..<40 { try tx.add(kind: kind("case"), fields: [name("n"): .integer(Int64(t * 40 + n))]) }
            }
        }
        var batches = 0
        while true {
            // 50 at most: a batch ends at 40 or 80, never between.
            let batch = try lahore.changes(missingFrom: try central.knowledge(), limits: BatchLimits(maxCount: 50))
            if batch.changes.isEmpty { break }
            #expect(batch.changes.last?.signature != nil)
            let report = try central.apply(batch.changes)
            #expect(report.stop == nil && report.applied == batch.changes.count)
            batches += 1
            if batches > 5 { break }
        }
        #expect(batches == 3)
        #expect(try central.knowledge()[Chain(lahore.node, .general)] == 120)
    }

    @Test func aPinnedRoot_isTheOnlyRootTaken() throws {
        let (central, _, _) = try deployment()
        let okara = try Store.make("fia-okara", in: folder, clock: clock)
        let key = try #require(try central.rootKey())
        let other = SigningKey().publicKey
        #expect(throws: StoreError.self) { try okara.adoptRoot(central.node, key: key, pin: other.fingerprint) }
        #expect(try okara.root() == nil)
        try okara.adoptRoot(central.node, key: key, pin: key.fingerprint)
        #expect(try okara.rootKey() == key)
        // The same root later showing another key is refused.
        #expect(throws: StoreError.self) { try okara.adoptRoot(central.node, key: other) }
    }

    @Test func theCentralNodesHeartbeat_namesTheRegistryHeads_andReachesOffices() throws {
        let (central, lahore, _) = try deployment()
        #expect(try lahore.writeHeartbeat(as: "SI Bilal") == false)
        #expect(try central.newestHeartbeat() == nil)
        #expect(try central.writeHeartbeat(as: "central node"))
        let first = try #require(try central.newestHeartbeat())
        #expect(first.at == Int64(clock.reading()))
        let registryBefore = try central.knowledge()[Chain(central.node, .registry)]
        #expect(first.heads[central.node]?.seq == registryBefore - 1, "the head before the heartbeat itself")
        try VoidChangeTests.deliver(from: central, to: lahore, root: central.node)
        #expect(try lahore.newestHeartbeat() == first)
        // Written again later: the same record, set; the office holds the newer one.
        clock.advance(300_000)
        try central.writeHeartbeat(as: "central node")
        try VoidChangeTests.deliver(from: central, to: lahore, root: central.node)
        #expect(try lahore.newestHeartbeat()?.at == first.at + 300_000)
        #expect(try lahore.audit().verified)
    }

    /// `node revoke ID --keep-through SEQ`: what the key signed after SEQ is void everywhere,
    /// whether the revocation reaches a store before or after those changes do, and the stores
    /// end identical.
    @Test func aRevokedKey_voidsWhatItSignedBeyondTheSeq_whicheverArrivesFirst() throws {
        let (central, lahore, kasur) = try deployment()
        let okara = try Store.make("fia-okara", in: folder, clock: clock)
        try central.writeGrant(for: okara.node, .register(read: [.general], write: [.general]), as: "Admin")
        try okara.enroll(at: central)
        let ids = try (1...5).map { n in try lahore.add(kind: kind("case"), fields: [name("title"): text("entry \(n)")], as: "SI Bilal") }
        #expect(ids.map(\.dot.seq) == [1, 2, 3, 4, 5])
        try VoidChangeTests.deliver(from: lahore, to: central, root: central.node)
        // kasur holds the changes before the revocation is written.
        try VoidChangeTests.deliver(from: central, to: kasur, root: central.node)
        #expect(try kasur.find(Query(kind: kind("case"))).count == 5)
        try central.writeGrant(for: lahore.node, .revoke(keepThrough: 3), as: "Admin")
        // okara takes the registry (the revocation) first, then lahore's changes from lahore.
        let registry = try central.changes(missingFrom: try okara.knowledge(), scopes: { $0 == .registry }).changes
        #expect(try okara.apply(registry, fromRoot: true).stop == nil)
        try VoidChangeTests.deliver(from: lahore, to: okara, root: central.node)
        try VoidChangeTests.deliver(from: central, to: kasur, root: central.node)
        for store in [central, kasur, okara] {
            #expect(try store.find(Query(kind: kind("case"))).map(\.id).sorted { $0.description < $1.description } == Array(ids.prefix(3)), "\(store.node)")
            let void = try store.voidChains().filter { $0.chain.origin == lahore.node }
            #expect(void.map(\.count) == [2] && void.first?.reason.contains("revoked") == true, "\(store.node): \(void)")
            #expect(try store.change(at: ids[4].dot) != nil, "held and passed on")
            #expect(try store.audit().verified)
        }
        #expect(try central.allRecords().filter { $0.id.dot.origin == lahore.node } == kasur.allRecords().filter { $0.id.dot.origin == lahore.node })
        #expect(try okara.allRecords().filter { $0.id.dot.origin == lahore.node } == kasur.allRecords().filter { $0.id.dot.origin == lahore.node })
        // Revoked for good: no grant opens its writing again.
        #expect(throws: StoreError.self) { try central.writeGrant(for: lahore.node, .grant(read: [], write: [.general]), as: "Admin") }
        #expect(try central.grant(of: lahore.node)?.writable.isEmpty == true)
    }

    /// `daftar key rotate`: the old key signs the new one and the seq it signs from; once the
    /// central node binds it, every store verifies both, and the old key vouches for nothing
    /// from that seq on.
    @Test func aRotatedKey_isBoundByTheCentralNode_andTheOldOneRetires() throws {
        let (central, lahore, kasur) = try deployment()
        let early = try lahore.add(kind: kind("case"), fields: [name("title"): text("before")], as: "SI Bilal")
        let oldKey = try lahore.signer()
        let (old, new, from) = try lahore.rotateKey()
        #expect(try old == oldKey.publicKey && new == lahore.publicKey() && from == 2)
        #expect(throws: StoreError.self) { try central.rotateKey() }
        let late = try lahore.add(kind: kind("case"), fields: [name("title"): text("after")], as: "SI Bilal")
        let rotation = try #require(try lahore.pendingRotation())
        // A rotation signed by another key, or naming another key, is refused.
        var forged = rotation
        forged.signature = ChangeSignature.hex(try SigningKey().sign(KeyRotation.message(node: lahore.node, key: new, from: from)))
        #expect(try central.bindKey(of: lahore.node, new, rotation: forged, as: "central") == .other(old.fingerprint))
        #expect(try central.bindKey(of: lahore.node, new, as: "central") == .other(old.fingerprint))
        // The central node binds it (as at lahore's next exchange), and takes both changes.
        #expect(try central.bindKey(of: lahore.node, new, rotation: rotation, as: "central") == .bound)
        try VoidChangeTests.deliver(from: lahore, to: central, root: central.node)
        try VoidChangeTests.deliver(from: central, to: kasur, root: central.node)
        try VoidChangeTests.deliver(from: central, to: lahore, root: central.node)
        #expect(try lahore.pendingRotation() == nil)
        for store in [central, kasur] {
            #expect(try store.record(early) != nil && store.record(late) != nil, "\(store.node)")
            #expect(try store.audit().verified, "\(store.node)")
        }
        // The old key, in a thief's hands, vouches for nothing from the rotation's seq on.
        let head = try #require(try central.knowledge().entries[Chain(lahore.node, .general)])
        let dot = Dot(origin: lahore.node, seq: head.seq + 1)
        var stolen = try Change(
            dot: dot, record: RecordID(dot), kind: kind("case"), operation: .add, fields: [name("title"): text("signed with the old key")],
            vector: VersionVector(dot), hlc: HLC(milliseconds: 1_790_000_000_000), officer: "SI Bilal", wallTime: 1_790_000_000_000,
            prev: ChainLink(seq: head.seq, hash: head.hash))
        stolen.signature = try ChangeSignature.sign(stolen.hash, with: oldKey)
        #expect(try kasur.apply([stolen]).stop == .badSignature(change: dot))
        #expect(try kasur.change(at: dot) == nil)
    }

    /// A relay that strips the signatures inside a long run leaves it unsigned: the receiver
    /// never holds a run longer than the format lets an origin leave unsigned, which it could
    /// not pass on. Whole, the run is taken with each signature verified and kept.
    @Test func aLongRunStrippedOfItsInnerSignatures_isNotTaken() throws {
        let (central, lahore, _) = try deployment()
        try lahore.write(as: "SI Bilal") { tx in
            for n in 0..<600 { try tx.add(kind: kind("case"), fields: [name("n"): .integer(Int64(n))]) }
        }
        let run = try lahore.changes(missingFrom: try central.knowledge(), limits: BatchLimits(maxCount: 5000)).changes
        #expect(run.count == 600 && run.filter { $0.signature != nil }.count == 3)
        var stripped = run
        for i in stripped.indices.dropLast() { stripped[i].signature = nil }
        let report = try central.apply(stripped)
        #expect(report.applied == 0 && report.stop == .unsigned(change: run[0].dot))
        #expect(try central.apply(run).applied == 600)
        #expect(try signatureCount(central, of: lahore.node) == 3)
        #expect(try central.audit().verified)
    }

    /// Chains held from before signatures: the root covers them with its own signature (every
    /// 128th change and the head), once, and they travel to stores that verify.
    @Test func chainsFromBeforeSignatures_areCoveredByTheRoot_andTravelSigned() throws {
        let (central, lahore, kasur) = try deployment()
        try lahore.write(as: "SI Bilal") { tx in
            for n in 0..<300 { try tx.add(kind: kind("case"), fields: [name("n"): .integer(Int64(n))]) }
        }
        try VoidChangeTests.deliver(from: lahore, to: central, root: central.node)
        // As a central node upgraded from before signatures holds them: none signed.
        try central.pool.write { db in
            try db.execute(sql: "UPDATE change SET signature = NULL WHERE origin = ?", arguments: [lahore.node.rawValue])
            try db.execute(sql: "UPDATE store SET unsigned_covered = 0 WHERE id = 1")
        }
        let uncovered = try central.changes(missingFrom: try kasur.knowledge()).changes.filter { $0.dot.origin == lahore.node }
        #expect(try kasur.apply(uncovered).stop == .unsigned(change: uncovered[0].dot))
        #expect(try central.coverUnsignedOnce() == 3)
        #expect(try central.coverUnsignedOnce() == 0, "once")
        try VoidChangeTests.deliver(from: central, to: kasur, root: central.node)
        #expect(try kasur.knowledge()[Chain(lahore.node, .general)] == 300)
        let audit = try kasur.audit()
        #expect(audit.verified, "\(audit.problems)")
        #expect(audit.chains.first { $0.origin == lahore.node.rawValue }?.signedBy == (try central.rootKey())?.fingerprint)
    }
}
