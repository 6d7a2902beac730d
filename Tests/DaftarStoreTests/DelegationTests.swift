import DaftarModel
import DaftarTesting
import Foundation
import Testing

@testable import DaftarStore

/// DESIGN promise 17 at the store: a hub binds the keys of the offices its delegation names, and
/// no other; a second key of one node is a key fork, kept with both statements, that stops the
/// node's changes until the root revokes its key.
@Suite struct DelegationTests {
    let folder: TemporaryFolder
    let clock = TestClock()
    init() throws { folder = try TemporaryFolder() }

    /// Passes every change `from` holds that `to` lacks, the registry included (its statements
    /// are signed), as a signed exchange between two nodes that know the same root does.
    static func pass(from: Store, to: Store) throws -> [ApplyStop] {
        var stops: [ApplyStop] = []
        for _ in 0..<100 {
            let receiverHolds = try to.heldScopes()
            let senderHolds = try from.heldScopes()
            let scopes: (Scope) -> Bool = { scope in
                scope == .registry || ((receiverHolds?.contains(scope) ?? true) && (senderHolds?.contains(scope) ?? true))
            }
            let outgoing = try from.changes(missingFrom: try to.knowledge().restricted(where: scopes), scopes: scopes)
            if outgoing.changes.isEmpty { break }
            let report = try to.apply(outgoing.changes, takesScope: scopes)
            stops += report.stops
            if report.applied == 0 { break }
        }
        return stops
    }

    /// The central node, a hub it delegated fia-okara to (not fia-sahiwal), and both offices,
    /// which know the root but never met the central node.
    func deployment() throws -> (central: Store, hub: Store, okara: Store, sahiwal: Store, delegation: UInt64) {
        let central = try Store.make("central", in: folder, clock: clock)
        let hub = try Store.make("punjab-hub", in: folder, clock: clock)
        let okara = try Store.make("fia-okara", in: folder, clock: clock)
        let sahiwal = try Store.make("fia-sahiwal", in: folder, clock: clock)
        try central.writeGrant(for: hub.node, .register(read: [.general], write: [.general]), as: "Admin")
        try hub.enroll(at: central)
        let delegation = try central.writeDelegation(hub: hub.node, nodes: [okara.node], as: "Admin")
        for office in [okara, sahiwal] {
            try central.writeGrant(for: office.node, .register(read: [.general], write: [.general], via: hub.node), as: "Admin")
            try office.adoptRoot(central.node, key: try central.rootKey())
        }
        #expect(try Self.pass(from: central, to: hub).isEmpty)
        return (central, hub, okara, sahiwal, delegation)
    }

