import DaftarModel
import Foundation
import Testing

@testable import DaftarStore

/// Promise 7: a store copied by hand and used twice is found wherever the two histories meet,
/// nothing is merged wrongly, and the operator's recovery brings every node back to one register.
@Suite struct ForkTests {
    let folder: TemporaryFolder
    let clock = TestClock()

    init() throws { folder = try TemporaryFolder() }

    /// An office with two shared entries, and a copy of its file made by hand.
    func officeAndCopy() throws -> (office: Store, copy: Store, shared: RecordID) {
        let office = try Store.make("fia-lahore", in: folder, clock: clock)
        let shared = try office.add(kind: kind("case"), fields: [name("title"): text("Smuggling ring")], as: "Rashid")
        try office.add(kind: kind("person"), fields: [name("name"): text("Asif")], as: "Rashid")
        let copyPath = folder.file("copy.daftar")
        try office.pool.writeWithoutTransaction { db in try db.execute(sql: "VACUUM INTO ?", arguments: [copyPath]) }
        // The whole laptop copied: its key file too, so that the copy signs as the same node.
        try FileManager.default.copyItem(atPath: office.keyPath, toPath: copyPath + ".key")
        var options = Store.Options()
        options.wallClock = clock.reading
        return (office, try Store.open(at: copyPath, options: options), shared)
    }

    @Test func fork_isDetectedThroughAThirdStore_andRecoveryConvergesWithNothingLost() throws {
        let (office, copy, shared) = try officeAndCopy()
        let central = try Store.make("central", in: folder, clock: clock)
        let hub = try Store.make("punjab-hub", in: folder, clock: clock)
        try sync(office, central)
        try sync(office, hub)
        // Both go on as fia-lahore, each unaware of the other.
        clock.advance(10)
        try office.write(as: "Rashid") { try $0.set(shared, [name("status"): text("open")]) }
        let officeNew = try office.add(kind: kind("vehicle"), fields: [name("plate"): text("LEA-1")], as: "Rashid")
        clock.advance(10)
        try copy.write(as: "Ayesha") { try $0.set(shared, [name("status"): text("closed")]) }
        let copyNew = try copy.add(kind: kind("vehicle"), fields: [name("plate"): text("LEB-2")], as: "Ayesha")
        try copy.add(kind: kind("seizure"), fields: [name("item"): text("phones")], as: "Ayesha")
        #expect(officeNew == copyNew)  // the same id for two different entries: why forks must be found

        // The office syncs with the central node; the copy with the hub.
        try sync(office, central)
        try sync(copy, hub)
        // Where the histories meet, hub and central, the fork is found and nothing is merged.
        let centralBefore = try snapshot(central)
        let hubBefore = try snapshot(hub)
        // The hub holds more of fia-lahore than central: it compares its hash at central's seq.
        let toHub = try central.changes(missingFrom: try hub.knowledge())
        let hubReport = try hub.apply(toHub.changes, senderKnowledge: try central.knowledge())
        #expect(hubReport.forks.map(\.dot) == [Dot(origin: office.node, seq: 4)])
        // Central learns of it from the hub's answer, and checks it against its own hash.
        #expect(try central.confirmForks(reportedBy: hubReport.forks).count == 1)
        let toCentral = try hub.changes(missingFrom: try central.knowledge())
        #expect(!toCentral.changes.contains { $0.dot.origin == office.node })
        _ = try central.apply(toCentral.changes, senderKnowledge: try hub.knowledge())
        #expect(try snapshot(central) == centralBefore)
        #expect(try snapshot(hub) == hubBefore)
        let hubForks = try hub.knownForks()
        let centralForks = try central.knownForks()
        #expect(hubForks.map(\.dot.origin) == [office.node])
        #expect(centralForks.map(\.dot.origin) == [office.node])
        #expect(try central.record(officeNew)?.values[name("plate")] == text("LEA-1"))
        #expect(try hub.record(copyNew)?.values[name("plate")] == text("LEB-2"))

        // Recovery: the office's branch lives. Where the copy's branch is held, it is discarded
        // from the first seq that differs, and re-issued under a new node id.
        let keptHashes = try central.chainHashes(of: office.node, in: 1...1000)
        let forkSeq = try #require(try hub.firstDifference(of: office.node, comparedWith: keptHashes))
        #expect(forkSeq == 3)
        let hubReissue = try hub.discardBranch(of: office.node, from: forkSeq)
        let copyReissue = try copy.discardBranch(of: office.node, from: forkSeq)
        #expect(hubReissue.newNode == copyReissue.newNode)
        #expect(hubReissue.reissued == 3)
        #expect(copyReissue.tookNewIdentity && copy.node == copyReissue.newNode)
        // Its key file names the new id, so that the store opened again still signs.
        #expect(try Store.open(at: copy.path).signingKey().publicKey == copy.publicKey())
        #expect(!hubReissue.tookNewIdentity)
        try central.keepBranch(of: office.node)
        try hub.keepBranch(of: office.node)

        // The copy goes on as its new node.
        let later = try copy.add(kind: kind("incident"), fields: [name("title"): text("after recovery")], as: "Ayesha")
        #expect(later.dot.origin == copyReissue.newNode && later.dot.seq == 4)

        for _ in 0..<2 {
            try sync(copy, hub)
            try sync(hub, central)
            try sync(central, office)
        }
        let stores = [office, copy, central, hub]
        let reference = try snapshot(central)
        for store in stores {
            #expect(try snapshot(store) == reference)
            #expect(try store.knownForks().isEmpty)
            #expect(try store.knowledge() == central.knowledge())
            #expect(try store.countByKind().map { "\($0.kind) \($0.count)" } == central.countByKind().map { "\($0.kind) \($0.count)" })
        }
        #expect(try central.countByKind().map { "\($0.kind) \($0.count)" } == ["case 1", "incident 1", "person 1", "seizure 1", "vehicle 2"])
        // Nothing lost: both vehicles, both statuses (as a conflict), the seizure, the later entry.
        let renamedVehicle = try #require(copyReissue.renamed[copyNew])
        #expect(try central.record(officeNew)?.values[name("plate")] == text("LEA-1"))
        #expect(try central.record(renamedVehicle)?.values[name("plate")] == text("LEB-2"))
        let status = try #require(try central.record(shared)?.fields[name("status")])
        #expect(Set(status.entries.map(\.value)) == [text("open"), text("closed")])
        #expect(try central.search("phones").count == 1)
        #expect(try central.record(later) != nil)
        #expect(try central.integrityCheck().isEmpty)
    }

