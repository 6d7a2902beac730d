import DaftarModel
import Foundation
import Testing

@testable import DaftarStore

/// The definition of a fork with scopes (DESIGN "Format 2"): two changes of one origin with one
/// dot, in any scopes; a node holding both scopes finds it.
@Suite struct ScopeForkTests {
    @Test func aCopiedStoreReusingASeqInAnotherScope_isAForkAtANodeHoldingBoth() throws {
        let folder = try TemporaryFolder()
        let clock = TestClock()
        let punjab = try Scope("punjab")
        let sindh = try Scope("sindh")
        let central = try Store.make("central", in: folder, clock: clock)
        let kasur = try Store.make("fia-kasur", in: folder, clock: clock)
        try central.writeGrant(for: kasur.node, .register(read: [], write: [punjab, sindh]), as: "Admin")
        try kasur.enroll(at: central)
        try VoidChangeTests.deliver(from: central, to: kasur, root: central.node)
        try kasur.write(as: "SI Aslam") { _ = try $0.add(kind: kind("case"), fields: [name("title"): text("before the copy")], in: punjab) }
        // The laptop's store is copied and both copies go on as fia-kasur.
        let copyPath = folder.file("copy.daftar")
        try kasur.backup(to: copyPath)
        // The whole laptop copied: its key file too, so that the copy signs as the same node.
        try FileManager.default.copyItem(atPath: kasur.keyPath, toPath: copyPath + ".key")
        let copy = try Store.open(at: copyPath)
        #expect(copy.node == kasur.node)
        let original = try kasur.write(as: "SI Aslam") { try $0.add(kind: kind("case"), fields: [name("title"): text("original")], in: punjab) }
        let reused = try copy.write(as: "SI Bilal") { try $0.add(kind: kind("person"), fields: [name("name"): text("copy")], in: sindh) }
        #expect(original.dot == reused.dot, "the copy reuses the seq, in another scope")
        try VoidChangeTests.deliver(from: kasur, to: central, root: central.node)
        // The central node holds both scopes: the copy's change has a dot it holds with other
        // content, in punjab, and is a fork, not a second change.
        let outgoing = try copy.changes(missingFrom: try central.knowledge())
        let report = try central.apply(outgoing.changes, senderKnowledge: try copy.knowledge())
        guard case .fork(let fork)? = report.stop else {
            Issue.record("expected a fork, got \(String(describing: report.stop))")
            return
        }
        #expect(fork.dot == reused.dot)
        #expect(try central.knownForks().map(\.dot.origin) == [kasur.node])
        // One id, the first held: the original's entry in punjab, untouched by the copy's.
        #expect(reused == original)
        #expect(try central.scope(of: original) == punjab)
        #expect(try central.record(original)?.values[name("title")] == text("original"))
    }
}
