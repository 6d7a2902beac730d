import DaftarModel
import Foundation
internal import GRDB
import Testing

@testable import DaftarStore

@Suite struct StoreTests {
    let folder: TemporaryFolder
    let store: Store

    init() throws {
        folder = try TemporaryFolder()
        store = try Store.make("fia-lahore", in: folder)
    }

    @Test func addSetUnsetDeleteRestore_roundTrip() throws {
        let id = try store.add(kind: kind("person"), fields: [name("name"): text("Rashid"), name("cnic"): text("03001234567"), name("age"): .integer(41)], as: "Insp. Ayesha")
        #expect(id.description == "fia-lahore-1")
        try store.write(as: "Insp. Ayesha") { tx in
            try tx.set(id, [name("city"): text("Lahore"), name("height"): .decimal(try ExactDecimal("1.80"))])
            try tx.unset(id, [name("age")])
        }
        var record = try #require(try store.record(id))
        #expect(record.values == [name("name"): text("Rashid"), name("cnic"): text("03001234567"), name("city"): text("Lahore"), name("height"): .decimal(try ExactDecimal("1.8"))])
        try store.write(as: "Insp. Ayesha") { try $0.delete(id) }
        #expect(try store.record(id)?.isDeleted == true)
        #expect(try store.find(Query(kind: kind("person"))).isEmpty)
        #expect(throws: StoreError.self) { try store.write(as: "x") { try $0.set(id, [name("a"): .integer(1)]) } }
        try store.write(as: "Insp. Ayesha") { try $0.restore(id) }
        record = try #require(try store.record(id))
        #expect(!record.isDeleted)
        let history = try store.history(of: id)
        #expect(history.map(\.operation) == [.add, .set, .unset, .delete, .restore])
        #expect(history.allSatisfy { $0.officer == "Insp. Ayesha" })
        #expect(history.map(\.dot.seq) == [1, 2, 3, 4, 5])
        #expect(try store.knowledge()[Chain(store.node, .general)] == 5)
    }

