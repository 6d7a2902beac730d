import DaftarModel
import DaftarTesting
import PropertyBased
import Testing

@testable import DaftarStore

/// Promise 16 as a property: random histories at a central node and offices, passed between
/// them by relays that may tamper on the way (alter a field, drop a change, withhold a chain's
/// tail, reorder, invent a change in another office's name, replay an old change, claim a fork
/// with a made-up hash). Every tampered change is refused at every honest store, honest stores
/// converge, nothing waits for ever, and every honest store's audit verifies.
@Suite struct TamperingRelayProperties {
    @Test func tamperingRelays_forgeNothing_andHonestStoresConverge() async throws {
        await propertyCheck(count: 25, input: Gen.uint64()) { seed in
            do {
                try await offThePool { try Self.run(seed: seed) }
            } catch {
                // Printed too: the property runner's report shows the seed, not the message.
                print("TamperingRelayProperties seed \(seed): \(error)")
                Issue.record("seed \(seed): \(error)")
            }
        }
    }

    /// What a relay did to one batch.
    enum Tamper: CaseIterable {
        case none, alter, drop, withholdTail, reorder, invent, replay, forgeFork
    }

    static func run(seed: UInt64) throws {
        var rng = SplitMix(state: seed)
        let folder = try TemporaryFolder()
        let clock = TestClock()
        let central = try Store.make("central", in: folder, clock: clock)
        let offices = try ["fia-lahore", "fia-kasur", "fia-okara", "fia-quetta"].prefix(Int.random(in: 2...4, using: &rng)).map {
            try Store.make($0, in: folder, clock: clock)
        }
        // A relay's own key: what it can sign with is its own, never an office's.
        let relayKey = SigningKey()
        for office in offices {
            try central.writeGrant(for: office.node, .register(read: [.general], write: [.general]), as: "Admin")
            try office.enroll(at: central)
        }
        let all = [central] + offices
        // Every office first takes the registry (every key statement), as its first syncs would.
        for office in offices { try deliver(from: central, to: office, &rng, relayKey: relayKey) }
        var forged: Set<ContentHash> = []
        for step in 0..<Int.random(in: 30...60, using: &rng) {
            clock.advance(UInt64.random(in: 0...3, using: &rng))
            let store = all.randomElement(using: &rng)!
            if Int.random(in: 0..<10, using: &rng) < 4 {
                let ids = try store.find(Query()).map(\.id)
                let value = FieldValue.text("s\(step)")
                if let id = ids.randomElement(using: &rng), Bool.random(using: &rng) {
                    try store.write(as: "Insp. \(step)") { try $0.set(id, [name("status"): value]) }
                } else {
                    try store.write(as: "Insp. \(step)") { tx in
                        // One to three entries in one transaction: runs of several changes.
                        for _ in 0..<Int.random(in: 1...3, using: &rng) { try tx.add(kind: kind("case"), fields: [name("status"): value]) }
                    }
                }
            } else {
                let other = all.filter { $0 !== store }.randomElement(using: &rng)!
                let tamper = Tamper.allCases.randomElement(using: &rng)!
                try deliver(from: store, to: other, tamper, &rng, relayKey: relayKey, forged: &forged)
            }
        }
        // Honest exchanges until nothing moves: everything made arrives everywhere.
        for _ in 0..<3 {
            for a in all { for b in all where a !== b { try deliver(from: a, to: b, &rng, relayKey: relayKey) } }
        }
        let reference = try snapshot(central)
        let knowledge = try central.knowledge()
        for store in all {
            #expect(try snapshot(store) == reference, "seed \(seed): \(store.node) differs from the central node")
            #expect(try store.knowledge() == knowledge, "seed \(seed): \(store.node) waits for something")
            let forks = try store.knownForks()
            #expect(forks.isEmpty, "seed \(seed): \(store.node) recorded a fork: \(forks)")
            let audit = try store.audit()
            #expect(audit.verified, "seed \(seed): \(store.node): \(audit.problems)")
            // No tampered or invented change is held anywhere.
            let held = try store.changes(missingFrom: Knowledge()).changes.map(\.hash)
            #expect(Set(held).isDisjoint(with: forged), "seed \(seed): \(store.node) holds a forged change")
        }
        // Nothing made anywhere is missing at the central node.
        for office in offices {
            #expect(try central.knowledge()[Chain(office.node, .general)] == office.knowledge()[Chain(office.node, .general)], "seed \(seed)")
        }
    }

    /// Honest exchanges from `from` to `to` until `to` holds everything it lacked.
    static func deliver(from: Store, to: Store, _ rng: inout SplitMix, relayKey: SigningKey) throws {
        var none: Set<ContentHash> = []
        for _ in 0..<50 {
            let before = try to.knowledge()
            try deliver(from: from, to: to, .none, &rng, relayKey: relayKey, forged: &none)
            if try to.knowledge() != before { continue }
            // A random batch too small for a signed run moves nothing: a whole batch, as a
            // client asks for, then.
            try deliver(from: from, to: to, .none, &rng, relayKey: relayKey, forged: &none, maxCount: 5000)
            if try to.knowledge() == before { return }
        }
    }

