import DaftarModel
import Foundation
internal import GRDB
import Synchronization
import Testing

@testable import DaftarStore

/// A flag one thread sets and another reads.
final class Flag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}

/// What the store's hardening keeps: finds and searches checked against the state they return,
/// SHA-256 text hashes in the index file, a log generation that a fork recovery bumps, a restored
/// store's clock, and stamps from clocks that ran ahead (or past 2200).
@Suite(.timeLimit(.minutes(3))) struct HardeningStoreTests {
    let folder: TemporaryFolder
    init() throws { folder = try TemporaryFolder() }

    /// The text of an entry's `name` field, or "" when it has none.
    func nameText(_ state: RecordState) -> String {
        if case .text(let s)? = state.values[name("name")] { return s }
        return ""
    }

    /// Promise 1 rests on `synchronous=FULL` for every connection of the store (the writer and
    /// the readers), created or reopened; the index file, derived data, uses NORMAL.
    @Test func everyConnectionOfTheStore_isSynchronousFull_theIndexNormal() throws {
        let created = try Store.make("fia-lahore", in: folder)
        try created.add(kind: kind("incident"), fields: [name("title"): text("x")], as: "a")
        let reopened = try Store.open(at: created.path)
        for store in [created, reopened] {
            let writer = try store.pool.write { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
            // Several readers at once, so that more than one reader connection is opened and read.
            // Threads of their own (not the dispatch pool's workers, which the rest of the
            // suite shares), joined before the values are read.
            let readers = Mutex<[Int?]>([])
            let done = DispatchGroup()
            for _ in 0..<4 {
                done.enter()
                Thread {
                    let value = try? store.pool.read { db -> Int? in
                        Thread.sleep(forTimeInterval: 0.05)
                        return try Int.fetchOne(db, sql: "PRAGMA synchronous")
                    }
                    readers.withLock { $0.append(value ?? nil) }
                    done.leave()
                }.start()
            }
            done.wait()
            let index = try #require(store.index).queue.read { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
            #expect(writer == 2)
            #expect(readers.withLock { $0 } == [2, 2, 2, 2])
            #expect(index == 1)
        }
    }

    /// Finds and searches run while another handle flips an entry between two states return it only in a state that meets their condition.
    @Test func findsAndSearchesUnderConcurrentWrites_returnOnlyEntriesThatMatchAsReturned() async throws {
        let store = try Store.make("fia-lahore", in: folder)
        let person = kind("person")
        let id = try store.add(kind: person, fields: [name("name"): text("alpha kamal"), name("n"): .integer(1)], as: "a")
        try store.write(as: "a") { tx in
            for i in 0..<20 { try tx.add(kind: person, fields: [name("name"): text("gamma \(i)"), name("n"): .integer(3)]) }
        }
        // The writer is a second handle on the file, with connections of its own, as another
        // process would be.
        let writer = try Store.open(at: store.path)
        let flips = 2000
        let readerStarted = Flag()
        let writerDone = Flag()
        let writing = Task {
            try await offThePool {
                defer { writerDone.set() }
                // Start once the reader runs, so that every flip happens while it reads.
                for _ in 0..<1000 where !readerStarted.isSet { Thread.sleep(forTimeInterval: 0.01) }
                for i in 0..<flips {
                    let alpha = i % 2 == 1
                    try writer.write(as: "w") { tx in
                        try tx.set(id, [name("name"): text(alpha ? "alpha kamal" : "beta jamal"), name("n"): .integer(alpha ? 1 : 2)])
                    }
                }
            }
        }
        let contains = Query(kind: person, where: .compare(name("name"), .contains, text("alpha")))
        let equals = Query(kind: person, where: .compare(name("n"), .equal, .integer(1)))
        let (problems, rounds) = try await offThePool { () throws -> ([String], Int) in
            var problems: [String] = []
            var rounds = 0
            // A fixed bound: the loop ends with the writer, or after this many rounds.
            while rounds < 20_000 {
                let last = writerDone.isSet
                rounds += 1
                for state in try store.find(contains) where !nameText(state).contains("alpha") {
                    problems.append("find name contains alpha returned \(state.id) with name '\(nameText(state))'")
                }
                for state in try store.find(equals) where state.values[name("n")] != .integer(1) {
                    problems.append("find n = 1 returned \(state.id) with n = \(String(describing: state.values[name("n")]))")
                }
                for state in try store.search("alpha") where !nameText(state).contains("alpha") {
                    problems.append("search alpha returned \(state.id) with name '\(nameText(state))'")
                }
                readerStarted.set()
                if last { break }
            }
            return (problems, rounds)
        }
        try await writing.value
        #expect(problems.isEmpty, "\(problems.count) wrong results in \(rounds) rounds, first: \(problems.prefix(3))")
        // After the last flip (to alpha), both see it.
        #expect(try store.find(contains).map(\.id) == [id])
        #expect(try store.search("alpha").map(\.id) == [id])
        #expect(try store.search("beta").isEmpty)
    }

    /// The index file keeps, per entry, the SHA-256 of its searchable text (32 bytes), and NULL for an entry with no text.
    @Test func indexTextHash_isSHA256OfTheEntrysText_nullWithoutText() throws {
        let store = try Store.make("fia-lahore", in: folder)
        let withText = try store.add(kind: kind("person"), fields: [name("name"): text("Bilal Qureshi"), name("city"): text("Lahore"), name("n"): .integer(7)], as: "a")
        let withoutText = try store.add(kind: kind("vehicle"), fields: [name("seized"): .boolean(true)], as: "a")
        try store.updateIndex()
        let num: (RecordID) throws -> Int64 = { id in
            try #require(try store.pool.read { db in try Int64.fetchOne(db, sql: "SELECT num FROM record WHERE id = ?", arguments: [id.description]) })
        }
        var config = Configuration()
        config.readonly = true
        let index = try DatabaseQueue(path: SearchIndex.path(for: store.path), configuration: config)
        let hashOf: (Int64) throws -> DatabaseValue? = { record in
            try index.read { db in try DatabaseValue.fetchOne(db, sql: "SELECT text_hash FROM indexed WHERE record = ?", arguments: [record]) }
        }
        let state = try #require(try store.record(withText))
        let expected = SHA256.hash(Array(try #require(SearchIndex.searchText(state)).utf8))
        let held = try #require(try hashOf(try num(withText)))
        guard case .blob(let bytes) = held.storage else {
            Issue.record("text_hash is not a blob: \(held)")
            return
        }
        #expect(bytes.count == 32)
        #expect([UInt8](bytes) == expected)
        let none = try #require(try hashOf(try num(withoutText)), "the entry without text has no row in `indexed`")
        #expect(none.isNull)
    }

    /// A fork recovery bumps the log generation in its own transaction, so that another handle's index, even one that could not be written during the recovery, starts again and shows nothing of the discarded branch.
    @Test func forkRecovery_bumpsTheLogGeneration_andAnotherHandlesIndexStartsAgain() throws {
        let clock = TestClock()
        var options = Store.Options()
        options.wallClock = clock.reading
        // An office, and a copy of its file made by hand; both go on as fia-lahore.
        let office = try Store.make("fia-lahore", in: folder, clock: clock)
        try office.add(kind: kind("case"), fields: [name("title"): text("Smuggling ring")], as: "Rashid")
        try office.add(kind: kind("person"), fields: [name("name"): text("Asif")], as: "Rashid")
        let copyPath = folder.file("copy.daftar")
        try office.pool.writeWithoutTransaction { db in try db.execute(sql: "VACUUM INTO ?", arguments: [copyPath]) }
        // The whole laptop copied: its key file too, so that the copy signs as the same node.
        try FileManager.default.copyItem(atPath: office.keyPath, toPath: copyPath + ".key")
        let copy = try Store.open(at: copyPath, options: options)
        clock.advance(10)
        try office.add(kind: kind("vehicle"), fields: [name("plate"): text("LEA-1")], as: "Rashid")
        clock.advance(10)
        let copyVehicle = try copy.add(kind: kind("vehicle"), fields: [name("plate"): text("LEB-2"), name("note"): text("white corolla")], as: "Ayesha")
        let copySeizure = try copy.add(kind: kind("seizure"), fields: [name("item"): text("phones")], as: "Ayesha")
        let from = try #require(try copy.firstDifference(of: office.node, comparedWith: try office.chainHashes(of: office.node, in: 1...100)))
        #expect(from == 3)

        // Another handle on the copy (another process), and an index caught up with the branch.
        let other = try Store.open(at: copyPath, options: options)
        let plate = Query(where: .compare(name("plate"), .equal, text("LEB-2")))
        let seizures = Query(kind: kind("seizure"), where: .compare(name("item"), .contains, text("phone")))
        #expect(try other.search("phones").map(\.id) == [copySeizure])
        #expect(try other.find(plate).map(\.id) == [copyVehicle])
        try copy.updateIndex()
        let generation = try #require(try copy.pool.read { db in try Int64.fetchOne(db, sql: "SELECT log_generation FROM store WHERE id = 1") })

        // While the branch is discarded the index file cannot be written (as when the process
        // doing the recovery dies right after its commit): the recovery must not depend on it.
        var config = Configuration()
        config.busyMode = .timeout(30)
        let indexFile = try DatabaseQueue(path: SearchIndex.path(for: copyPath), configuration: config)
        try indexFile.write { db in
            try db.execute(sql: "CREATE TRIGGER unwritable BEFORE DELETE ON indexed BEGIN SELECT RAISE(ABORT, 'the index cannot be written now'); END")
        }
        let report = try copy.discardBranch(of: office.node, from: from)
        #expect(report.tookNewIdentity && report.reissued == 2)
        #expect(try copy.pool.read { db in try Int64.fetchOne(db, sql: "SELECT log_generation FROM store WHERE id = 1") } == generation + 1)
        try indexFile.write { db in try db.execute(sql: "DROP TRIGGER unwritable") }

        // Through the other handle: nothing under the discarded ids, the renamed entries found.
        let renamedVehicle = try #require(report.renamed[copyVehicle])
        let renamedSeizure = try #require(report.renamed[copySeizure])
        #expect(try other.search("phones").map(\.id) == [renamedSeizure])
        #expect(try other.search("corolla").map(\.id) == [renamedVehicle])
        #expect(try other.find(plate).map(\.id) == [renamedVehicle])
        #expect(try other.find(seizures).map(\.id) == [renamedSeizure])
        let discarded: Set<RecordID> = [copyVehicle, copySeizure]
        for state in try other.find(Query(where: .compare(name("plate"), .notEqual, .null))) { #expect(!discarded.contains(state.id)) }
        #expect(try other.find(Query(kind: kind("vehicle"), where: .compare(name("plate"), .notEqual, .null))).count == 1)
        #expect(try other.find(Query(kind: kind("seizure"), where: .compare(name("item"), .notEqual, .null))).count == 1)
        #expect(try indexFile.read { db in try Int64.fetchOne(db, sql: "SELECT log_generation FROM meta WHERE id = 1") } == generation + 1)

        // The same as an index made afresh from the whole log.
        let freshPath = folder.file("fresh.daftar")
        try copy.pool.writeWithoutTransaction { db in try db.execute(sql: "VACUUM INTO ?", arguments: [freshPath]) }
        #expect(!FileManager.default.fileExists(atPath: SearchIndex.path(for: freshPath)))
        let fresh = try Store.open(at: freshPath, options: options)
        for query in [plate, seizures, Query(where: .compare(name("plate"), .notEqual, .null)), Query(where: .compare(name("title"), .contains, text("ring")))] {
            #expect(try other.find(query).map(\.id) == fresh.find(query).map(\.id), "\(query)")
        }
        for word in ["phones", "corolla", "smuggling", "asif", "LEB"] {
            #expect(try other.search(word).map(\.id) == fresh.search(word).map(\.id), "\(word)")
        }
        #expect(try other.fieldNames() == fresh.fieldNames())
    }

    /// A store restored under a new id stamps its next change after the old identity's last one, even when that stamp was ahead of the wall clock.
    @Test func restoredStore_stampsAfterTheOldIdentitysLastChange_evenWhenItsClockRanAhead() throws {
        let clock = TestClock()
        let ahead = TestClock(clock.reading() + 5 * 60 * 1000)  // five minutes ahead: within the drift
        let old = try Store.make("fia-lahore", in: folder, clock: ahead)
        for i in 1...3 { try old.add(kind: kind("case"), fields: [name("t"): text("case \(i)")], as: "Rashid") }
        let lastOld = try #require(try old.change(at: Dot(origin: old.node, seq: 3))).hlc
        #expect(lastOld.milliseconds > clock.reading())
        let backup = folder.file("backup.daftar")
        try old.backup(to: backup)
        var options = Store.Options()
        options.wallClock = clock.reading
        let restored = try Store.restore(backup: backup, to: folder.file("restored.daftar"), as: try NodeID("fia-lahore-2"), options: options)
        let next = try restored.add(kind: kind("case"), fields: [name("t"): text("after the restore")], as: "Ayesha")
        let stamp = try #require(try restored.change(at: next.dot)).hlc
        #expect(stamp > lastOld, "the restored store stamped \(stamp), the old identity's last change \(lastOld)")
    }

    /// A value that wins a conflict only because its office's clock ran two hours ahead is applied, recorded and named with its entry, field and change.
    @Test func skewedClock_winIsAppliedRecordedAndNamed() throws {
        let clock = TestClock()
        let fast = TestClock(clock.reading() + 2 * 3_600_000)
        let lahore = try Store.make("fia-lahore", in: folder, clock: clock)
        let gwadar = try Store.make("coastal-gwadar", in: folder, clock: fast)
        let central = try Store.make("central", in: folder, clock: clock)
        let id = try lahore.add(kind: kind("incident"), fields: [name("title"): text("Raid"), name("status"): text("open")], as: "Rashid")
        try push(from: lahore, to: gwadar)
        // Both offices edit the same field, neither having seen the other's edit.
        try lahore.write(as: "Rashid") { try $0.set(id, [name("status"): text("closed")]) }
        try gwadar.write(as: "Naveed") { try $0.set(id, [name("status"): text("referred")]) }
        try push(from: lahore, to: central)
        #expect(try central.skewWins().isEmpty)
        let reports = try push(from: gwadar, to: central)
        let skewedDot = Dot(origin: gwadar.node, seq: 1)
        #expect(reports.map(\.applied) == [1])
        #expect(reports.first?.skewWins == [gwadar.node: 1])
        // Applied: the skewed value is shown, the other kept beside it.
        let record = try #require(try central.record(id))
        #expect(record.values[name("status")] == text("referred"))
        #expect(Set(record.fields[name("status")]?.entries.map(\.value) ?? []) == [text("closed"), text("referred")])
        // Recorded, and named.
        let wins = try central.skewWins()
        #expect(wins.count == 1)
        #expect(wins.first?.record == id && wins.first?.field == "status" && wins.first?.dot == skewedDot)
        #expect((wins.first?.skewMilliseconds ?? 0) > 100 * 60 * 1000)
        #expect(try central.skewedChanges(of: id) == [skewedDot: try #require(wins.first).skewMilliseconds])
        // Once resolved, the value no longer wins by its clock alone.
        try central.write(as: "Analyst") { try $0.resolve(id, [name("status"): text("closed")]) }
        #expect(try central.skewWins().isEmpty)
    }

    /// A local write while the wall clock reads past the year 2200 is refused with a message saying to set the clock, and nothing is recorded.
    @Test func localWriteWithAClockPast2200_isRefused_andNothingRecorded() throws {
        let store = try Store.create(at: folder.file("future.daftar"), node: try NodeID("fia-lahore"), options: Store.Options(wallClock: { 7_258_118_400_001 }))
        let error = storeError { try store.add(kind: kind("incident"), fields: [name("title"): text("x")], as: "Rashid") }
        #expect(error?.code == .badRequest)
        #expect(error?.message.contains("set the clock") == true, "\(error?.message ?? "no error")")
        #expect(error?.message.contains("nothing was recorded") == true)
        #expect(try store.knowledge()[Chain(store.node, .general)] == 0)
        #expect(try store.allRecords().isEmpty)
        #expect(try store.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM change") } == 0)
    }
}