    @Test func stampsStrictlyIncrease_andSurviveReopening() throws {
        let clock = TestClock()
        let path = folder.file("clocked.daftar")
        var options = Store.Options()
        options.wallClock = clock.reading
        let s = try Store.create(at: path, node: try NodeID("clocked"), options: options)
        for _ in 0..<5 { try s.add(kind: kind("incident"), fields: [:], as: "a") }
        clock.set(clock.reading() - 60_000)  // the wall clock jumps back a minute
        let reopened = try Store.open(at: path, options: options)
        let id = try reopened.add(kind: kind("incident"), fields: [:], as: "a")
        var stamps: [HLC] = []
        for seq in 1...6 { stamps.append(try #require(try reopened.change(at: Dot(origin: reopened.node, seq: UInt64(seq)))).hlc) }
        #expect(stamps == stamps.sorted() && Set(stamps).count == 6)
        #expect(id.dot.seq == 6)
    }

    @Test func find_byKindFieldsOperatorsAndOrder() throws {
        try store.write(as: "a") { tx in
            for i in 1...30 {
                try tx.add(
                    kind: kind(i % 3 == 0 ? "vehicle" : "person"),
                    fields: [
                        name("n"): .integer(Int64(i)),
                        name("city"): text(i % 2 == 0 ? "Lahore" : "Karachi"),
                        name("amount"): .decimal(try ExactDecimal("\(i).5")),
                        name("armed"): .boolean(i % 5 == 0),
                    ])
            }
        }
        func ns(_ query: Query) throws -> [Int64] {
            try store.find(query).compactMap { if case .integer(let n) = $0.values[name("n")] { n } else { nil } }
        }
        #expect(try store.count(Query(kind: kind("vehicle"))) == 10)
        #expect(try ns(Query(kind: kind("person"), where: .compare(name("n"), .lessOrEqual, .integer(5)))) == [1, 2, 4, 5])
        #expect(try ns(Query(where: .and(.compare(name("city"), .equal, text("Lahore")), .compare(name("n"), .greater, .integer(24))))) == [26, 28, 30])
        #expect(try ns(Query(where: .or(.compare(name("n"), .equal, .integer(1)), .compare(name("armed"), .equal, .boolean(true))))) == [1, 5, 10, 15, 20, 25, 30])
        #expect(try ns(Query(where: .compare(name("amount"), .greaterOrEqual, .decimal(try ExactDecimal("28.5"))))) == [28, 29, 30])
        #expect(try ns(Query(where: .compare(name("amount"), .less, .integer(3)))) == [1, 2])
        #expect(try ns(Query(where: .compare(name("n"), .greater, text("a")))) == [])  // text never matches a number
        #expect(try ns(Query(where: .compare(name("city"), .contains, text("HOR")), orderBy: [.init(field: name("n"), descending: true)], limit: 3)) == [30, 28, 26])
        #expect(try ns(Query(where: .compare(name("city"), .notEqual, text("Lahore")), limit: 2)) == [1, 3])
        #expect(try store.countByKind().map(\.count) == [20, 10])
    }

    @Test func search_foldsCaseAndUrduLetterForms() throws {
        let urdu = try store.add(kind: kind("person"), fields: [name("name"): text("علی حیدر"), name("note"): text("كراچی")], as: "a")  // Arabic kaf
        let latin = try store.add(kind: kind("incident"), fields: [name("title"): text("Raid on Call Centre")], as: "a")
        #expect(try store.search("علي").map(\.id) == [urdu])  // Arabic yeh finds Urdu yeh
        #expect(try store.search("کراچی").map(\.id) == [urdu])  // Urdu keheh finds Arabic kaf
        #expect(try store.search("CALL centre").map(\.id) == [latin])
        #expect(try store.search("cent*").map(\.id) == [latin])
        #expect(try store.search("\"unbalanced OR").isEmpty)
        #expect(try store.find(Query(where: .compare(name("name"), .contains, text("علي")))).map(\.id) == [urdu])
        #expect(throws: StoreError.self) { try store.search("   ") }
        // Edits reindex.
        try store.write(as: "a") { try $0.set(latin, [name("title"): text("Seizure at port")]) }
        #expect(try store.search("centre").isEmpty)
        #expect(try store.search("port").map(\.id) == [latin])
    }

    @Test func resolveID_exactWins_prefixUnique_ambiguousListsCandidates() throws {
        try store.write(as: "a") { tx in for _ in 1...12 { try tx.add(kind: kind("incident"), fields: [:]) } }
        #expect(try store.resolveID("fia-lahore-1").description == "fia-lahore-1")  // exact beats 10, 11, 12
        #expect(try store.resolveID("fia-lahore-9").description == "fia-lahore-9")
        do {
            _ = try store.resolveID("fia-lahore-1")
            _ = try store.resolveID("fia-l")
            Issue.record("an ambiguous prefix was accepted")
        } catch {
            #expect(error.code == .ambiguousPrefix)
            #expect(error.candidates.count == 10)
            #expect(error.message.contains("type more"))
        }
        #expect(throws: StoreError.self) { try store.resolveID("fia-karachi-1") }
        #expect(storeError { _ = try store.resolveID("'; DROP TABLE record; --") }?.code == .unknownRecord)
        #expect(try store.count(Query()) == 12)
    }

    @Test func badInput_getsTypedErrors_andWritesNothing() throws {
        let id = try store.add(kind: kind("case"), fields: [name("title"): text("x")], as: "a")
        let before = try store.knowledge()
        #expect(throws: ValidationError.self) { try Kind("") }
        #expect(throws: ValidationError.self) { try FieldName("drop table") }
        #expect(throws: ValidationError.self) { try RecordID("not an id") }
        let huge = String(repeating: "x", count: Limits.textBytes + 1)
        do {
            try store.write(as: "a") { tx in
                try tx.set(id, [name("ok"): text("fine")])
                try tx.set(id, [name("note"): text(huge)])
            }
            Issue.record("an oversized value was accepted")
        } catch {
            #expect(error.code == .invalid)
            #expect(error.validation?.code == .valueTooLarge)
        }
        let many = Dictionary(uniqueKeysWithValues: (0...Limits.fieldsPerChange).map { (name("f\($0)"), FieldValue.integer(1)) })
        #expect(throws: StoreError.self) { try store.add(kind: kind("case"), fields: many, as: "a") }
        #expect(throws: StoreError.self) { try store.add(kind: kind("case"), fields: [:], as: "  ") }
        #expect(throws: StoreError.self) { try store.write(as: "a") { try $0.set(RecordID(Dot(origin: store.node, seq: 99)), [name("a"): .integer(1)]) } }
        #expect(throws: StoreError.self) { try store.write(as: "a") { try $0.restore(id) } }
        // Nothing of the failed transactions was kept: the first set in it was rolled back too.
        #expect(try store.knowledge() == before)
        #expect(try store.record(id)?.values[name("ok")] == nil)
    }

    @Test func leadingZeros_andExactDecimals_arePreserved() throws {
        let id = try store.add(kind: kind("person"), fields: [name("cnic"): text("03001234567"), name("fine"): .decimal(try ExactDecimal("0012.500"))], as: "a")
        let reopened = try Store.open(at: store.path)
        let record = try #require(try reopened.record(id))
        #expect(record.values[name("cnic")] == text("03001234567"))
        #expect(record.values[name("fine")] == .decimal(try ExactDecimal("12.5")))
    }

    @Test func openingSomethingThatIsNotAStore_isRefusedAndLeftUnchanged() throws {
        let notSQLite = folder.file("notes.txt")
        try Data("evidence list".utf8).write(to: URL(fileURLWithPath: notSQLite))
        #expect(storeError { _ = try Store.open(at: notSQLite) }?.code == .notAStore)
        #expect(try Data(contentsOf: URL(fileURLWithPath: notSQLite)) == Data("evidence list".utf8))

        let other = folder.file("other.sqlite")
        let queue = try DatabaseQueue(path: other)
        try queue.write { try $0.execute(sql: "CREATE TABLE t (x); INSERT INTO t VALUES (1)") }
        try queue.close()
        let bytes = try Data(contentsOf: URL(fileURLWithPath: other))
        #expect(storeError { _ = try Store.open(at: other) }?.code == .notAStore)
        #expect(try Data(contentsOf: URL(fileURLWithPath: other)) == bytes)

        #expect(storeError { _ = try Store.open(at: folder.file("missing.daftar")) }?.code == .noStore)
        #expect(storeError { _ = try Store.create(at: store.path, node: try NodeID("again")) }?.code == .storeExists)
        #expect(storeError { _ = try Store.create(at: "/proc/daftar-test/x.daftar", node: try NodeID("x")) }?.code == .readOnly)
        let empty = folder.file("empty.daftar")
        FileManager.default.createFile(atPath: empty, contents: Data())
        #expect(storeError { _ = try Store.open(at: empty) }?.code == .notAStore)
    }

    /// A store cut short to its first 8192 bytes is refused when opened, as damaged, rather than crashed on or half-read.
    @Test func truncatedStore_isRefusedAtOpenAsDamaged() throws {
        try store.write(as: "a") { tx in for i in 0..<200 { try tx.add(kind: kind("incident"), fields: [name("n"): .integer(Int64(i)), name("t"): text(String(repeating: "r", count: 200))]) } }
        let path = folder.file("cut.daftar")
        try store.pool.writeWithoutTransaction { db in try db.execute(sql: "VACUUM INTO ?", arguments: [path]) }
        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        try handle.truncate(atOffset: 8192)
        try handle.close()
        do {
            let cut = try Store.open(at: path)
            Issue.record("a truncated store was opened; its integrity check says \(String(describing: try? cut.integrityCheck()))")
        } catch {
            #expect(error.code == .corrupt, "\(error.code): \(error.message)")
            #expect(error.message.contains("restore it from a backup"), "\(error.message)")
        }
    }

    @Test func newerSchema_isRefusedAndLeftUnchanged() throws {
        try store.pool.write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('9999_from_the_future')")
        }
        // Everything in the store file itself, and the handle left open: closing its pool here
        // would pull the connections from under the index's background catch-up, which reads it.
        try store.pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        let bytes = try Data(contentsOf: URL(fileURLWithPath: store.path))
        do {
            _ = try Store.open(at: store.path)
            Issue.record("a newer store was opened")
        } catch {
            #expect(error.code == .newerSchema)
            #expect(error.message.contains("upgrade Daftar"))
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: store.path)) == bytes)
    }

    @Test func olderSchema_isMigratedForward() throws {
        let path = folder.file("old.daftar")
        let pool = try DatabasePool(path: path)
        try Store.migrator().migrate(pool, upTo: Store.schemaVersions[0])
        try pool.write { db in try db.execute(sql: "INSERT INTO store (id, node, clock, created_at) VALUES (1, 'old-office', 0, 0)") }
        try pool.close()
        let opened = try Store.open(at: path)
        let applied = try opened.pool.read { db in try Store.migrator().appliedIdentifiers(db) }
        #expect(applied == Set(Store.schemaVersions))
        #expect(Store.schemaVersions.count >= 2)
        try opened.add(kind: kind("incident"), fields: [:], as: "a")
        #expect(try opened.knowledge()[Chain(try NodeID("old-office"), .general)] == 1)
    }

    @Test func storeLockedByAnotherWriter_getsLockedError() throws {
        var options = Store.Options()
        options.busyTimeout = .milliseconds(200)
        let second = try Store.open(at: store.path, options: options)
        // Hold the write lock from a raw connection, as another process would.
        let other = try DatabaseQueue(path: store.path)
        try other.writeWithoutTransaction { db in
            try db.execute(sql: "BEGIN IMMEDIATE")
            let error = storeError { try second.add(kind: kind("incident"), fields: [:], as: "a") }
            #expect(error?.code == .locked)
            #expect(error?.message.contains("another process") == true)
            try db.execute(sql: "ROLLBACK")
        }
        try second.add(kind: kind("incident"), fields: [:], as: "a")
    }

    @Test func fullDisk_failsCleanlyAndKeepsWhatWasThere() throws {
        let id = try store.add(kind: kind("incident"), fields: [name("t"): text("kept")], as: "a")
        let before = try snapshot(store)
        try store.pool.writeWithoutTransaction { db in
            let pages = try Int.fetchOne(db, sql: "PRAGMA page_count")!
            try db.execute(sql: "PRAGMA max_page_count = \(pages)")
        }
        do {
            try store.write(as: "a") { tx in
                for _ in 0..<500 { try tx.add(kind: kind("incident"), fields: [name("t"): text(String(repeating: "z", count: 4000))]) }
            }
            Issue.record("a write past the disk's end succeeded")
        } catch {
            #expect(error.code == .diskFull)
        }
        #expect(try snapshot(store) == before)
        #expect(try store.record(id)?.values[name("t")] == text("kept"))
        #expect(try store.integrityCheck().isEmpty)
    }

    /// Crash safety: a fault between writing the record and writing its change.
    @Test func writeInterruptedInsideItsTransaction_leavesNeitherHalf() throws {
        try store.pool.writeWithoutTransaction { db in
            try db.execute(sql: "CREATE TEMP TRIGGER fail_change BEFORE INSERT ON change BEGIN SELECT RAISE(ABORT, 'injected fault'); END")
        }
        #expect(throws: StoreError.self) { try store.add(kind: kind("incident"), fields: [name("t"): text("lost")], as: "a") }
        // The store file's own tables hold nothing of it (the indexes live in the index file
        // since schema 4; a reader sees them only as the attached `ix`).
        let counts = try store.pool.read { db in
            try ["record", "change", "knowledge", "kind_count"].map { table in
                try Int.fetchOne(db, sql: "SELECT count(*) FROM main.\(table)") ?? -1
            }
        }
        #expect(counts == [0, 0, 0, 0])
        let indexTablesInStore = try store.pool.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM main.sqlite_master WHERE name IN ('field_index', 'record_text', 'indexed')")
        }
        #expect(indexTablesInStore == 0)
        // Nor does the index file, once caught up with the log.
        try store.updateIndex()
        let indexCounts = try #require(store.index).queue.read { db in
            try ["field_index", "record_text", "indexed"].map { table in try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? -1 }
                + [try Int.fetchOne(db, sql: "SELECT indexed_ord FROM meta WHERE id = 1") ?? -1]
        }
        #expect(indexCounts == [0, 0, 0, 0])
        try store.pool.writeWithoutTransaction { db in try db.execute(sql: "DROP TRIGGER fail_change") }
        let id = try store.add(kind: kind("incident"), fields: [name("t"): text("kept")], as: "a")
        #expect(id.dot.seq == 1)
    }

    /// Schema 8: a store whose knowledge is per origin (schema 7) opens with knowledge per chain:
    /// each origin's row becomes its chain in scope general, holding as many changes as its seq,
    /// and what remotes were last known to hold is read in the new form.
    @Test func knowledgePerOrigin_becomesKnowledgePerChainInGeneral() throws {
        func node(_ s: String) -> NodeID { try! NodeID(s) }
        let path = folder.file("old.daftar")
        let old = try Store.create(at: path, node: node("fia-lahore"))
        let other = try Store.create(at: folder.file("other.daftar"), node: node("fia-karachi"))
        for i in 0..<5 { try old.add(kind: kind("incident"), fields: [name("n"): FieldValue.integer(Int64(i))], as: "a") }
        for i in 0..<3 { try other.add(kind: kind("case"), fields: [name("n"): FieldValue.integer(Int64(i))], as: "b") }
        #expect(try old.merge(from: other).applied == 3)
        let knowledge = try old.knowledge()
        try old.saveRemote(Remote(name: "central", url: "http://127.0.0.1:9", token: "t"))
        try old.noteRemoteSynced("central", knowledge: knowledge, sent: nil)
        // Back to schema 7's layout, as a store of the previous release holds it.
        let migration = try #require(Store.schemaVersions.first { $0.hasPrefix("0008") })
        try old.pool.writeWithoutTransaction { db in
            try db.execute(sql: "DROP TABLE knowledge")
            try db.execute(sql: "CREATE TABLE knowledge (origin TEXT PRIMARY KEY, seq INTEGER NOT NULL, hash BLOB NOT NULL) WITHOUT ROWID")
            var perOrigin: [String: [String: String]] = [:]
            for (chain, entry) in knowledge.entries {
                try db.execute(sql: "INSERT INTO knowledge (origin, seq, hash) VALUES (?, ?, ?)", arguments: [chain.origin.rawValue, Int64(entry.seq), Data(entry.hash.bytes)])
                perOrigin[chain.origin.rawValue] = ["seq": "\(entry.seq)", "hash": entry.hash.hex]
            }
            let blob = "{" + perOrigin.map { #""\#($0.key)":{"seq":\#($0.value["seq"]!),"hash":"\#($0.value["hash"]!)"}"# }.joined(separator: ",") + "}"
            try db.execute(sql: "UPDATE remote SET last_knowledge = ?", arguments: [Data(blob.utf8)])
            try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = ?", arguments: [migration])
        }
        let reopened = try Store.open(at: path)
        #expect(try reopened.knowledge() == knowledge)
        #expect(knowledge.entries.keys.sorted() == [Chain(node("fia-karachi"), .general), Chain(node("fia-lahore"), .general)])
        #expect(try reopened.changeCounts() == (held: 8, own: 5))
        #expect(try reopened.remotes().first?.lastKnowledge == knowledge)
        #expect(try reopened.unsentCount() == 0)
        // The chains go on: the next own change follows seq 5 in general.
        let next = try reopened.add(kind: kind("incident"), fields: [:], as: "a")
        let change = try #require(try reopened.change(at: next.dot))
        #expect(change.prev == ChainLink(seq: 5, hash: knowledge.entries[Chain(node("fia-lahore"), .general)]!.hash))
        #expect(try reopened.changeCounts() == (held: 9, own: 6))
        #expect(try reopened.unsentCount() == 1)
    }
}
