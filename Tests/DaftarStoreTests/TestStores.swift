import DaftarModel
@_exported import DaftarTesting
import Foundation
import Synchronization
import Testing

@testable import DaftarStore

/// A wall clock tests can set and move, in milliseconds.
final class TestClock: Sendable {
    private let now: Mutex<UInt64>
    init(_ start: UInt64 = 1_780_000_000_000) { now = Mutex(start) }
    func advance(_ ms: UInt64) { now.withLock { $0 += ms } }
    func set(_ ms: UInt64) { now.withLock { $0 = ms } }
    var reading: @Sendable () -> UInt64 { { self.now.withLock { $0 } } }
}

extension Store {
    /// A new store for `node` in `folder`.
    static func make(_ node: String, in folder: TemporaryFolder, clock: TestClock? = nil) throws -> Store {
        var options = Store.Options()
        if let clock { options.wallClock = clock.reading }
        return try Store.create(at: folder.file("\(node).daftar"), node: try NodeID(node), options: options)
    }
}

/// Shorthands for test data.
func name(_ s: String) -> FieldName { try! FieldName(s) }
func kind(_ s: String) -> Kind { try! Kind(s) }
func text(_ s: String) -> FieldValue { .text(s) }

/// Sends everything `from` holds that `to` lacks, in batches of `batch` changes, until `to` has
/// it all; returns the reports. Fails the test on a stop other than what `expectStop` allows.
@discardableResult
func push(from: Store, to: Store, batch: Int = 1000) throws -> [ApplyReport] {
    var reports: [ApplyReport] = []
    for _ in 0..<10_000 {
        let outgoing = try from.changes(missingFrom: try to.knowledge(), limits: BatchLimits(maxCount: batch))
        try to.confirmForks(reportedBy: outgoing.forks)
        if outgoing.changes.isEmpty { break }
        let report = try to.apply(outgoing.changes, senderKnowledge: try from.knowledge())
        try from.confirmForks(reportedBy: report.forks)
        reports.append(report)
        if report.stop != nil || report.applied == 0 { break }
    }
    return reports
}

/// Syncs two stores both ways.
func sync(_ a: Store, _ b: Store, batch: Int = 1000) throws {
    try push(from: a, to: b, batch: batch)
    try push(from: b, to: a, batch: batch)
}

/// What two stores must agree on to be identical: every record's full merged state.
func snapshot(_ store: Store) throws -> [RecordState] { try store.allRecords() }

/// The ``StoreError`` that `body` throws; nil when it throws nothing (or something else).
func storeError(_ body: () throws -> Void) -> StoreError? {
    do {
        try body()
        return nil
    } catch let error as StoreError {
        return error
    } catch {
        return nil
    }
}
