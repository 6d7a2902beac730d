import DaftarClient
import DaftarModel
import DaftarStore
import Foundation
import Testing

/// Change format 2 (a header hashed over a digest of the content, a scope and a chain link) next
/// to the format-1 history made before it: both travel, are checked and kept as made.
@Suite(.timeLimit(.minutes(5))) struct FormatTwoTests {
    let folder: TemporaryFolder
    init() throws { folder = try TemporaryFolder() }

    static let t0: UInt64 = 1_780_000_000_000

    /// An origin's history as a store made before scopes would hold it: an add and a set in
    /// format 1, then (after an upgrade) a set in format 2 that continues the same chain.
    func mixedHistory(_ origin: String) throws -> [Change] {
        let node = try NodeID(origin)
        let first = Dot(origin: node, seq: 1)
        let add = try Change(
            dot: first, record: RecordID(first), kind: kind("incident"), operation: .add, fields: [name("title"): .text("Raid, format 1")],
            vector: VersionVector(first), hlc: HLC(milliseconds: Self.t0), officer: "Insp. Old", wallTime: Int64(Self.t0),
            prev: .start, format: 1)
        let set = try Change(
            dot: Dot(origin: node, seq: 2), record: RecordID(first), kind: kind("incident"), operation: .set, fields: [name("status"): .text("open")],
            vector: VersionVector([(node, 2)]), hlc: HLC(milliseconds: Self.t0 + 1), officer: "Insp. Old", wallTime: Int64(Self.t0 + 1),
            prev: ChainLink(seq: 1, hash: add.hash), format: 1)
        let after = try Change(
            dot: Dot(origin: node, seq: 3), record: RecordID(first), kind: kind("incident"), operation: .set, fields: [name("status"): .text("closed")],
            vector: VersionVector([(node, 3)]), hlc: HLC(milliseconds: Self.t0 + 2), officer: "Insp. New", wallTime: Int64(Self.t0 + 2),
            prev: ChainLink(seq: 2, hash: set.hash))
        return [add, set, after]
    }

    @Test(arguments: [SyncClient.Encoding.compact, .json])
    func formatOneHistory_travelsAsMade_andTheChainGoesOnInFormatTwo(encoding: SyncClient.Encoding) async throws {
        let central = try makeStore("central", in: folder)
        let office = try makeStore("fia-lahore", in: folder)
        let history = try mixedHistory("fia-old")
        #expect(history.map(\.format) == [1, 1, 2])
        let report = try central.apply(history)
        #expect(report.applied == 3 && report.stop == nil)
        try await withServer(central) { url in
            _ = try register(office, at: central, url: url, as: "central")
            _ = try await sync(office, "central", encoding: encoding)
        }
        for change in history {
            let held = try #require(try office.change(at: change.dot))
            #expect(held == change, "\(change.dot) kept as made")
            #expect(held.format == change.format && held.hash == change.hash)
        }
        #expect(try office.allRecords() == central.allRecords())
        // The office's own next change: format 2, scope general, linked to its previous one.
        let id = try office.add(kind: kind("incident"), fields: [name("title"): .text("first")], as: "Rashid")
        try office.write(as: "Rashid") { try $0.set(id, [name("title"): .text("second")]) }
        let one = try #require(try office.change(at: Dot(origin: office.node, seq: 1)))
        let two = try #require(try office.change(at: Dot(origin: office.node, seq: 2)))
        #expect(one.format == 2 && one.scope == .general && one.prev == .start)
        #expect(two.prev == ChainLink(seq: 1, hash: one.hash))
        #expect(try two.computedHash() == two.hash)
    }

    /// Where and why a batch stopped on a change invalid for its origin; fails the test otherwise.
    func invalidStop(_ report: ApplyReport) throws -> (Dot, String) {
        guard case .invalid(let at, let reason)? = report.stop else {
            throw TestFailure("expected an invalid stop, got \(String(describing: report.stop))")
        }
        return (at, reason)
    }

    /// Before a grant reaches it, a node holds scope general alone: a change of another scope
    /// stops its chain with a reason that names the scope, after the changes before it in the
    /// batch were applied; two changes naming one prev are a fork of that chain.
    @Test func aChangeOfAnotherScope_orASecondChangeAfterOnePrev_stopsItsChain() throws {
        let central = try makeStore("central", in: folder)
        let good = try mixedHistory("fia-good")
        let origin = try NodeID("fia-other")
        let dot = Dot(origin: origin, seq: 1)
        let elsewhere = try Change(
            dot: dot, record: RecordID(dot), kind: kind("case"), operation: .add, fields: [name("title"): .text("ct-wing case")],
            vector: VersionVector(dot), hlc: HLC(milliseconds: Self.t0), officer: "Insp. X", wallTime: Int64(Self.t0),
            scope: try Scope("ct-wing"), prev: .start)
        let report = try central.apply(good + [elsewhere])
        #expect(report.applied == 3)
        // A node with no grant holds general (and its --scope) alone.
        #expect(report.stop == .scopeNotTaken(change: dot, scope: try Scope("ct-wing")))
        #expect(report.stop?.description.contains("scope ct-wing") == true)
        #expect(try central.knowledge()[Chain(origin, .general)] == 0)

        // Two changes of one chain naming the same prev: the origin's history forked there.
        let forkDot = Dot(origin: try NodeID("fia-good"), seq: 4)
        let second = try Change(
            dot: forkDot, record: good[0].record, kind: kind("incident"), operation: .set, fields: [name("status"): .text("second branch")],
            vector: VersionVector([(forkDot.origin, 4)]), hlc: HLC(milliseconds: Self.t0 + 9), officer: "Insp. X", wallTime: Int64(Self.t0 + 9),
            prev: ChainLink(seq: 2, hash: good[1].hash))
        let forked = try central.apply([second])
        guard case .fork(let fork)? = forked.stop else { throw TestFailure("expected a fork, got \(String(describing: forked.stop))") }
        #expect(fork.dot == good[2].dot && fork.localHash == good[2].hash && fork.remoteHash == second.hash)
        #expect(try central.knowledge()[Chain(forkDot.origin, .general)] == 3)
        #expect(try central.knownForks().map(\.dot.origin) == [forkDot.origin])
    }

    /// Seqs are the origin's across its scopes: a chain's next change may skip seqs (written in
    /// scopes this node does not hold) and is applied; one whose prev is not held yet waits.
    @Test func aChainSkipsSeqs_andWaitsForItsPrev() throws {
        let central = try makeStore("central", in: folder)
        let good = try mixedHistory("fia-good")
        #expect(try central.apply(good).applied == 3)
        let origin = good[0].dot.origin
        func edit(_ seq: UInt64, prev: ChainLink, _ value: String) throws -> Change {
            let dot = Dot(origin: origin, seq: seq)
            return try Change(
                dot: dot, record: good[0].record, kind: kind("incident"), operation: .set, fields: [name("status"): .text(value)],
                vector: VersionVector([(origin, seq)]), hlc: HLC(milliseconds: Self.t0 + seq * 10), officer: "Insp. X",
                wallTime: Int64(Self.t0 + seq * 10), prev: prev)
        }
        // Seq 5 after seq 3: seq 4 is in another scope.
        let five = try edit(5, prev: ChainLink(seq: 3, hash: good[2].hash), "after a gap")
        // Seq 9 after seq 7, which is not held: it waits.
        let nine = try edit(9, prev: ChainLink(seq: 7, hash: good[2].hash), "waits")
        let report = try central.apply([five, nine])
        #expect(report.applied == 1)
        #expect(report.stop == .missingDependency(change: nine.dot, missing: Dot(origin: origin, seq: 7)))
        #expect(try central.knowledge()[Chain(origin, .general)] == 5)
        #expect(try central.record(good[0].record)?.values[name("status")] == .text("after a gap"))
        // Format 1 is read, never made now: after fia-good's format-2 change, a format-1 one is refused.
        let gapDot = Dot(origin: origin, seq: 6)
        let back = try Change(
            dot: gapDot, record: good[0].record, kind: kind("incident"), operation: .set, fields: [name("status"): .text("old again")],
            vector: VersionVector([(gapDot.origin, 6)]), hlc: HLC(milliseconds: Self.t0 + 90), officer: "Insp. X", wallTime: Int64(Self.t0 + 90),
            prev: ChainLink(seq: 5, hash: five.hash), format: 1)
        let (_, reason3) = try invalidStop(try central.apply([back]))
        #expect(reason3.contains("format 1 is not made any more"))
        #expect(try central.knowledge()[Chain(origin, .general)] == 5)
    }

    /// Per chain, never per batch: in one batch, a chain that waits (its prev is not held), a
    /// chain that is refused (another scope), and a chain that depends on a waiting one hold
    /// back only themselves; every other chain of the batch is applied, before and after them.
    @Test func oneChainWaitingOrRefused_holdsBackOnlyItselfAndWhatDependsOnIt() throws {
        let central = try makeStore("central", in: folder)
        func change(_ origin: String, _ seq: UInt64, record: RecordID? = nil, vector extra: [(String, UInt64)] = [], prev: ChainLink, scope: Scope = .general) throws -> Change {
            let dot = Dot(origin: try NodeID(origin), seq: seq)
            var vector = VersionVector(dot)
            for (node, s) in extra { vector[try NodeID(node)] = s }
            return try Change(
                dot: dot, record: record ?? RecordID(dot), kind: kind("incident"), operation: record == nil ? .add : .set,
                fields: [name("title"): .text("\(origin) \(seq)")], vector: vector, hlc: HLC(milliseconds: Self.t0 + seq), officer: "Insp. X",
                wallTime: Int64(Self.t0 + seq), scope: scope, prev: prev)
        }
        let a1 = try change("fia-a", 1, prev: .start)
        let a2 = try change("fia-a", 2, record: a1.record, prev: ChainLink(seq: 1, hash: a1.hash))
        // fia-b's first change here is its seq 2, whose prev (seq 1) was never sent: it waits, and
        // so does its seq 3 behind it.
        let b1 = try change("fia-b", 1, prev: .start)
        let b2 = try change("fia-b", 2, prev: ChainLink(seq: 1, hash: b1.hash))
        let b3 = try change("fia-b", 3, record: b2.record, prev: ChainLink(seq: 2, hash: b2.hash))
        // fia-c edits fia-b's entry: it depends on the waiting chain.
        let c1 = try change("fia-c", 1, record: b2.record, vector: [("fia-b", 2)], prev: .start)
        // fia-d writes in a scope this node does not hold: not taken, for its chain alone.
        let d1 = try change("fia-d", 1, prev: .start, scope: try Scope("ct-wing"))
        let e1 = try change("fia-e", 1, prev: .start)
        let report = try central.apply([a1, b2, d1, c1, a2, b3, e1])
        #expect(report.applied == 3, "a1, a2 and e1 are applied")
        #expect(report.waiting == 1, "b3 waits behind b2")
        #expect(report.stops.count == 3)
        #expect(report.stops.contains(.missingDependency(change: b2.dot, missing: b1.dot)))
        #expect(report.stops.contains(.missingDependency(change: c1.dot, missing: b2.dot)))
        #expect(report.stops.contains(.scopeNotTaken(change: d1.dot, scope: try Scope("ct-wing"))))
        #expect(report.stop == .missingDependency(change: b2.dot, missing: b1.dot) && report.stoppedAt == 1)
        let knowledge = try central.knowledge()
        #expect(knowledge[Chain(a1.dot.origin, .general)] == 2 && knowledge[Chain(e1.dot.origin, .general)] == 1)
        #expect(knowledge[Chain(b2.dot.origin, .general)] == 0 && knowledge[Chain(c1.dot.origin, .general)] == 0)
        // Once fia-b's seq 1 arrives, the rest follows; the batch applied twice changes nothing more.
        let rest = try central.apply([b1, b2, b3, c1])
        #expect(rest.applied == 4 && rest.stop == nil)
        #expect(try central.apply([a1, b2, c1, a2, b3, e1]).duplicates == 6)
        #expect(try central.changeCounts().held == 7)
    }
}
