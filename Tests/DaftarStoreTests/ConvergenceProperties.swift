import DaftarModel
import PropertyBased
import Testing

@testable import DaftarStore

/// Promises 2, 3, 4, 5 and 6 as a property: random histories of edits at 3 to 5 stores,
/// exchanged in random orders through each other, with duplicates, random batch boundaries and
/// reordering across origins wherever causal delivery allows it, end identical everywhere, and
/// every value ever written can still be read from history.
@Suite struct ConvergenceProperties {
    static let fieldNames = ["status", "city", "officer", "amount", "note"].map(name)
    static let values: [FieldValue] = [
        text("open"), text("closed"), text("Lahore"), text("لاہور"), text("03001234567"), .integer(7), .integer(-2),
        .decimal(try! ExactDecimal("12.50")), .boolean(true), .boolean(false),
    ]

    @Test func randomHistories_converge_andKeepEveryValue() async throws {
        await propertyCheck(count: 100, input: Gen.uint64()) { seed in
            do {
                try Self.run(seed: seed)
            } catch {
                Issue.record("seed \(seed): \(error)")
            }
        }
    }

    struct Written: Hashable {
        var record: RecordID
        var field: FieldName
        var value: FieldValue
    }

    static func run(seed: UInt64) throws {
        var rng = SplitMix(state: seed)
        let folder = try TemporaryFolder()
        let clock = TestClock()
        let count = Int.random(in: 3...5, using: &rng)
        let stores = try (0..<count).map { try Store.make("office-\($0)", in: folder, clock: clock) }
        var written: Set<Written> = []
        for _ in 0..<Int.random(in: 20...40, using: &rng) {
            clock.advance(UInt64.random(in: 0...3, using: &rng))  // equal stamps' milliseconds happen
            let i = Int.random(in: 0..<count, using: &rng)
            if Bool.random(using: &rng) {
                try edit(stores[i], &rng, &written)
            } else {
                var j = Int.random(in: 0..<count - 1, using: &rng)
                if j >= i { j += 1 }
                try deliver(from: stores[i], to: stores[j], &rng)
            }
        }
        // Everyone meets everyone until nothing moves.
        for _ in 0..<count {
            for a in stores { for b in stores where a !== b { try deliver(from: a, to: b, &rng) } }
        }
        let reference = try snapshot(stores[0])
        let knowledge = try stores[0].knowledge()
        for store in stores.dropFirst() {
            #expect(try snapshot(store) == reference, "seed \(seed): \(store.node) differs from \(stores[0].node)")
            #expect(try store.knowledge() == knowledge, "seed \(seed)")
        }
        for store in stores {
            var history: [RecordID: Set<Written>] = [:]
            for w in written where history[w.record] == nil {
                history[w.record] = Set(
                    try store.history(of: w.record).flatMap { change in
                        change.fields.map { Written(record: change.record, field: $0.key, value: $0.value) }
                    })
            }
            for w in written {
                #expect(history[w.record]?.contains(w) == true, "seed \(seed): \(w) lost at \(store.node)")
            }
            #expect(try store.integrityCheck().isEmpty)
            // Every record's conflict flag agrees with its registers.
            for record in try store.allRecords() where record.inConflict {
                #expect(try store.conflicts().contains { $0.id == record.id })
            }
        }
    }

    /// One random local edit: an add, or an edit of an entry this store holds.
    static func edit(_ store: Store, _ rng: inout SplitMix, _ written: inout Set<Written>) throws {
        let records = try store.allRecords()
        func randomFields() -> [FieldName: FieldValue] {
            var fields: [FieldName: FieldValue] = [:]
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                fields[fieldNames.randomElement(using: &rng)!] = values.randomElement(using: &rng)!
            }
            return fields
        }
        guard let record = records.randomElement(using: &rng), Int.random(in: 0..<4, using: &rng) > 0 else {
            let fields = randomFields()
            let id = try store.add(kind: kind(["incident", "person", "vehicle"].randomElement(using: &rng)!), fields: fields, as: "officer")
            for (f, v) in fields { written.insert(Written(record: id, field: f, value: v)) }
            return
        }
        let id = record.id
        try store.write(as: "officer") { tx in
            switch Int.random(in: 0..<10, using: &rng) {
            case 0 where !record.isDeleted || record.isDeletedInConflict:
                try tx.delete(id)
            case 1 where record.isDeleted || record.isDeletedInConflict:
                try tx.restore(id)
            case 2 where !record.isDeleted:
                let names = Array(Set((0..<Int.random(in: 1...2, using: &rng)).map { _ in fieldNames.randomElement(using: &rng)! }))
                try tx.unset(id, names)
                for f in names { written.insert(Written(record: id, field: f, value: .null)) }
            default:
                let fields = randomFields()
                if record.isDeleted {
                    try tx.resolve(id, fields)  // a resolution may write a deleted entry
                } else {
                    try tx.set(id, fields)
                }
                for (f, v) in fields { written.insert(Written(record: id, field: f, value: v)) }
            }
        }
    }

    /// Sends what `to` lacks, reordered at random wherever causal delivery allows it, cut into
    /// random batches, with random duplicates of changes already sent.
    static func deliver(from: Store, to: Store, _ rng: inout SplitMix) throws {
        let outgoing = try from.changes(missingFrom: try to.knowledge(), limits: BatchLimits(maxCount: Int.random(in: 1...50, using: &rng)))
        var pending = outgoing.changes
        var held = try to.knowledge()
        var ordered: [Change] = []
        while !pending.isEmpty {
            let ready = pending.indices.filter { index in
                let change = pending[index]
                return held[change.chain] == change.prev.seq && held.missingDependency(of: change.vector, in: change.scope, except: change.dot.origin) == nil
            }
            guard let pick = ready.randomElement(using: &rng) else { break }
            let change = pending.remove(at: pick)
            held.entries[change.chain] = Knowledge.Entry(seq: change.dot.seq, hash: change.hash)
            ordered.append(change)
        }
        #expect(pending.isEmpty, "a sender's batch must be causally complete")
        var start = 0
        while start < ordered.count {
            let end = min(ordered.count, start + Int.random(in: 1...8, using: &rng))
            var batch = Array(ordered[start..<end])
            if start > 0, Bool.random(using: &rng) {
                batch.insert(ordered[Int.random(in: 0..<start, using: &rng)], at: 0)  // a duplicate
            }
            let report = try to.apply(batch, senderKnowledge: try from.knowledge())
            #expect(report.stop == nil, "\(String(describing: report.stop))")
            start = end
        }
    }
}
