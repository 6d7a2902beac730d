import DaftarModel
import Foundation
internal import GRDB
import Testing

@testable import DaftarStore

/// DESIGN promise 14: a change is void when, by the registry, its origin had no write grant on
/// its scope at its seq. It is held, counted in knowledge and passed on, but the register is
/// computed as if it were absent; a registry statement that arrives late makes the store compute
/// the affected entries again, index file included. And promise 15's first step: a withdrawn
/// scope is hidden at once.
@Suite struct VoidChangeTests {
    static let punjab = try! Scope("punjab")
    static let sindh = try! Scope("sindh")

    /// Sends what `to` lacks of the scopes both may hold (the registry from the root alone), as
    /// a server and a client would.
    static func deliver(from: Store, to: Store, root: NodeID) throws {
        let fromRoot = from.node == root
        // The central node binds a node's key at its exchanges with it.
        if to.node == root { try to.bindKeyOf(from) }
        for _ in 0..<100 {
            // What each holds, again each round: a grant in the last batch may have changed it.
            let receiverHolds = try to.heldScopes()
            let senderHolds = try from.heldScopes()
            let scopes: (Scope) -> Bool = { scope in
                if scope == .registry { return fromRoot }
                return (receiverHolds?.contains(scope) ?? true) && (senderHolds?.contains(scope) ?? true)
            }
            let outgoing = try from.changes(missingFrom: try to.knowledge().restricted(where: scopes), scopes: scopes)
            if outgoing.changes.isEmpty { return }
            let report = try to.apply(outgoing.changes, senderKnowledge: try from.knowledge().restricted(where: scopes), takesScope: scopes, fromRoot: fromRoot)
            #expect(report.forks.isEmpty)
            if report.applied == 0 { return }
        }
    }

    static func cases(_ store: Store, where condition: Query.Condition? = nil) throws -> [RecordState] {
        try store.find(Query(kind: kind("case"), where: condition))
    }

    @Test func changesBeyondAClosedWriteGrant_areVoidEverywhere_keptAndShown() throws {
        let folder = try TemporaryFolder()
        let clock = TestClock()
        let central = try Store.make("central", in: folder, clock: clock)
        let kasur = try Store.make("fia-kasur", in: folder, clock: clock)
        try central.writeGrant(for: kasur.node, .register(read: [Self.punjab], write: [Self.punjab]), as: "Admin")
        try kasur.enroll(at: central)
        try Self.deliver(from: central, to: kasur, root: central.node)
        let raid = try kasur.write(as: "SI Aslam") { try $0.add(kind: kind("case"), fields: [name("title"): text("raid")], in: Self.punjab) }
        try Self.deliver(from: kasur, to: central, root: central.node)
        // Headquarters closes kasur's writing of punjab (it may still read it); kasur, offline,
        // does not know and goes on writing.
        try central.writeGrant(for: kasur.node, .withdraw(Self.punjab), as: "Admin")
        try central.writeGrant(for: kasur.node, .grant(read: [Self.punjab], write: []), as: "Admin")
        clock.advance(1000)
        let late = try kasur.write(as: "SI Aslam") { tx -> RecordID in
            try tx.set(raid, [name("title"): text("raid, altered after closure")])
            return try tx.add(kind: kind("case"), fields: [name("title"): text("written after closure")], in: Self.punjab)
        }
        // The central node takes them (kasur still reads punjab): held, passed on, and void.
        try Self.deliver(from: kasur, to: central, root: central.node)
        #expect(try central.change(at: late.dot) != nil)
        #expect(try central.record(raid)?.values[name("title")] == text("raid"))
        #expect(try Self.cases(central).map(\.id) == [raid])
        #expect(try central.count(Query(kind: kind("case"))) == 1)
        #expect(try central.search("closure").isEmpty)
        #expect(try central.countByKind().first { $0.kind == kind("case") }?.count == 1)
        #expect(try central.voidDots(of: raid).count == 1)
        #expect(try central.voidDots(of: late) == [late.dot])
        let chains = try central.voidChains()
        #expect(chains.map(\.chain) == [Chain(kasur.node, Self.punjab)])
        #expect(chains.first?.count == 2)
        // The entry whose creation is void is named as such, and its history is still shown.
        let error = storeError { _ = try central.resolveID(late.description) }
        #expect(error?.message.contains("void") == true, "\(String(describing: error))")
        #expect(try central.resolveID(late.description, forHistory: true) == late)
        #expect(try central.history(of: late).count == 1)
        // kasur learns of the closure: it computes alike and refuses to write punjab.
        try Self.deliver(from: central, to: kasur, root: central.node)
        #expect(try kasur.record(raid)?.values[name("title")] == text("raid"))
        #expect(try Self.cases(kasur).map(\.id) == [raid])
        #expect(try kasur.search("closure").isEmpty)
        #expect(try kasur.voidChains().map(\.count) == [2])
        #expect(try kasur.allRecords().filter { $0.kind == kind("case") } == central.allRecords().filter { $0.kind == kind("case") })
        let refused = storeError { try kasur.write(as: "SI Aslam") { _ = try $0.add(kind: kind("case"), fields: [:], in: Self.punjab) } }
        #expect(refused?.message.contains("may not write scope punjab") == true)
        // An edit of the entry whose creation is void is refused: an edit never creates.
        let edit = storeError { try central.write(as: "Admin") { try $0.set(late, [name("title"): text("x")]) } }
        #expect(edit?.message.contains("void") == true)
    }

