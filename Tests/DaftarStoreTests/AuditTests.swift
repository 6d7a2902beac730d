import DaftarModel
import Foundation
internal import GRDB
import Testing

@testable import DaftarStore

/// `daftar audit` checks every change, chain link, knowledge entry and registry statement again
/// from one snapshot: a store as Daftar leaves it verifies; each kind of alteration is found and
/// named.
@Suite struct AuditTests {
    let folder: TemporaryFolder
    init() throws { folder = try TemporaryFolder() }

    static let punjab = try! Scope("punjab")

    /// A central node holding its own entries, an office's, a grant and two void changes.
    func history() throws -> (central: Store, kasur: Store) {
        let clock = TestClock()
        let central = try Store.make("central", in: folder, clock: clock)
        let kasur = try Store.make("fia-kasur", in: folder, clock: clock)
        try central.writeGrant(for: kasur.node, .register(read: [Self.punjab], write: [Self.punjab]), as: "Admin")
        try kasur.enroll(at: central)
        try VoidChangeTests.deliver(from: central, to: kasur, root: central.node)
        for i in 0..<3 {
            try kasur.write(as: "SI Aslam") { try $0.add(kind: kind("case"), fields: [name("title"): text("raid \(i)")], in: Self.punjab) }
        }
        try central.add(kind: kind("circular"), fields: [name("title"): text("national")], as: "HQ")
        try VoidChangeTests.deliver(from: kasur, to: central, root: central.node)
        // Kasur's writing of punjab is closed; offline, it writes twice more: void at the centre.
        try central.writeGrant(for: kasur.node, .withdraw(Self.punjab), as: "Admin")
        try central.writeGrant(for: kasur.node, .grant(read: [Self.punjab], write: []), as: "Admin")
        for i in 0..<2 {
            try kasur.write(as: "SI Aslam") { try $0.add(kind: kind("case"), fields: [name("title"): text("late \(i)")], in: Self.punjab) }
        }
        try VoidChangeTests.deliver(from: kasur, to: central, root: central.node)
        return (central, kasur)
    }

    @Test func aStoreAsDaftarLeavesIt_verifies_chainByChain() throws {
        let (central, kasur) = try history()
        let report = try central.audit()
        #expect(report.verified, "\(report.problems)")
        #expect(report.root == "central" && report.grants == 1)
        #expect(report.keyFingerprint == (try central.publicKey())?.fingerprint)
        let kasurChain = try #require(report.chains.first { $0.origin == "fia-kasur" && $0.scope == "punjab" })
        #expect(kasurChain.changes == 5 && kasurChain.void == 2 && kasurChain.first == 1 && kasurChain.last == 5)
        #expect(kasurChain.headHash == (try central.knowledge()).entries[Chain(kasur.node, Self.punjab)]?.hash.hex)
        #expect(report.changes == report.chains.reduce(0) { $0 + $1.changes })
        #expect(report.entries == 9, "five cases, a circular, the grant statement and two key statements: \(report.entries)")
        let void = try #require(report.voidChanges.first)
        #expect(void.origin == "fia-kasur" && void.changes == 2 && !void.reason.isEmpty)
        #expect(try kasur.audit().verified)
    }

