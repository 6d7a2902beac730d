public import DaftarModel
import Foundation
internal import GRDB

/// A value shown over a concurrent one only because the change that wrote it was stamped by a
/// clock that ran ahead of this node's by more than the allowed drift.
public struct SkewWin: Sendable, Hashable {
    public var record: RecordID
    /// The field, or `deleted` for the deleted flag.
    public var field: String
    /// The change whose value is shown.
    public var dot: Dot
    /// How far past the allowed drift its stamp was when it arrived.
    public var skewMilliseconds: UInt64
}

/// A node that sent changes it may not send, in a way the operator must see.
public struct RefusedSender: Sendable, Hashable {
    public var sender: NodeID
    public var origin: NodeID
    /// `own_origin`: changes in this node's own name.
    public var reason: String
    public var times: Int
    public var firstAt: Int64
    public var lastAt: Int64
}

extension Store {
    /// Keeps a change whose stamp ran past the allowed drift, applied just now by `ledger`.
    /// Returns the record's local number.
    @discardableResult
    static func noteSkewed(_ change: Change, skewMilliseconds: UInt64, ledger: Ledger) throws -> Int64? {
        guard let num = try ledger.load(change.record)?.num else { return nil }
        try ledger.run(
            "INSERT OR REPLACE INTO skewed_change (origin, seq, record, skew_ms) VALUES (?, ?, ?, ?)",
            [change.dot.origin.rawValue, Int64(change.dot.seq), num, Int64(clamping: skewMilliseconds)])
        return num
    }

    /// The values shown over concurrent ones only by a skewed stamp, in the records that skewed
    /// changes (of `origin`, or of any origin) wrote.
    static func skewWins(_ db: Database, origin: NodeID? = nil, records: Set<Int64>? = nil) throws -> [SkewWin] {
        // Only entries in conflict can show a value over another.
        var sql = "SELECT s.origin, s.seq, s.skew_ms, r.state FROM skewed_change s JOIN record r ON r.num = s.record WHERE r.conflict = 1"
        var arguments: StatementArguments = []
        if let origin {
            sql += " AND s.origin = ?"
            arguments += [origin.rawValue]
        }
        if let records {
            sql += " AND s.record IN (\(records.map(String.init).joined(separator: ",")))"
        }
        var skewed: [Dot: UInt64] = [:]
        var states: [RecordID: RecordState] = [:]
        for row in try Row.fetchAll(db, sql: sql, arguments: arguments) {
            skewed[Dot(origin: try NodeID(row["origin"] as String), seq: UInt64(row["seq"] as Int64))] = UInt64(row["skew_ms"] as Int64)
            let state = try RecordState(encoded: row["state"] as Data)
            states[state.id] = state
        }
        var wins: [SkewWin] = []
        for state in states.values.sorted(by: { $0.id.description < $1.id.description }) {
            var registers = state.fields.map { ($0.key.rawValue, $0.value) }.sorted { $0.0 < $1.0 }
            registers.append(("deleted", state.deleted))
            for (name, register) in registers where register.inConflict {
                guard let winner = register.winner, let skew = skewed[winner.dot] else { continue }
                wins.append(SkewWin(record: state.id, field: name, dot: winner.dot, skewMilliseconds: skew))
            }
        }
        return wins
    }

    /// How many values of `records` (local numbers) are shown only by a stamp of `origin` that
    /// ran ahead: what one batch changed, never the whole history of a skewed office.
    static func skewWinCount(_ db: Database, origin: NodeID, records: Set<Int64>) throws -> Int {
        guard !records.isEmpty else { return 0 }
        return try skewWins(db, origin: Optional(origin), records: records).count
    }

    /// Every value shown over a concurrent one only because its clock ran ahead.
    public func skewWins() throws(StoreError) -> [SkewWin] {
        try read { db in try Self.skewWins(db, origin: nil) }
    }

    /// The changes of an entry whose stamps ran past the allowed drift, with how far.
    public func skewedChanges(of id: RecordID) throws(StoreError) -> [Dot: UInt64] {
        try read { db in
            var out: [Dot: UInt64] = [:]
            for row in try Row.fetchAll(
                db, sql: "SELECT s.origin, s.seq, s.skew_ms FROM skewed_change s JOIN record r ON r.num = s.record WHERE r.id = ?",
                arguments: [id.description])
            {
                out[Dot(origin: try NodeID(row["origin"] as String), seq: UInt64(row["seq"] as Int64))] = UInt64(row["skew_ms"] as Int64)
            }
            return out
        }
    }

    /// Notes that `sender` sent changes it may not send (`reason`), for the operator.
    public func noteRefusedSender(_ sender: NodeID, origin: NodeID, reason: String) throws(StoreError) {
        let now = Int64(options.wallClock())
        try writeTransaction { db in
            try db.execute(
                sql: """
                    INSERT INTO refused_sender (sender, origin, reason, times, first_at, last_at) VALUES (?, ?, ?, 1, ?, ?)
                    ON CONFLICT (sender, origin, reason) DO UPDATE SET times = times + 1, last_at = excluded.last_at
                    """,
                arguments: [sender.rawValue, origin.rawValue, reason, now, now])
        }
    }

    /// The senders refused in a way the operator must see, most recent first.
    public func refusedSenders() throws(StoreError) -> [RefusedSender] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM refused_sender ORDER BY last_at DESC").map { row in
                RefusedSender(
                    sender: try NodeID(row["sender"] as String), origin: try NodeID(row["origin"] as String), reason: row["reason"],
                    times: row["times"], firstAt: row["first_at"], lastAt: row["last_at"])
            }
        }
    }
}
