import DaftarClient
import DaftarModel
import DaftarStore
import Foundation
import Testing

/// Change format 2 (a header hashed over a digest of the content, a scope and a chain link) next
/// to the format-1 history made before it: both travel, are checked and kept as made.
@Suite(.timeLimit(.minutes(2))) struct FormatTwoTests {
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

    /// Until grants come, a node holds scope general alone: a change of another scope, or one
    /// whose chain link skips a seq, stops its origin with a reason that names it, after the
    /// changes before it in the batch were applied.
    @Test func aChangeOfAnotherScopeOrAGap_stopsItsOriginAndSaysWhy() throws {
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
        let (at, reason) = try invalidStop(report)
        #expect(at == dot && reason.contains("scope ct-wing") && reason.contains("general"))
        #expect(try central.knowledge()[origin] == 0)

        // A general change of a known origin whose prev names an earlier seq than seq - 1.
        let gapDot = Dot(origin: try NodeID("fia-good"), seq: 4)
        let gap = try Change(
            dot: gapDot, record: good[0].record, kind: kind("incident"), operation: .set, fields: [name("status"): .text("gap")],
            vector: VersionVector([(gapDot.origin, 4)]), hlc: HLC(milliseconds: Self.t0 + 9), officer: "Insp. X", wallTime: Int64(Self.t0 + 9),
            prev: ChainLink(seq: 2, hash: good[1].hash))
        let (_, why) = try invalidStop(try central.apply([gap]))
        #expect(why.contains("prev names seq 2"))
        #expect(try central.knowledge()[gapDot.origin] == 3)

        // Format 1 is read, never made now: after fia-good's format-2 change, a format-1 one is refused.
        let back = try Change(
            dot: gapDot, record: good[0].record, kind: kind("incident"), operation: .set, fields: [name("status"): .text("old again")],
            vector: VersionVector([(gapDot.origin, 4)]), hlc: HLC(milliseconds: Self.t0 + 9), officer: "Insp. X", wallTime: Int64(Self.t0 + 9),
            prev: ChainLink(seq: 3, hash: good[2].hash), format: 1)
        let (_, reason3) = try invalidStop(try central.apply([back]))
        #expect(reason3.contains("format 1 is not made any more"))
        #expect(try central.knowledge()[gapDot.origin] == 3)
    }
}