    /// Sends what `to` lacks, in a random batch, through a relay that may tamper; checks that
    /// nothing tampered was taken.
    static func deliver(
        from: Store, to: Store, _ tamper: Tamper, _ rng: inout SplitMix, relayKey: SigningKey, forged: inout Set<ContentHash>, maxCount: Int? = nil
    ) throws {
        let fromRoot = from.node == (try to.root())
        let scopes: (Scope) -> Bool = { $0 != .registry || fromRoot }
        let outgoing = try from.changes(
            missingFrom: try to.knowledge().restricted(where: scopes), limits: BatchLimits(maxCount: maxCount ?? Int.random(in: 1...30, using: &rng)),
            scopes: scopes)
        var batch = outgoing.changes
        var senderKnowledge = try from.knowledge().restricted(where: scopes)
        var tampered: Set<ContentHash> = []
        switch tamper {
        case .none: break
        case .alter:
            if let i = batch.indices.randomElement(using: &rng), batch[i].operation != .delete, batch[i].operation != .restore {
                batch[i].fields[name("status")] = .text("altered on the way")
                batch[i].hash = try batch[i].computedHash()
                tampered.insert(batch[i].hash)
            }
        case .drop:
            if let i = batch.indices.randomElement(using: &rng) { batch.remove(at: i) }
        case .withholdTail:
            if !batch.isEmpty { batch = Array(batch.prefix(Int.random(in: 0..<batch.count, using: &rng))) }
        case .reorder:
            batch.shuffle(using: &rng)
        case .invent:
            // A change in a real office's name, at its next seq, signed with the relay's key or
            // with none, or carrying a signature copied from a real change.
            let victim = try to.knowledge().entries.keys.filter { $0.scope == .general }.randomElement(using: &rng)
            if let victim {
                let seq = try to.knowledge()[victim] + 1
                let dot = Dot(origin: victim.origin, seq: seq)
                let head = try to.knowledge().entries[victim]
                var invented = try Change(
                    dot: dot, record: RecordID(dot), kind: kind("case"), operation: .add, fields: [name("status"): .text("invented")],
                    vector: VersionVector(dot), hlc: HLC(milliseconds: 1_780_000_000_000), officer: "Nobody", wallTime: 1_780_000_000_000,
                    prev: ChainLink(seq: head?.seq ?? 0, hash: head?.hash ?? .zero))
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: invented.signature = try ChangeSignature.sign(invented.hash, with: relayKey)
                case 1: invented.signature = batch.compactMap(\.signature).first
                default: invented.signature = nil
                }
                tampered.insert(invented.hash)
                batch.insert(invented, at: Int.random(in: 0...batch.count, using: &rng))
            }
        case .replay:
            let old = try from.changes(missingFrom: Knowledge(), limits: BatchLimits(maxCount: 5), scopes: scopes).changes
            batch.insert(contentsOf: old, at: 0)
        case .forgeFork:
            if let chain = senderKnowledge.entries.keys.randomElement(using: &rng), let entry = senderKnowledge.entries[chain], entry.seq > 0 {
                senderKnowledge.entries[chain] = Knowledge.Entry(seq: entry.seq, hash: try ContentHash(bytes: [UInt8](repeating: 0xAB, count: 32)))
            }
            // Fork evidence made up by the relay: a run at a dot the receiver holds, of a change
            // the office never made, signed with the relay's key or carrying a real signature;
            // and a proof pairing it with another made-up run.
            if let victim = try to.knowledge().entries.first(where: { $0.key.scope == .general && $0.value.seq > 0 }) {
                let dot = Dot(origin: victim.key.origin, seq: victim.value.seq)
                func madeUp(_ text: String) throws -> SignedRun {
                    let change = try Change(
                        dot: dot, record: RecordID(dot), kind: kind("case"), operation: .add, fields: [name("status"): .text(text)],
                        vector: VersionVector(dot), hlc: HLC(milliseconds: 1_780_000_000_000), officer: "Nobody", wallTime: 1_780_000_000_000,
                        prev: ChainLink(seq: 0, hash: .zero))
                    let copied = batch.compactMap(\.signature).first
                    let signature = Bool.random(using: &rng) || copied == nil ? try ChangeSignature.sign(change.hash, with: relayKey) : copied!
                    return try SignedRun(headers: [try #require(try change.header())], signature: signature)
                }
                let one = try madeUp("made up")
                let other = try madeUp("made up again")
                #expect(try to.takeForkEvidence([one], scopes: { _ in true }).isEmpty, "a made-up run made a fork at \(to.node)")
                #expect(try to.takeForkProofs([try ForkProof(one, other)], scopes: { _ in true }).isEmpty, "a made-up proof was kept at \(to.node)")
            }
        }
        forged.formUnion(tampered)
        guard !batch.isEmpty || tamper == .forgeFork else { return }
        // A fork is kept only from a sender's claims about its own chains (the server's rule
        // once signatures are verified); through a relay, the relay is the sender, and it has
        // no chain of its own here.
        let sender = from.node
        let relayed = tamper != .none
        _ = try to.apply(batch, senderKnowledge: senderKnowledge, takesScope: scopes, fromRoot: fromRoot, vouchesFor: { !relayed && $0 == sender })
        let held = Set(try to.changes(missingFrom: Knowledge()).changes.map(\.hash))
        #expect(held.isDisjoint(with: tampered), "a tampered change (\(tamper)) was taken by \(to.node)")
    }
}
