import DaftarModel
import Testing

@testable import DaftarStore

/// The merge rule of promise 4, by hand, across real stores.
@Suite struct MergeTests {
    let folder: TemporaryFolder
    let clock = TestClock()
    let lahore: Store
    let karachi: Store

    init() throws {
        folder = try TemporaryFolder()
        lahore = try Store.make("fia-lahore", in: folder, clock: clock)
        karachi = try Store.make("fia-karachi", in: folder, clock: clock)
    }

    /// One shared entry, synced to both offices.
    func sharedIncident() throws -> RecordID {
        let id = try lahore.add(kind: kind("incident"), fields: [name("title"): text("Raid"), name("status"): text("open")], as: "Rashid")
        try sync(lahore, karachi)
        return id
    }

    @Test func concurrentEditsOfDifferentFields_bothKept() throws {
        let id = try sharedIncident()
        try lahore.write(as: "Rashid") { try $0.set(id, [name("status"): text("closed")]) }
        clock.advance(5)
        try karachi.write(as: "Ayesha") { try $0.set(id, [name("city"): text("Karachi")]) }
        try sync(lahore, karachi)
        for store in [lahore, karachi] {
            let record = try #require(try store.record(id))
            #expect(record.values[name("status")] == text("closed"))
            #expect(record.values[name("city")] == text("Karachi"))
            #expect(!record.inConflict)
        }
        #expect(try snapshot(lahore) == snapshot(karachi))
    }

    @Test func concurrentEditsOfSameField_greaterStampShown_otherKeptAsSibling() throws {
        let id = try sharedIncident()
        try lahore.write(as: "Rashid") { try $0.set(id, [name("status"): text("closed")]) }
        clock.advance(5)
        try karachi.write(as: "Ayesha") { try $0.set(id, [name("status"): text("referred")]) }
        try sync(lahore, karachi)
        for store in [lahore, karachi] {
            let record = try #require(try store.record(id))
            let register = try #require(record.fields[name("status")])
            #expect(register.value == text("referred"))
            #expect(register.siblings.map(\.value) == [text("closed")])
            #expect(record.inConflict)
            #expect(try store.conflicts().map(\.id) == [id])
        }
    }

    @Test func equalConcurrentValues_areNoConflict() throws {
        let id = try sharedIncident()
        try lahore.write(as: "Rashid") { try $0.set(id, [name("status"): text("closed")]) }
        try karachi.write(as: "Ayesha") { try $0.set(id, [name("status"): text("closed")]) }
        try sync(lahore, karachi)
        #expect(try lahore.record(id)?.inConflict == false)
        #expect(try lahore.conflicts().isEmpty)
    }

    @Test func deleteAgainstConcurrentEdit_isAConflictOnTheDeletedFlag() throws {
        let id = try sharedIncident()
        try lahore.write(as: "Rashid") { try $0.delete(id) }
        clock.advance(5)
        try karachi.write(as: "Ayesha") { try $0.set(id, [name("status"): text("active")]) }
        try sync(lahore, karachi)
        for store in [lahore, karachi] {
            let record = try #require(try store.record(id))
            #expect(record.isDeletedInConflict)
            #expect(!record.isDeleted)  // the edit's stamp is greater
            #expect(record.values[name("status")] == text("active"))
        }
        // Deleting again resolves it.
        try lahore.write(as: "Rashid") { try $0.delete(id) }
        try sync(lahore, karachi)
        #expect(try karachi.record(id)?.isDeleted == true)
        #expect(try karachi.record(id)?.inConflict == false)
    }

    @Test func editAfterMerge_isNoFalseConflict() throws {
        let id = try sharedIncident()
        try lahore.write(as: "Rashid") { try $0.set(id, [name("status"): text("closed")]) }
        try sync(lahore, karachi)
        try karachi.write(as: "Ayesha") { try $0.set(id, [name("status"): text("reopened")]) }
        try sync(lahore, karachi)
        let record = try #require(try lahore.record(id))
        #expect(record.values[name("status")] == text("reopened"))
        #expect(!record.inConflict)
        #expect(record.fields[name("status")]?.entries.count == 1)
    }

    @Test func resolution_endsTheConflictEverywhere() throws {
        let id = try sharedIncident()
        let quetta = try Store.make("fia-quetta", in: folder, clock: clock)
        try sync(lahore, quetta)
        try lahore.write(as: "Rashid") { try $0.set(id, [name("status"): text("closed")]) }
        try karachi.write(as: "Ayesha") { try $0.set(id, [name("status"): text("referred")]) }
        try sync(lahore, karachi)
        try sync(karachi, quetta)
        #expect(try quetta.record(id)?.inConflict == true)
        try quetta.write(as: "Bilal") { try $0.resolve(id, [name("status"): text("closed")]) }
        try sync(quetta, lahore)
        try sync(lahore, karachi)
        for store in [lahore, karachi, quetta] {
            let record = try #require(try store.record(id))
            #expect(!record.inConflict)
            #expect(record.fields[name("status")]?.entries.map(\.value) == [text("closed")])
            #expect(try store.conflicts().isEmpty)
        }
        // The losing value is still in history.
        let written = try lahore.history(of: id).flatMap { $0.fields.values }
        #expect(written.contains(text("referred")))
    }

