import DaftarModel
import Foundation
import Testing

@testable import DaftarStore

/// The field and full-text indexes live in their own file and follow the change log on their
/// own connection: a find or search never misses what was committed before it, and a missing,
/// damaged or foreign index file is rebuilt from the store.
@Suite(.timeLimit(.minutes(5))) struct SearchIndexTests {
    let folder: TemporaryFolder
    init() throws { folder = try TemporaryFolder() }

    func city(_ value: String) -> Query { Query(where: .compare(name("city"), .equal, text(value))) }

    func fill(_ store: Store, _ n: Int) throws {
        try store.write(as: "a") { tx in
            for i in 0..<n {
                try tx.add(kind: kind("person"), fields: [name("name"): text("Person \(i) Qureshi"), name("city"): text(i % 2 == 0 ? "Lahore" : "Quetta"), name("n"): .integer(Int64(i))])
            }
        }
    }

    @Test func findsRightAfterWrites_seeEveryCommittedEntry_fromAnyHandle() throws {
        let store = try Store.make("fia-lahore", in: folder)
        // A second handle on the same file, as another process would hold it.
        let other = try Store.open(at: store.path)
        for round in 1...5 {
            try fill(store, 400)
            #expect(try other.count(city("Lahore")) == 200 * round)
            #expect(try other.search("qureshi", limit: 10_000).count == 400 * round)
            #expect(try store.count(Query(where: .compare(name("n"), .greaterOrEqual, .integer(390)))) == 10 * round)
        }
    }

    @Test func editsMoveEntriesBetweenValues_andOutOfTheTextIndex() throws {
        let store = try Store.make("fia-lahore", in: folder)
        let id = try store.add(kind: kind("person"), fields: [name("city"): text("Lahore"), name("name"): text("Bilal Qureshi")], as: "a")
        #expect(try store.find(city("Lahore")).map(\.id) == [id])
        try store.write(as: "a") { tx in try tx.set(id, [name("city"): text("Karachi"), name("name"): text("Bilal Siddiqui")]) }
        #expect(try store.find(city("Lahore")).isEmpty)
        #expect(try store.find(city("Karachi")).map(\.id) == [id])
        #expect(try store.search("qureshi").isEmpty)
        #expect(try store.search("siddiqui").map(\.id) == [id])
        try store.write(as: "a") { tx in try tx.unset(id, [name("city"), name("name")]) }
        #expect(try store.count(city("Karachi")) == 0)
        #expect(try store.search("siddiqui").isEmpty)
        #expect(try store.fieldNames().isEmpty)
    }

    /// Opens the store at `path`, again while the handle before it still finishes its
    /// background index upkeep (the open then meets a lock for a moment and says so).
    static func open(_ path: String) throws -> Store {
        var attempts = 0
        while true {
            do {
                return try Store.open(at: path)
            } catch {
                guard error.code == .locked, attempts < 100 else { throw error }
                attempts += 1
                Thread.sleep(forTimeInterval: 0.01)
            }
        }
    }

    @Test func missingDamagedOrForeignIndex_isRebuiltFromTheStore() throws {
        let path = folder.file("office.daftar")
        let indexPath = SearchIndex.path(for: path)
        do {
            let store = try Store.create(at: path, node: try NodeID("fia-quetta"))
            try fill(store, 300)
            #expect(try store.count(city("Quetta")) == 150)
        }
        // Deleted.
        SearchIndex.remove(at: indexPath)
        #expect(try Self.open(path).count(city("Quetta")) == 150)
        // Overwritten with bytes that are not SQLite.
        SearchIndex.remove(at: indexPath)
        try Data(repeating: 0x5A, count: 8192).write(to: URL(fileURLWithPath: indexPath))
        #expect(try Self.open(path).search("qureshi", limit: 1000).count == 300)
        // Taken from another store with other entries: nothing of it may show.
        let otherPath = folder.file("other.daftar")
        do {
            let other = try Store.create(at: otherPath, node: try NodeID("fia-gwadar"))
            try other.write(as: "b") { tx in
                for _ in 0..<500 { try tx.add(kind: kind("vehicle"), fields: [name("city"): text("Quetta"), name("plate"): text("GWD-1")]) }
            }
            #expect(try other.count(city("Quetta")) == 500)
        }
        SearchIndex.remove(at: indexPath)
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: SearchIndex.path(for: otherPath) + suffix) {
            try FileManager.default.copyItem(atPath: SearchIndex.path(for: otherPath) + suffix, toPath: indexPath + suffix)
        }
        let reopened = try Self.open(path)
        #expect(try reopened.count(city("Quetta")) == 150)
        #expect(try reopened.find(Query(where: .compare(name("plate"), .equal, text("GWD-1")))).isEmpty)
        #expect(try reopened.integrityCheck() == [])
    }

    @Test func indexBehindTheLog_aCrashBeforeItCaughtUp_catchesUpOnTheNextFind() throws {
        let store = try Store.make("fia-lahore", in: folder)
        try fill(store, 100)
        #expect(try store.count(city("Lahore")) == 50)
        // As if the process died after the store's commits but before the index's: the index
        // is put back to an earlier point of the log.
        let hash = try store.pool.read { db in try Data.fetchOne(db, sql: "SELECT substr(body, -32) FROM change WHERE ord = 40") }
        try store.index!.queue.write { db in
            try db.execute(sql: "UPDATE meta SET indexed_ord = 40, indexed_hash = ?", arguments: [hash])
        }
        try fill(store, 100)
        let reopened = try Store.open(at: store.path)
        #expect(try reopened.count(city("Lahore")) == 100)
        #expect(try reopened.search("qureshi", limit: 1000).count == 200)
    }
}
