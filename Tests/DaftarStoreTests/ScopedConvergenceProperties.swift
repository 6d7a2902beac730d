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

    /// Sends what `to` lacks of the scopes both hold (and the registry, from the root alone), in
    /// random batches, as a server and a client do: the central node also takes what a node
    /// still holds of a scope withdrawn from it, and the node then deletes what the central node
    /// confirms it holds.
    static func deliver(from: Store, to: Store, root: NodeID, _ rng: inout SplitMix) throws {
        let fromRoot = from.node == root
        // A node takes the central node as its root at its first direct exchange with it, as
        // the sync client does (its work until then is judged by the registry from then on).
        if fromRoot { try to.enroll(at: from) }
        // The central node binds a node's key at its exchanges with it.
        if to.node == root { try to.bindKeyOf(from) }
        for _ in 0..<50 {
            // Again each round: a grant in the last batch may have changed what either holds.
            let receiverHolds = try held(to)
            let senderHolds = try held(from)
            let pushed = to.node == root ? Set(try to.scopes(readableBy: from.node, named: from.knowledge().scopes).pushed) : []
            let scopes: (Scope) -> Bool = { scope in
                if scope == .registry { return fromRoot }
                if pushed.contains(scope) { return true }
                return (receiverHolds?.contains(scope) ?? true) && (senderHolds?.contains(scope) ?? true)
            }
            let outgoing = try from.changes(
                missingFrom: try to.knowledge().restricted(where: scopes), limits: BatchLimits(maxCount: Int.random(in: 1...20, using: &rng)),
                scopes: scopes)
            if outgoing.changes.isEmpty {
                if !pushed.isEmpty {
                    // As the central node answers (PROTOCOL choice 2): per chain the node named,
                    // at most at its seq.
                    let confirmed = try to.pushKnowledge(of: pushed.sorted(), namedBy: from.knowledge())
                    _ = try from.completeWithdrawals(confirmedBy: confirmed, pushScopes: pushed, server: "central")
                }
                return
            }
            let report = try to.apply(
                outgoing.changes, senderKnowledge: try from.knowledge().restricted(where: scopes), takesScope: scopes, fromRoot: fromRoot)
            #expect(report.forks.isEmpty)
            if report.applied == 0 { return }
        }
    }

    struct Written: Hashable {
        var record: RecordID
        var value: FieldValue
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
        // Grants: each office writes one or two random scopes and reads a random third; some
        // are registered only later, after they have worked.
        try central.writeGrant(for: hub.node, .register(read: [scopes[0], scopes[2]], write: []), as: "Admin")
        var unregistered: [Store] = []
        for office in offices {
            // Made with --scope: a random scope, which its grant may or may not let it write
            // (work outside the grant is void, everywhere, once the grant is known).
            try office.setDefaultScope(scopes.randomElement(using: &rng)!)
            if Bool.random(using: &rng) {
                unregistered.append(office)
                continue
            }
            try register(office, central, &rng)
        }
        try hub.enroll(at: central)
        var made = try central.changeCounts().held
        var written: Set<Written> = []
        for step in 0..<Int.random(in: 40...80, using: &rng) {
            clock.advance(UInt64.random(in: 0...3, using: &rng))
            let store = all.randomElement(using: &rng)!
            let roll = Int.random(in: 0..<10, using: &rng)
            if roll == 0 {
                // The central node changes a grant mid-history: registers a late office,
                // withdraws a scope, or grants one (again).
                guard let office = offices.randomElement(using: &rng) else { continue }
                let before = try central.changeCounts().held
                if let index = unregistered.firstIndex(where: { $0 === office }) {
                    unregistered.remove(at: index)
                    try register(office, central, &rng)
                } else if let grant = try central.grant(of: office.node), let scope = grant.read.randomElement(using: &rng), Bool.random(using: &rng) {
                    try central.writeGrant(for: office.node, .withdraw(scope), as: "Admin")
                } else {
                    let scope = scopes.randomElement(using: &rng)!
                    try central.writeGrant(for: office.node, .grant(read: [scope], write: Bool.random(using: &rng) ? [scope] : []), as: "Admin")
                }
                made += try central.changeCounts().held - before
            } else if store !== hub, roll < 6 {
                // An edit in a scope this store may write (as it knows its grant now).
                let writable = try store === central ? Set(scopes) : (store.grants()[store.node]?.writable ?? [store.scopeForNewEntries()])
                guard let scope = writable.randomElement(using: &rng) else { continue }
                // Entries of the register (an entry whose creation is void here is none).
                let ids = try store.find(Query()).map(\.id).filter { (try? store.scope(of: $0)) == scope }
                let value = FieldValue.text("s\(step)")
                do {
                    if let id = ids.randomElement(using: &rng), Bool.random(using: &rng) {
                        try store.write(as: "Insp. \(step)") { try $0.set(id, [name("status"): value]) }
                        written.insert(Written(record: id, value: value))
                    } else {
                        let id = try store.write(as: "Insp. \(step)") { try $0.add(kind: kind("case"), fields: [name("status"): value], in: scope) }
                        written.insert(Written(record: id, value: value))
                    }
                    made += 1
                } catch {
                    // A scope granted again before the office's own changes of it came back.
                    guard error.message.contains("sync first") else { throw error }
                    continue
                }
            } else {
                let other = all.filter { $0 !== store }.randomElement(using: &rng)!
                try deliver(from: store, to: other, root: central.node, &rng)
            }
        }
        // Everyone meets everyone until nothing moves (the central node first and last, so
        // every registry statement and every pushed change has arrived everywhere).
        for _ in 0..<3 {
            for a in all { for b in all where a !== b { try deliver(from: a, to: b, root: central.node, &rng) } }
        }
        for store in all where store !== central { try deliver(from: central, to: store, root: central.node, &rng) }
        // Nothing leaks: each store holds only what it may read (and the registry); what was
        // withdrawn has been pushed and deleted.
        for store in all where store !== central {
            let may = try #require(try held(store))
            for scope in try store.entriesPerScope().keys { #expect(may.contains(scope), "seed \(seed): \(store.node) holds \(scope)") }
            for scope in try store.knowledge().scopes { #expect(scope == .registry || may.contains(scope), "seed \(seed): \(store.node) knows \(scope)") }
            #expect(try store.pendingWithdrawals().isEmpty, "seed \(seed): \(store.node)")
        }
        // The counts kept as entries come and go agree with the entries (void, withdrawn and
        // deleted ones left out).
        for store in all {
            let live = try store.find(Query())
            #expect(try store.count(Query()) == live.count, "seed \(seed): \(store.node)")
            let perKind = Dictionary(grouping: live, by: \.kind).mapValues(\.count)
            #expect(try Dictionary(uniqueKeysWithValues: store.countByKind().filter { $0.count > 0 }.map { ($0.kind, $0.count) }) == perKind, "seed \(seed): \(store.node)")
        }
        // Identical per scope both hold, hidden entries (void creation) included.
        func entries(_ store: Store, _ scope: Scope) throws -> [RecordState] {
            try store.allRecords().filter { (try? store.scope(of: $0.id)) == scope }
        }
        for a in all {
            for b in all where a.node < b.node {
                let shared = Set(try held(a) ?? Set(scopes)).intersection(try held(b) ?? Set(scopes))
                for scope in shared {
                    #expect(try entries(a, scope) == entries(b, scope), "seed \(seed): \(a.node) and \(b.node) differ in \(scope)")
                    #expect(try a.voidChains().filter { $0.chain.scope == scope } == b.voidChains().filter { $0.chain.scope == scope })
                }
            }
        }
        // The central node holds every change made anywhere, and every value written is in its
        // history; exactly the changes the registry voids are marked void (an oracle of the rule).
        // (and the key statements it wrote as offices first exchanged with it).
        let bound = try offices.filter { !(try central.boundKeys(of: $0.node)).isEmpty }.count
        #expect(try central.changeCounts().held == made + UInt64(bound), "seed \(seed)")
        let grants = try central.grants()
        for item in written {
            let history = try central.history(of: item.record)
            #expect(history.contains { $0.fields[name("status")] == item.value }, "seed \(seed): \(item.value) of \(item.record)")
            let void = try central.voidDots(of: item.record)
            for change in history {
                let origin = change.dot.origin
                let expected = origin != central.node && !(grants[origin] ?? .general(origin)).mayWrite(change.scope, at: change.dot.seq)
                #expect(void.contains(change.dot) == expected, "seed \(seed): \(change.dot)")
            }
        }
    }

    /// The central node registers `office` with a random grant, as `daftar node add`.
    static func register(_ office: Store, _ central: Store, _ rng: inout SplitMix) throws {
        let write = Set(scopes.filter { _ in Bool.random(using: &rng) }).union([scopes.randomElement(using: &rng)!])
        let read = Set(scopes.filter { _ in Bool.random(using: &rng) })
        try central.writeGrant(for: office.node, .register(read: read, write: write), as: "Admin")
    }
}