    @Test func fork_foundByKnowledgeComparison_beforeAnythingIsApplied() throws {
        let (office, copy, _) = try officeAndCopy()
        try office.add(kind: kind("incident"), fields: [name("t"): text("a")], as: "Rashid")
        try copy.add(kind: kind("incident"), fields: [name("t"): text("b")], as: "Ayesha")
        let forks = try office.detectForks(against: try copy.knowledge())
        #expect(forks.map(\.dot) == [Dot(origin: office.node, seq: 3)])
        #expect(forks.first?.description.contains("fia-lahore:3") == true)
        // Neither side applies the other's branch.
        let report = try office.apply(try copy.changes(missingFrom: try office.knowledge()).changes)
        #expect(report.applied == 0)
    }

    @Test func discardingABranchOthersBuiltOn_isRefused() throws {
        let (office, copy, shared) = try officeAndCopy()
        _ = office
        let karachi = try Store.make("fia-karachi", in: folder, clock: clock)
        try copy.write(as: "Ayesha") { try $0.set(shared, [name("status"): text("closed")]) }
        try sync(copy, karachi)
        try karachi.write(as: "Bilal") { try $0.set(shared, [name("status"): text("sealed")]) }
        try sync(copy, karachi)
        let before = try snapshot(copy)
        do {
            _ = try copy.discardBranch(of: copy.node, from: 3)
            Issue.record("a branch others built on was discarded")
        } catch {
            #expect(error.message.contains("fia-karachi:1"))
        }
        #expect(try snapshot(copy) == before)
    }
}

/// Backup and restore under a new node id: no fork, and nothing lost.
@Suite struct BackupTests {
    @Test func restoreUnderANewId_thenSync_holdsEverything_includingTheOldIdentitysLaterChanges() throws {
        let folder = try TemporaryFolder()
        let clock = TestClock()
        let office = try Store.make("fia-lahore", in: folder, clock: clock)
        let central = try Store.make("central", in: folder, clock: clock)
        let first = try office.add(kind: kind("case"), fields: [name("t"): text("before the backup")], as: "Rashid")
        let backupPath = folder.file("backup.daftar")
        try office.backup(to: backupPath)
        #expect(storeError { try office.backup(to: backupPath) }?.code == .storeExists)
        // The office goes on, syncs, and then its laptop is lost.
        let later = try office.add(kind: kind("case"), fields: [name("t"): text("after the backup")], as: "Rashid")
        try sync(office, central)
        // The backup comes back under a new id.
        #expect(storeError { _ = try Store.restore(backup: backupPath, to: folder.file("x.daftar"), as: office.node) }?.code == .badRequest)
        let restored = try Store.restore(backup: backupPath, to: folder.file("restored.daftar"), as: try NodeID("fia-lahore-2"))
        #expect(restored.node.rawValue == "fia-lahore-2")
        #expect(try restored.record(first) != nil)
        let new = try restored.add(kind: kind("case"), fields: [name("t"): text("after the restore")], as: "Ayesha")
        #expect(new.description == "fia-lahore-2-1")
        try sync(restored, central)
        #expect(try restored.record(later) != nil)  // the old identity's later change came back
        #expect(try snapshot(restored) == snapshot(central))
        #expect(try central.knownForks().isEmpty && restored.knownForks().isEmpty)
        #expect(try restored.integrityCheck().isEmpty)
    }
}