    @Test func aHubVouchesOnlyForTheIdsItsDelegationNames() throws {
        let (central, hub, okara, sahiwal, delegation) = try deployment()
        #expect(try hub.delegations() == [hub.node: [okara.node]])
        let okaraKey = try #require(try okara.publicKey())
        let sahiwalKey = try #require(try sahiwal.publicKey())
        // At the offices' first exchanges with the hub.
        #expect(try hub.bindKey(of: okara.node, okaraKey, as: "hub") == .bound)
        let refusal = storeError { _ = try hub.bindKey(of: sahiwal.node, sahiwalKey, as: "hub") }
        #expect(refusal?.message.contains("no delegation of the central node (central) names it") == true, "\(String(describing: refusal))")
        // Neither the hub vouches for a hub or the root, nor another node writes delegations.
        #expect(storeError { try central.writeDelegation(hub: hub.node, nodes: [central.node], as: "Admin") } != nil)
        #expect(storeError { try central.writeDelegation(hub: hub.node, nodes: [hub.node], as: "Admin") } != nil)
        #expect(storeError { try hub.writeDelegation(hub: hub.node, nodes: [sahiwal.node], as: "Admin") } != nil)

        let raid = try okara.add(kind: kind("case"), fields: [name("title"): text("raid at Renala Khurd")], as: "SI Bano")
        let other = try sahiwal.add(kind: kind("case"), fields: [name("title"): text("smuggled urea")], as: "SI Tariq")
        #expect(try Self.pass(from: central, to: okara).isEmpty)
        #expect(try Self.pass(from: hub, to: okara).isEmpty, "the hub's statement reaches okara")
        #expect(try Self.pass(from: okara, to: hub).isEmpty)
        #expect(try hub.record(raid) != nil)
        // sahiwal's changes wait at the hub for a key statement nobody here may write.
        let waiting = try Self.pass(from: sahiwal, to: hub)
        #expect(waiting.count == 1 && { if case .unknownKey = waiting[0] { true } else { false } }(), "\(waiting)")
        #expect(try hub.record(other) == nil)
        // The hub passes its statement and okara's entry on: the central node binds okara's key
        // by the hub's statement, and takes the entry in the same exchange.
        #expect(try Self.pass(from: hub, to: central).isEmpty)
        #expect(try central.boundKeys(of: okara.node) == [okaraKey])
        #expect(try central.boundKeys(of: sahiwal.node).isEmpty)
        #expect(try central.record(raid) != nil)
        #expect(try central.audit().verified)
        #expect(try hub.audit().verified)

        // A hub that writes a key statement its delegation does not allow is refused everywhere,
        // and the statement binds nothing.
        try hub.write(as: "hub") { tx in
            try tx.writeKeyBinding(KeyBinding(node: sahiwal.node, key: sahiwalKey, delegation: delegation))
        }
        let refused = try Self.pass(from: hub, to: central)
        #expect(refused.count == 1 && refused[0].description.contains("does not let it vouch for fia-sahiwal"), "\(refused)")
        #expect(try central.boundKeys(of: sahiwal.node).isEmpty)
        #expect(try Self.pass(from: sahiwal, to: central).contains { if case .unknownKey = $0 { true } else { false } })
        #expect(try central.record(other) == nil)
    }

    /// A hub's statement names the root's delegation it relies on: a store that does not hold it
    /// yet waits for it (a missing dependency), never judges without it.
    @Test func aHubsStatement_waitsForTheDelegationItNames() throws {
        let (central, hub, okara, _, delegation) = try deployment()
        let lahore = try Store.make("fia-lahore", in: folder, clock: clock)
        try lahore.adoptRoot(central.node, key: try central.rootKey())
        #expect(try hub.bindKey(of: okara.node, try #require(try okara.publicKey()), as: "hub") == .bound)
        let registry: (Scope) -> Bool = { $0 == .registry }
        let statements = try hub.changes(missingFrom: try lahore.knowledge(), scopes: registry).changes.filter { $0.dot.origin == hub.node }
        let roots = try central.changes(missingFrom: try lahore.knowledge(), scopes: registry).changes
        #expect(statements.count == 1 && roots.contains { $0.dot.seq == delegation })
        // The root's statements up to the hub's key, not the delegation.
        #expect(try lahore.apply(roots.filter { $0.dot.seq < delegation }, takesScope: registry).stop == nil)
        let stop = try lahore.apply(statements, takesScope: registry).stop
        #expect(stop == .missingDependency(change: statements[0].dot, missing: Dot(origin: central.node, seq: delegation)), "\(String(describing: stop))")
        #expect(try lahore.boundKeys(of: okara.node).isEmpty)
        #expect(try lahore.apply(roots.filter { $0.dot.seq >= delegation }, takesScope: registry).stop == nil)
        #expect(try lahore.apply(statements, takesScope: registry).stop == nil)
        #expect(try lahore.boundKeys(of: okara.node) == [try #require(try okara.publicKey())])
    }