    @Test func changeWithMissingDependency_isNotApplied() throws {
        let id = try sharedIncident()
        try lahore.write(as: "Rashid") { try $0.set(id, [name("status"): text("a")]) }
        try lahore.write(as: "Rashid") { try $0.set(id, [name("status"): text("b")]) }
        let all = try lahore.changes(missingFrom: try karachi.knowledge()).changes
        #expect(all.count == 2)
        // Offer only the second: its origin's earlier change is missing.
        let report = try karachi.apply([all[1]])
        #expect(report.applied == 0)
        #expect(report.stop == .missingDependency(change: all[1].dot, missing: all[0].dot))
        #expect(try karachi.record(id)?.values[name("status")] == text("open"))
    }

    /// C creates R, B edits R after seeing it, A is offered B's change first.
    @Test func editOfferedBeforeTheCreationItSaw_waitsThenMergesBoth() throws {
        let a = lahore
        let b = karachi
        let c = try Store.make("fia-quetta", in: folder, clock: clock)
        let id = try c.add(kind: kind("case"), fields: [name("title"): text("Smuggling")], as: "Bilal")
        try push(from: c, to: b)
        try b.write(as: "Ayesha") { try $0.set(id, [name("status"): text("open")]) }
        let bOwn = try b.changes(missingFrom: try a.knowledge(), mayPassOn: { $0 == b.node })
        #expect(bOwn.changes.isEmpty)  // B holds back its change: it depends on C's, which B may not pass on here
        // Offer A B's edit alone anyway: it is refused, naming C's change it waits for.
        let edit = try #require(try b.change(at: Dot(origin: b.node, seq: 1)))
        let report = try a.apply([edit])
        #expect(report.applied == 0)
        #expect(report.stop == .missingDependency(change: edit.dot, missing: Dot(origin: c.node, seq: 1)))
        #expect(try a.record(id) == nil)
        // Once A holds C's change, B's applies, and A holds both edits.
        try push(from: c, to: a)
        #expect(try a.apply([edit]).applied == 1)
        let record = try #require(try a.record(id))
        #expect(record.values == [name("title"): text("Smuggling"), name("status"): text("open")])
        #expect(try snapshot(a) == snapshot(b))
    }

    @Test func applyingSameBatchTwice_changesNothing() throws {
        let id = try sharedIncident()
        try lahore.write(as: "Rashid") { try $0.set(id, [name("status"): text("closed")]) }
        let batch = try lahore.changes(missingFrom: try karachi.knowledge()).changes
        let first = try karachi.apply(batch)
        let before = try snapshot(karachi)
        let second = try karachi.apply(batch + batch)
        #expect(first.applied == 1)
        #expect(second.applied == 0 && second.duplicates == 2)
        #expect(try snapshot(karachi) == before)
        #expect(try karachi.knowledge() == lahore.knowledge())
    }

    @Test func tamperedChange_refusesTheWholeBatch() throws {
        _ = try sharedIncident()
        let id = try lahore.add(kind: kind("vehicle"), fields: [name("plate"): text("LEA-1234")], as: "Rashid")
        try lahore.write(as: "Rashid") { try $0.set(id, [name("colour"): text("white")]) }
        var batch = try lahore.changes(missingFrom: try karachi.knowledge()).changes
        batch[1].fields[name("colour")] = text("black")
        let before = try snapshot(karachi)
        #expect(throws: StoreError.self) { try karachi.apply(batch) }
        do { _ = try karachi.apply(batch) } catch { #expect(error.validation?.code == .hashMismatch) }
        #expect(try snapshot(karachi) == before)
    }

    @Test func stampBeyondDrift_isAppliedAndReported_clockNotDraggedPastTheCap() throws {
        let farClock = TestClock(clock.reading() + 3_600_000)  // an hour ahead
        let fast = try Store.make("coastal-gwadar", in: folder, clock: farClock)
        try fast.add(kind: kind("seizure"), fields: [name("item"): text("diesel")], as: "Naveed")
        let report = try push(from: fast, to: lahore)
        #expect(report.first?.applied == 1)
        #expect(report.first?.skews.first?.dot.origin == fast.node)
        #expect((report.first?.skews.first?.skewMilliseconds ?? 0) > 40 * 60 * 1000)
        // The receiver's clock is capped at wall + drift.
        let raw = try lahore.pool.read { db in try Int64.fetchOne(db, sql: "SELECT clock FROM store") }
        let held = HLC(rawValue: UInt64(try #require(raw)))
        #expect(held.milliseconds == clock.reading() + HybridClock.defaultDriftMilliseconds)
        let next = try lahore.add(kind: kind("incident"), fields: [:], as: "Rashid")
        #expect(try lahore.history(of: next).first.map { $0.hlc > held } == true)
        #expect(try lahore.clockWarnings().map(\.dot.origin) == [fast.node])
    }
}