    @Test func aGrantArrivingLate_unvoidsTheChanges_andTheIndexFollows() throws {
        let folder = try TemporaryFolder()
        let clock = TestClock()
        let central = try Store.make("central", in: folder, clock: clock)
        let lahore = try Store.make("fia-lahore", in: folder, clock: clock)
        let okara = try Store.make("fia-okara", in: folder, clock: clock)
        try central.writeGrant(for: okara.node, .register(read: [Self.punjab], write: [Self.punjab]), as: "Admin")
        try okara.enroll(at: central)
        try okara.setDefaultScope(Self.punjab)
        // lahore is registered to read punjab, not yet to write it, and its key is bound at its
        // first exchange; okara takes that registry.
        try central.writeGrant(for: lahore.node, .register(read: [Self.punjab], write: []), as: "Admin")
        try central.bindKeyOf(lahore)
        try Self.deliver(from: central, to: okara, root: central.node)
        // lahore, which has not taken its grant, writes in punjab all the same.
        try lahore.setDefaultScope(Self.punjab)
        let ids = try (0..<30).map { n in
            try lahore.write(as: "SI Bilal") { try $0.add(kind: kind("case"), fields: [name("title"): text("smuggling \(n)"), name("n"): .integer(Int64(n))]) }
        }
        // lahore meets okara directly: okara holds the changes, void for want of lahore's grant.
        try Self.deliver(from: lahore, to: okara, root: central.node)
        #expect(try okara.change(at: ids[0].dot) != nil)
        #expect(try Self.cases(okara).isEmpty)
        #expect(try okara.search("smuggling").isEmpty)
        #expect(try Self.cases(okara, where: .compare(name("n"), .equal, .integer(7))).isEmpty)
        #expect(try okara.voidChains().map(\.count) == [30])
        // The registry brings lahore's write grant (opened from its seq 1, since the central
        // node holds none of its changes): the entries are computed again and found, through the
        // index file too.
        try central.writeGrant(for: lahore.node, .grant(read: [], write: [Self.punjab]), as: "Admin")
        try Self.deliver(from: central, to: okara, root: central.node)
        #expect(try okara.voidChains().isEmpty)
        #expect(try Self.cases(okara).count == 30)
        #expect(try okara.search("smuggling").count == 30)
        #expect(try Self.cases(okara, where: .compare(name("n"), .equal, .integer(7))).map(\.id) == [ids[7]])
        #expect(try okara.countByKind().first { $0.kind == kind("case") }?.count == 30)
        // The same from a store opened afresh (the index file caught up from the queue).
        let reopened = try Store.open(at: okara.path)
        #expect(try reopened.search("smuggling 12").map(\.id) == [ids[12]])
    }