    @Test func everyKindOfAlteration_isFoundAndNamed() throws {
        let (central, kasur) = try history()
        func alter(_ sql: String, _ arguments: StatementArguments = []) throws {
            try central.pool.writeWithoutTransaction { db in try db.execute(sql: sql, arguments: arguments) }
        }
        // A value altered inside a change's bytes.
        let body = try #require(try central.pool.read { db in try Data.fetchOne(db, sql: "SELECT body FROM change WHERE origin = 'fia-kasur' AND seq = 2") })
        var bytes = [UInt8](body)
        let needle = Array("raid 1".utf8)
        let at = try #require((0...(bytes.count - needle.count)).first { bytes[$0..<$0 + needle.count].elementsEqual(needle) })
        bytes[at + 1] = UInt8(ascii: "u")
        try alter("UPDATE change SET body = ? WHERE origin = 'fia-kasur' AND seq = 2", [Data(bytes)])
        var problems = try central.audit().problems
        #expect(problems.contains { $0.contains("change fia-kasur:2 does not verify") }, "\(problems)")
        try alter("UPDATE change SET body = ? WHERE origin = 'fia-kasur' AND seq = 2", [body])
        #expect(try central.audit().verified)
        // An entry's stored values replaced by another's (what finds show), and a deleted mark.
        let saved = try #require(try central.pool.read { db in try Data.fetchOne(db, sql: "SELECT state FROM record WHERE id = 'fia-kasur-2'") })
        try alter("UPDATE record SET state = (SELECT state FROM record WHERE id = 'fia-kasur-1') WHERE id = 'fia-kasur-2'")
        problems = try central.audit().problems
        #expect(problems.contains { $0.contains("entry fia-kasur-2's stored values are not what its changes make") }, "\(problems)")
        try alter("UPDATE record SET state = ? WHERE id = 'fia-kasur-2'", [saved])
        try alter("UPDATE record SET deleted = 1 WHERE id = 'fia-kasur-3'")
        problems = try central.audit().problems
        #expect(problems.contains { $0.contains("entry fia-kasur-3 is marked deleted but its changes make it not deleted") }, "\(problems)")
        try alter("UPDATE record SET deleted = 0 WHERE id = 'fia-kasur-3'")
        #expect(try central.audit().verified)
        // A void mark taken off.
        try alter("UPDATE change SET void = 0 WHERE origin = 'fia-kasur' AND seq = 4")
        problems = try central.audit().problems
        #expect(problems.contains { $0.contains("change fia-kasur:4 is marked valid but the registry held here makes it void") }, "\(problems)")
        try alter("UPDATE change SET void = 1 WHERE origin = 'fia-kasur' AND seq = 4")
        // Knowledge that claims more than is held.
        try alter("UPDATE knowledge SET held = held + 1 WHERE origin = 'fia-kasur' AND scope = 'punjab'")
        problems = try central.audit().problems
        #expect(problems.contains { $0.contains("knowledge says fia-kasur in punjab is held to 5 (6 changes)") }, "\(problems)")
        try alter("UPDATE knowledge SET held = held - 1 WHERE origin = 'fia-kasur' AND scope = 'punjab'")
        #expect(try central.audit().verified)
        // A change taken out of the middle of a chain.
        try alter("DELETE FROM change WHERE origin = 'fia-kasur' AND seq = 3")
        problems = try central.audit().problems
        #expect(problems.contains { $0.contains("change fia-kasur:4 links to 3") && $0.contains("the change before it in fia-kasur in punjab is 2") }, "\(problems)")
        // The office's own store is untouched.
        #expect(try kasur.audit().verified)
    }

    /// A store that came through schema 10 with a registry kept every change valid: audit says
    /// which marks the registry does not give, and the first open for writing judges them all.
    @Test func aStoreUpgradedWithARegistry_isJudgedAtItsFirstOpenForWriting() throws {
        let (central, _) = try history()
        let cases = try central.count(Query(kind: kind("case")))
        try central.pool.writeWithoutTransaction { db in
            try db.execute(sql: "UPDATE change SET void = 0; UPDATE store SET void_judged = 0")
        }
        let problems = try central.audit().problems
        #expect(problems.filter { $0.contains("is marked valid but the registry held here makes it void") }.count == 2, "\(problems)")
        let reopened = try Store.open(at: central.path)
        #expect(try reopened.audit().verified)
        #expect(try reopened.voidChains().first?.count == 2)
        #expect(try reopened.count(Query(kind: kind("case"))) == cases)
        #expect(try reopened.pool.read { db in try Int.fetchOne(db, sql: "SELECT void_judged FROM store") } == 1)
    }

    @Test func anAuditReadsOneSnapshot_whileAnotherHandleWrites() async throws {
        let store = try Store.make("fia-lahore", in: folder)
        try store.add(kind: kind("incident"), fields: [name("title"): text("first")], as: "Rashid")
        let writer = try Store.open(at: store.path)
        let writing = Task.detached {
            for i in 0..<40 {
                try writer.write(as: "Rashid") { tx in
                    for j in 0..<10 { try tx.add(kind: kind("incident"), fields: [name("title"): text("entry \(i)-\(j)")]) }
                }
            }
        }
        // Audits while the writes go on: each sees whole transactions only, and verifies.
        for _ in 0..<400 {
            let report = try store.audit()
            #expect(report.verified, "\(report.problems)")
            #expect((report.changes - 1) % 10 == 0, "an audit saw part of a transaction: \(report.changes) changes")
            if report.changes == 401 { break }
            try await Task.sleep(for: .milliseconds(5))
        }
        try await writing.value
        #expect(try store.audit().changes == 401)
    }
}
