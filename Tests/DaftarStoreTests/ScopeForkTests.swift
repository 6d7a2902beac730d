import DaftarModel
import Foundation
import Testing

@testable import DaftarStore

/// The definition of a fork with scopes (DESIGN "Format 2"): two changes of one origin with one
/// dot, in any scopes; a node holding both scopes finds it.
@Suite struct ScopeForkTests {
    let folder: TemporaryFolder
    let clock = TestClock()
    let punjab = try! Scope("punjab")
    let sindh = try! Scope("sindh")

    init() throws { folder = try TemporaryFolder() }

    /// The central node, fia-kasur enrolled with `grant` (after an entry in `before`, when
    /// given), and a copy of kasur's laptop, key file and all, that goes on as fia-kasur too.
    func copiedOffice(_ grant: GrantChange, before: Scope? = nil) throws -> (central: Store, kasur: Store, copy: Store) {
        let central = try Store.make("central", in: folder, clock: clock)
        let kasur = try Store.make("fia-kasur", in: folder, clock: clock)
        try central.writeGrant(for: kasur.node, grant, as: "Admin")
        try kasur.enroll(at: central)
        try VoidChangeTests.deliver(from: central, to: kasur, root: central.node)
        if let before {
            try kasur.write(as: "SI Aslam") { _ = try $0.add(kind: kind("case"), fields: [name("title"): text("before the copy")], in: before) }
        }
        let copyPath = folder.file("copy.daftar")
        try kasur.backup(to: copyPath)
        // The whole laptop copied: its key file too, so that the copy signs as the same node.
        try FileManager.default.copyItem(atPath: kasur.keyPath, toPath: copyPath + ".key")
        return (central, kasur, try Store.open(at: copyPath))
    }

    @Test func aCopiedStoreReusingASeqInAnotherScope_isAForkAtANodeHoldingBoth() throws {
        let (central, kasur, copy) = try copiedOffice(.register(read: [], write: [punjab, sindh]), before: punjab)
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
        // Kept with its proof, for both chains that used the dot: each refuses the origin's
        // changes in its scope until the fork is recovered.
        let kept = try central.knownForks()
        #expect(kept.map(\.dot) == [reused.dot, reused.dot])
        #expect(Set(kept.compactMap(\.scope)) == [punjab, sindh] && kept.allSatisfy(\.proven))
        let proof = try #require(try central.forkProof(of: Chain(kasur.node, sindh)))
        #expect(proof.chains == [Chain(kasur.node, punjab), Chain(kasur.node, sindh)])
        // The first run is the change held here (punjab), the second the copy's (sindh).
        #expect(proof.dot == reused.dot && proof.first.chain.scope == punjab && proof.second.chain.scope == sindh)
        #expect(proof.first.headers[0].dot == reused.dot && proof.second.headers[0].dot == reused.dot)
        // One id, the first held: the original's entry in punjab, untouched by the copy's.
        #expect(reused == original)
        #expect(try central.scope(of: original) == punjab)
        #expect(try central.record(original)?.values[name("title")] == text("original"))
    }