    @Test func aWithdrawnScope_isHiddenAtOnce_andShownAgainWhenGrantedAgain() throws {
        let folder = try TemporaryFolder()
        let clock = TestClock()
        let central = try Store.make("central", in: folder, clock: clock)
        let kasur = try Store.make("fia-kasur", in: folder, clock: clock)
        try central.writeGrant(for: kasur.node, .register(read: [Self.punjab, Self.sindh], write: [Self.sindh]), as: "Admin")
        try kasur.enroll(at: central)
        let informant = try central.write(as: "Admin") { try $0.add(kind: kind("person"), fields: [name("alias"): text("Kala")], in: Self.punjab) }
        try central.write(as: "Admin") { _ = try $0.add(kind: kind("person"), fields: [name("alias"): text("Bhola")], in: Self.sindh) }
        try Self.deliver(from: central, to: kasur, root: central.node)
        #expect(try kasur.search("kala").map(\.id) == [informant])
        try central.writeGrant(for: kasur.node, .withdraw(Self.punjab), as: "Admin")
        try Self.deliver(from: central, to: kasur, root: central.node)
        // Hidden from every query at once; still held until deleted, and named as withdrawn.
        #expect(try kasur.search("kala").isEmpty)
        #expect(try kasur.find(Query(kind: kind("person"))).map { $0.values[name("alias")] } == [text("Bhola")])
        #expect(try kasur.countByKind().first { $0.kind == kind("person") }?.count == 1)
        #expect(try kasur.entriesPerScope()[Self.punjab] == 1)
        let error = storeError { _ = try kasur.resolveID(informant.description) }
        #expect(error?.message.contains("withdrawn") == true)
        // Granted again: shown again.
        try central.writeGrant(for: kasur.node, .grant(read: [Self.punjab], write: []), as: "Admin")
        try Self.deliver(from: central, to: kasur, root: central.node)
        #expect(try kasur.search("kala").map(\.id) == [informant])
        #expect(try kasur.countByKind().first { $0.kind == kind("person") }?.count == 2)
    }

    /// The store's queue of entries computed again (which the index file reindexes from) is
    /// pruned once the index holds it, and the index still follows what is queued after.
    @Test func theRecomputedQueue_isPrunedOnceIndexed_andTheIndexFollowsWhatComesAfter() throws {
        let folder = try TemporaryFolder()
        let clock = TestClock()
        let central = try Store.make("central", in: folder, clock: clock)
        let kasur = try Store.make("fia-kasur", in: folder, clock: clock)
        func queued() throws -> Int { try central.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM recomputed") ?? -1 } }
        // The central node is the root; kasur, not yet registered, records in punjab (its --scope).
        try central.writeGrant(for: try NodeID("fia-okara"), .register(read: [Self.punjab], write: [Self.punjab]), as: "Admin")
        try kasur.setDefaultScope(Self.punjab)
        let count = Int(SearchIndex.pruneRecomputedAt) + 100
        try kasur.write(as: "SI Aslam") { tx in
            for i in 0..<count { try tx.add(kind: kind("case"), fields: [name("title"): text("raid \(i)")], in: Self.punjab) }
        }
        try Self.deliver(from: kasur, to: central, root: central.node)
        try central.updateIndex()
        #expect(try central.searchCount("raid") == 0, "void until kasur's grant says otherwise")
        // The grant arrives: every one of them is computed again and queued for the index file.
        try central.writeGrant(for: kasur.node, .register(read: [Self.punjab], write: [Self.punjab]), as: "Admin")
        #expect(try queued() == count)
        try central.updateIndex()
        #expect(try central.searchCount("raid") == count)
        #expect(try queued() == 1, "the rows the index holds are dropped, but for the last")
        // More comes after the pruning: the index file finds it too, and so does another handle.
        let quetta = try Store.make("fia-quetta", in: folder, clock: clock)
        try quetta.setDefaultScope(Self.sindh)
        try quetta.write(as: "SI Baloch") { tx in for i in 0..<10 { try tx.add(kind: kind("case"), fields: [name("title"): text("raid sindh \(i)")], in: Self.sindh) } }
        try Self.deliver(from: quetta, to: central, root: central.node)
        try central.updateIndex()
        #expect(try central.searchCount("sindh") == 0)
        try central.writeGrant(for: quetta.node, .register(read: [Self.sindh], write: [Self.sindh]), as: "Admin")
        #expect(try queued() == 11)
        try central.updateIndex()
        #expect(try central.searchCount("raid") == count + 10)
        let reopened = try Store.open(at: central.path)
        try reopened.updateIndex()
        #expect(try reopened.searchCount("sindh") == 10)
        // An older copy of the index file, which had not read the rows since dropped, is made
        // again from the log rather than trusted.
        let index = try #require(central.index)
        try index.queue.write { db in
            // (its texts lost too: only a rebuild from the log finds them again)
            try db.execute(sql: "UPDATE meta SET recomputed_pos = 0 WHERE id = 1; DELETE FROM record_text")
        }
        try central.updateIndex()
        #expect(try central.searchCount("raid") == count + 10)
        let position = try index.queue.read { db in try Int64.fetchOne(db, sql: "SELECT recomputed_pos FROM meta WHERE id = 1") } ?? 0
        #expect(position >= Int64(count))
    }
}
