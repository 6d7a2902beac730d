import DaftarModel
import PropertyBased
import Testing

@testable import DaftarStore

/// Promises 5, 12 and 13 with scopes, as a property: a central node (the registry's root), a hub
/// and offices with different grants, random edits in random scopes each may write, exchanged in
/// random orders, batches and pairs, each side sending only what the other may hold. In the end
/// every two stores hold identical entries in each scope both hold, no store ever holds anything
/// of a scope it may not read, and the central node holds every change made anywhere.
@Suite struct ScopedConvergenceProperties {
    static let scopes = ["punjab", "sindh", "national"].map { try! Scope($0) }

    @Test func scopedHistories_convergePerScope_andNothingLeaks() async throws {
        await propertyCheck(count: 30, input: Gen.uint64()) { seed in
            do {
                // Off the shared threads: servers of other suites run there.
                try await offThePool { try Self.run(seed: seed) }
            } catch {
                Issue.record("seed \(seed): \(error)")
            }
        }
    }

    /// What `store` may hold: nil for everything (the root).
    static func held(_ store: Store) throws -> Set<Scope>? { try store.heldScopes() }

    /// Sends what `to` lacks of the scopes it holds (and the registry, from the root alone),
    /// in random batches.
    static func deliver(from: Store, to: Store, root: NodeID, _ rng: inout SplitMix) throws {
        let receiverHolds = try held(to)
        let senderHolds = try held(from)
        let fromRoot = from.node == root
        let scopes: (Scope) -> Bool = { scope in
            if scope == .registry { return fromRoot }
            return (receiverHolds?.contains(scope) ?? true) && (senderHolds?.contains(scope) ?? true)
        }
        for _ in 0..<50 {
            let outgoing = try from.changes(
                missingFrom: try to.knowledge().restricted(where: scopes), limits: BatchLimits(maxCount: Int.random(in: 1...20, using: &rng)),
                scopes: scopes)
            if outgoing.changes.isEmpty { return }
            let report = try to.apply(
                outgoing.changes, senderKnowledge: try from.knowledge().restricted(where: scopes), takesScope: scopes, fromRoot: fromRoot)
            #expect(report.forks.isEmpty)
            if report.applied == 0 { return }
        }
    }

    static func run(seed: UInt64) throws {
        var rng = SplitMix(state: seed)
        let folder = try TemporaryFolder()
        let clock = TestClock()
        let central = try Store.make("central", in: folder, clock: clock)
        let hub = try Store.make("punjab-hub", in: folder, clock: clock)
        let offices = try ["fia-lahore", "fia-kasur", "fia-karachi", "fia-islamabad"].prefix(Int.random(in: 2...4, using: &rng)).map {
            try Store.make($0, in: folder, clock: clock)
        }
        let all = [central, hub] + offices
        // Grants: each office writes one or two random scopes and reads a random third.
        try central.writeGrant(for: hub.node, .register(read: [scopes[0], scopes[2]], write: []), as: "Admin")
        for office in offices {
            let write = Set(scopes.filter { _ in Bool.random(using: &rng) }).union([scopes.randomElement(using: &rng)!])
            let read = Set(scopes.filter { _ in Bool.random(using: &rng) })
            try central.writeGrant(for: office.node, .register(read: read, write: write), as: "Admin")
            // Made with --scope: one of the scopes its grant will let it write (work outside
            // the grant before it arrives would be void, which is not built yet).
            try office.setDefaultScope(write.sorted().first!)
        }
        for store in all where store !== central { try store.adoptRoot(central.node) }
        var made = try central.changeCounts().held
        for step in 0..<Int.random(in: 30...60, using: &rng) {
            clock.advance(UInt64.random(in: 0...3, using: &rng))
            let store = all.randomElement(using: &rng)!
            if store !== hub, Bool.random(using: &rng) {
                // An edit in a scope this store may write (as it knows its grant now).
                let writable = try store === central ? Set(scopes) : (store.grants()[store.node]?.writable ?? [store.scopeForNewEntries()])
                guard let scope = writable.randomElement(using: &rng) else { continue }
                // Entries of the register (an entry whose creation is void here is none).
                let ids = try store.find(Query()).map(\.id).filter { (try? store.scope(of: $0)) == scope }
                if let id = ids.randomElement(using: &rng), Bool.random(using: &rng) {
                    try store.write(as: "Insp. \(step)") { try $0.set(id, [name("status"): .text("s\(step)")]) }
                } else {
                    try store.write(as: "Insp. \(step)") { _ = try $0.add(kind: kind("case"), fields: [name("n"): .integer(Int64(step))], in: scope) }
                }
                made += 1
            } else {
                let other = all.filter { $0 !== store }.randomElement(using: &rng)!
                try deliver(from: store, to: other, root: central.node, &rng)
            }
        }
        // Everyone meets everyone until nothing moves.
        for _ in 0..<3 {
            for a in all { for b in all where a !== b { try deliver(from: a, to: b, root: central.node, &rng) } }
        }
        // Nothing leaks: each store holds only what it may read (and the registry).
        for store in all where store !== central {
            let may = try #require(try held(store))
            for scope in try store.entriesPerScope().keys { #expect(may.contains(scope), "seed \(seed): \(store.node) holds \(scope)") }
            for scope in try store.knowledge().scopes { #expect(scope == .registry || may.contains(scope), "seed \(seed): \(store.node) knows \(scope)") }
        }
        // Identical per scope both hold.
        func entries(_ store: Store, _ scope: Scope) throws -> [RecordState] {
            try store.allRecords().filter { (try? store.scope(of: $0.id)) == scope }
        }
        for a in all {
            for b in all where a.node < b.node {
                let shared = Set(try held(a) ?? Set(scopes)).intersection(try held(b) ?? Set(scopes))
                for scope in shared {
                    #expect(try entries(a, scope) == entries(b, scope), "seed \(seed): \(a.node) and \(b.node) differ in \(scope)")
                }
            }
        }
        // The central node holds every change made anywhere.
        #expect(try central.changeCounts().held == made, "seed \(seed)")
    }
}