    /// A copy used twice in one scope: the fork is kept with its proof for that chain alone, so
    /// the origin's changes in its other scope go on; a proof whose runs no key of the origin
    /// signed is kept nowhere.
    @Test func aForkInOneScope_refusesThatChainAlone_andIsKeptWithItsProof() throws {
        let (central, kasur, copy) = try copiedOffice(.register(read: [], write: [punjab, sindh]), before: punjab)
        let original = try kasur.write(as: "SI Aslam") { try $0.add(kind: kind("case"), fields: [name("title"): text("original")], in: punjab) }
        let reused = try copy.write(as: "SI Bilal") { try $0.add(kind: kind("case"), fields: [name("title"): text("copy")], in: punjab) }
        #expect(original.dot == reused.dot)
        try VoidChangeTests.deliver(from: kasur, to: central, root: central.node)
        // The copy's changes as a relay passes them on (the copy itself holds them back from a
        // peer whose knowledge shows the other branch): the one at the reused dot is a fork.
        let outgoing = try copy.changes(missingFrom: Knowledge())
        let report = try central.apply(outgoing.changes)
        guard case .fork(let fork)? = report.stop else {
            Issue.record("expected a fork, got \(String(describing: report.stop))")
            return
        }
        #expect(fork.proven && fork.scope == punjab && fork.dot == reused.dot)
        #expect(try central.knownForks() == [fork])
        let proof = try #require(try central.forkProof(of: Chain(kasur.node, punjab)))
        #expect(proof.chains == [Chain(kasur.node, punjab)] && proof.firstHash != proof.secondHash)
        #expect(proof.first.signature.key == (try kasur.publicKey())?.fingerprintHash)
        // The audit checks the proof again.
        let audit = try central.audit()
        #expect(audit.verified && audit.forks.map(\.proven) == [true] && audit.forks.map(\.scope) == ["punjab"], "\(audit.problems)")
        // The original goes on in sindh: that chain is not forked, and the central node takes it.
        let later = try kasur.write(as: "SI Aslam") { try $0.add(kind: kind("case"), fields: [name("title"): text("in sindh")], in: sindh) }
        try VoidChangeTests.deliver(from: kasur, to: central, root: central.node)
        #expect(try central.record(later)?.values[name("title")] == text("in sindh"))
        // In punjab, nothing more of kasur is taken until the fork is recovered.
        let blocked = try kasur.write(as: "SI Aslam") { try $0.add(kind: kind("case"), fields: [name("title"): text("after the fork")], in: punjab) }
        let again = try central.apply(try kasur.changes(missingFrom: try central.knowledge()).changes)
        guard case .fork? = again.stop else {
            Issue.record("expected the forked chain to stay refused, got \(String(describing: again.stop))")
            return
        }
        #expect(try central.record(blocked) == nil)

        // Runs signed by a key the registry does not bind to kasur prove nothing here.
        let stranger = SigningKey()
        let held = try #require(try central.change(at: original.dot))
        let forged = try ForkProof(
            try SignedRun(headers: [try #require(try held.header())], signature: try ChangeSignature.sign(held.hash, with: stranger)), proof.second)
        let okara = try Store.make("fia-okara", in: folder, clock: clock)
        try central.writeGrant(for: okara.node, .register(read: [punjab], write: []), as: "Admin")
        try okara.enroll(at: central)
        try VoidChangeTests.deliver(from: central, to: okara, root: central.node)
        let kept = try okara.pool.write { db in try Store.keep(forged, db, now: 0) }
        #expect(kept == nil)
        #expect(try okara.knownForks().isEmpty)
        // The real proof, checked against the keys okara learnt from the registry, is kept.
        #expect(try okara.pool.write { db in try Store.keep(proof, db, now: 0) }?.count == 1)
        #expect(try okara.knownForks().map(\.scope) == [punjab])
        #expect(try okara.audit().verified)
        // A proof altered in the file is found by the audit.
        try okara.pool.write { db in try db.execute(sql: "UPDATE fork SET proof = ?", arguments: [try JSONEncoder().encode(forged)]) }
        let altered = try okara.audit()
        #expect(!altered.verified && altered.problems.contains { $0.contains("do not verify with fia-kasur's keys") }, "\(altered.problems)")
    }

    /// A fork shown only by knowledge: each side sends its signed run at the difference, the
    /// side holding the other branch makes the proof, and the proof, sent back, is kept there
    /// too. Knowledge alone keeps nothing at a store that verifies.
    @Test func aForkShownByKnowledge_isProvenFromTheRunsBothSidesSend() throws {
        let (central, kasur, copy) = try copiedOffice(.register(read: [.general], write: [.general]))
        let original = try kasur.add(kind: kind("case"), fields: [name("title"): text("original")], as: "SI Aslam")
        let reused = try copy.add(kind: kind("case"), fields: [name("title"): text("copy")], as: "SI Bilal")
        #expect(original.dot == reused.dot)
        try VoidChangeTests.deliver(from: kasur, to: central, root: central.node)
        // The copy's knowledge shows the difference; applying nothing, the central node keeps nothing.
        let pulled = try central.apply([], senderKnowledge: try copy.knowledge())
        let difference = try #require(pulled.forks.first)
        #expect(difference.dot == reused.dot && !difference.proven && difference.scope == .general)
        #expect(try central.knownForks().isEmpty)
        // The central node's run at the difference lets the copy prove the fork...
        let runs = try central.forkEvidence(for: pulled.forks, scopes: { _ in true })
        #expect(runs.count == 1 && runs[0].headers[0].dot == reused.dot)
        let atCopy = try copy.takeForkEvidence(runs, scopes: { _ in true })
        #expect(atCopy.count == 1 && atCopy[0].proven && atCopy[0].dot == reused.dot)
        // ...and the copy's proof, sent back, is kept at the central node.
        let proofs = try copy.forkProofs(scopes: { _ in true })
        #expect(proofs.count == 1)
        #expect(try central.takeForkProofs(proofs, scopes: { _ in true }).map(\.dot) == [reused.dot])
        let kept = try #require(try central.forkProof(of: Chain(kasur.node, .general)))
        // Kept with the central node's own branch first.
        #expect(kept.firstHash == (try central.change(at: original.dot))?.hash)
        // Recovered here (this branch lives), the same proof sent again by the copy, which has
        // not recovered yet, is not kept again.
        #expect(try central.keepBranch(of: kasur.node))
        #expect(try central.takeForkProofs(proofs, scopes: { _ in true }).isEmpty && central.knownForks().isEmpty)
        // A run the central node does not contradict, or a proof of a scope not taken, keeps nothing more.
        #expect(try central.takeForkProofs(proofs, scopes: { _ in false }).isEmpty)
        #expect(try copy.takeForkEvidence(try copy.forkEvidence(for: [difference], scopes: { _ in true }), scopes: { _ in true }).isEmpty)
    }
}