    /// A node bound to a second key that does not replace the first by a rotation (here a store
    /// made again under fia-okara's id, vouched for by the hub after the central node bound the
    /// real one): every store that holds both statements records a key fork, shows both, and
    /// takes no more of the node's changes until the root revokes its key.
    @Test func aSecondKeyOfOneNode_isAKeyFork_shownWithBothStatements_untilItsKeyIsRevoked() throws {
        let (central, hub, okara, _, _) = try deployment()
        let elsewhere = try TemporaryFolder()
        let impostor = try Store.make("fia-okara", in: elsewhere, clock: clock)
        let kasur = try Store.make("fia-kasur", in: folder, clock: clock)
        try central.writeGrant(for: kasur.node, .register(read: [.general], write: [.general]), as: "Admin")
        try kasur.enroll(at: central)
        // The central node binds the real okara's key; the hub, not told, binds the impostor's.
        try okara.enroll(at: central)
        let before = try okara.add(kind: kind("case"), fields: [name("title"): text("before the fork")], as: "SI Bano")
        #expect(try Self.pass(from: okara, to: central).isEmpty)
        #expect(try hub.bindKey(of: okara.node, try #require(try impostor.publicKey()), as: "hub") == .bound)
        #expect(try Self.pass(from: hub, to: central).isEmpty)
        let forks = try central.keyForks()
        #expect(forks.count == 1, "\(forks)")
        let fork = try #require(forks.first)
        #expect(fork.node == okara.node && !fork.revoked)
        let realKey = try okara.publicKey()
        let otherKey = try impostor.publicKey()
        #expect(fork.first.dot.origin == central.node && fork.first.key == realKey && fork.first.delegation == nil)
        #expect(fork.second.dot.origin == hub.node && fork.second.key == otherKey && fork.second.delegation != nil)
        #expect(fork.description.contains("KEY FORK fia-okara") && fork.description.contains("by statement \(hub.node):"))
        // Whoever holds the second key can sign headers in okara's name: a proof that pairs the
        // real okara's change with one the impostor made at the same dot is not kept.
        var made = try impostor.add(kind: kind("case"), fields: [name("title"): text("made up")], as: "Nobody")
        while made.dot.seq < before.dot.seq { made = try impostor.add(kind: kind("case"), fields: [name("title"): text("made up")], as: "Nobody") }
        #expect(made.dot == before.dot)
        let real = try #require(try central.pool.read { db in try Store.signedRun(db, covering: before.dot) })
        let madeUp = try #require(try impostor.pool.read { db in try Store.signedRun(db, covering: made.dot) })
        #expect(try central.takeForkProofs([try ForkProof(real, madeUp)], scopes: { _ in true }).isEmpty)
        #expect(try central.knownForks().isEmpty)
        // The fork travels with the registry: kasur records it too, from the same statements,
        // and takes nothing of okara's (not even what was signed before).
        let atKasur = try Self.pass(from: central, to: kasur)
        #expect(!atKasur.isEmpty && atKasur.allSatisfy { $0 == .keyFork(change: before.dot) }, "\(atKasur)")
        #expect(try kasur.keyForks().map(\.node) == [okara.node])
        // Nothing more of okara is taken, whichever key signed it; other nodes go on.
        let after = try okara.add(kind: kind("case"), fields: [name("title"): text("after the fork")], as: "SI Bano")
        let stops = try Self.pass(from: okara, to: central)
        #expect(stops.count == 1 && stops[0] == .keyFork(change: after.dot), "\(stops)")
        #expect(try central.record(after) == nil && central.record(before) != nil)
        let fine = try kasur.add(kind: kind("case"), fields: [name("title"): text("kasur goes on")], as: "SI Aslam")
        #expect(try Self.pass(from: kasur, to: central).isEmpty)
        #expect(try central.record(fine) != nil)
        // The operator revokes okara's key at the change it last saw: the fork is shown as
        // revoked, the node's changes are taken again, and what lies beyond the seq is void.
        try central.writeGrant(for: okara.node, .revoke(keepThrough: before.dot.seq), as: "Admin")
        #expect(try central.keyForks().first?.revoked == true)
        #expect(try Self.pass(from: okara, to: central).isEmpty)
        #expect(try central.change(at: after.dot) != nil, "held")
        let shown = try central.find(Query(kind: kind("case"))).map(\.id)
        #expect(shown.contains(before) && !shown.contains(after), "void: \(shown)")
        #expect(try central.audit().verified)
    }
}
