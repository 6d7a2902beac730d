public import DaftarModel
import Foundation
internal import GRDB

/// A withdrawn scope this node deleted (DESIGN promise 15).
public struct ScopeDeletion: Sendable, Hashable {
    public var scope: Scope
    /// Wall time, milliseconds since 1970 UTC.
    public var at: Int64
    public var changes: Int
    public var entries: Int
    /// The server that held every change of it this node held.
    public var confirmedBy: String
}

/// A withdrawn scope this node still holds: hidden here, waiting to be pushed, then deleted.
public struct PendingWithdrawal: Sendable, Hashable {
    public var scope: Scope
    public var changes: Int
    public var entries: Int
}

extension Store {
    /// What a server answers about the client's withdrawn scopes `scopes` (PROTOCOL choice 2):
    /// for each chain the client named and nothing else, the lower of this node's seq and the
    /// client's, with this node's hash there. It tells the client nothing the client does not
    /// hold; the client pushes the difference.
    public func pushKnowledge(of scopes: [Scope], namedBy client: Knowledge) throws(StoreError) -> Knowledge {
        guard !scopes.isEmpty else { return Knowledge() }
        let wanted = Set(scopes)
        return try read { db in
            let ledger = try Ledger(db)
            var out = Knowledge()
            for (chain, theirs) in client.entries where wanted.contains(chain.scope) {
                guard let mine = ledger.knowledge.entries[chain] else { continue }
                if mine.seq <= theirs.seq {
                    out.entries[chain] = mine
                } else {
                    // Held beyond the client's: its own hash back when this node's at that seq
                    // is the same (confirmed), else a zero hash (not confirmed, nothing told).
                    let held = try ledger.heldHash(Dot(origin: chain.origin, seq: theirs.seq))
                    out.entries[chain] = Knowledge.Entry(seq: theirs.seq, hash: held == theirs.hash ? theirs.hash : .zero)
                }
            }
            return out
        }
    }

    /// The withdrawn scopes this node still holds changes of: hidden here, deleted once a server
    /// holding the scope has confirmed it holds them all.
    public func pendingWithdrawals() throws(StoreError) -> [PendingWithdrawal] {
        try read { db in
            guard let held = try Ledger(db).heldScopes() else { return [] }
            var out: [PendingWithdrawal] = []
            // The scopes whose changes are held, from knowledge (a few rows per chain, never
            // the entries): only a withdrawn one's entries are counted.
            for row in try Row.fetchAll(db, sql: "SELECT scope, sum(held) AS changes FROM knowledge WHERE scope <> 'registry' GROUP BY scope ORDER BY scope") {
                let scope = try Scope(row["scope"] as String)
                guard !held.contains(scope) else { continue }
                let entries = try Int.fetchOne(db, sql: "SELECT count(*) FROM record WHERE scope = ?", arguments: [scope.rawValue]) ?? 0
                out.append(PendingWithdrawal(scope: scope, changes: row["changes"], entries: entries))
            }
            return out
        }
    }

    /// The withdrawn scopes this node deleted, and when.
    public func deletedScopes() throws(StoreError) -> [ScopeDeletion] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT scope, deleted_at, changes, entries, confirmed_by FROM deleted_scope ORDER BY scope").map { row in
                ScopeDeletion(
                    scope: try Scope(row["scope"] as String), at: row["deleted_at"], changes: row["changes"], entries: row["entries"],
                    confirmedBy: row["confirmed_by"])
            }
        }
    }

    /// Deletes each withdrawn scope whose every chain held here `server` holds too, as its
    /// answer's knowledge (`confirmed`) says for the scopes it takes for pushing (`pushScopes`).
    /// Returns what was deleted, and for each scope still waiting, the origins whose changes
    /// the server lacks (an office passes on only its own: another origin's must reach the
    /// server from elsewhere first).
    public func completeWithdrawals(
        confirmedBy confirmed: Knowledge, pushScopes: Set<Scope>, server: String
    ) throws(StoreError) -> (deleted: [ScopeDeletion], waiting: [Scope: [NodeID]]) {
        var done: [ScopeDeletion] = []
        var waiting: [Scope: [NodeID]] = [:]
        for pending in try pendingWithdrawals() where pushScopes.contains(pending.scope) {
            let mine = try knowledge().entries.filter { $0.key.scope == pending.scope }
            let lacking = mine.filter { chain, entry in
                guard let theirs = confirmed.entries[chain] else { return true }
                return theirs.seq != entry.seq || theirs.hash != entry.hash
            }
            guard lacking.isEmpty else {
                waiting[pending.scope] = Set(lacking.keys.map(\.origin)).sorted()
                continue
            }
            if let deletion = try deleteWithdrawn(pending.scope, confirmedBy: server) { done.append(deletion) }
        }
        return (done, waiting)
    }

    /// Deletes a withdrawn scope down to the bytes: its entries, changes and knowledge, with
    /// freed pages overwritten, the write-ahead log emptied, and the index file made again
    /// from the log. Keeps this node's own chain head of the scope (its next prev) and records
    /// the deletion. Nil when the scope is held (granted again meanwhile).
    func deleteWithdrawn(_ scope: Scope, confirmedBy server: String) throws(StoreError) -> ScopeDeletion? {
        guard !options.readOnly else { throw StoreError(.readOnly, "the store was opened for reading only") }
        let now = Int64(options.wallClock())
        let deletion: ScopeDeletion?
        do {
            deletion = try pool.writeWithoutTransaction { db -> ScopeDeletion? in
                try db.execute(sql: "PRAGMA secure_delete = ON")
                defer { try? db.execute(sql: "PRAGMA secure_delete = OFF") }
                var result: ScopeDeletion?
                try db.inTransaction(.immediate) {
                    let ledger = try Ledger(db)
                    guard scope != .registry, let held = try ledger.heldScopes(), !held.contains(scope) else { return .rollback }
                    let records = "SELECT num FROM record WHERE scope = ?"
                    let changes = try Int.fetchOne(db, sql: "SELECT count(*) FROM change WHERE record IN (\(records))", arguments: [scope.rawValue]) ?? 0
                    let entries = try Int.fetchOne(db, sql: "SELECT count(*) FROM record WHERE scope = ?", arguments: [scope.rawValue]) ?? 0
                    if let own = ledger.knowledge.entries[Chain(ledger.node, scope)] {
                        try db.execute(
                            sql: "INSERT OR REPLACE INTO kept_head (scope, seq, hash) VALUES (?, ?, ?)",
                            arguments: [scope.rawValue, Int64(own.seq), Data(own.hash.bytes)])
                    }
                    try db.execute(sql: "DELETE FROM skewed_change WHERE record IN (\(records))", arguments: [scope.rawValue])
                    try db.execute(sql: "DELETE FROM recomputed WHERE record IN (\(records))", arguments: [scope.rawValue])
                    try db.execute(sql: "DELETE FROM change WHERE record IN (\(records))", arguments: [scope.rawValue])
                    try db.execute(sql: "DELETE FROM record WHERE scope = ?", arguments: [scope.rawValue])
                    try db.execute(sql: "DELETE FROM knowledge WHERE scope = ?", arguments: [scope.rawValue])
                    // Fork proofs show the scope's change headers (kinds, officers, times).
                    // A chain of another scope that the same proof refuses (one dot used in both)
                    // stays refused, without the proof.
                    try db.execute(sql: "DELETE FROM fork WHERE scope = ?", arguments: [scope.rawValue])
                    try db.execute(
                        sql: "UPDATE fork SET proof = NULL, proof_scopes = '' WHERE instr(' ' || proof_scopes || ' ', ' ' || ? || ' ') > 0", arguments: [scope.rawValue])
                    try db.execute(
                        sql: "INSERT OR REPLACE INTO deleted_scope (scope, deleted_at, changes, entries, confirmed_by) VALUES (?, ?, ?, ?, ?)",
                        arguments: [scope.rawValue, now, changes, entries, server])
                    // The index file is made again from the log, without the scope.
                    try db.execute(sql: "UPDATE store SET log_generation = log_generation + 1 WHERE id = 1")
                    result = ScopeDeletion(scope: scope, at: now, changes: changes, entries: entries, confirmedBy: server)
                    return .commit
                }
                // Every page written before (the deleted values among them) leaves the log.
                if result != nil { try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
                return result
            }
        } catch {
            throw StoreError.from(error, path: path)
        }
        guard deletion != nil else { return nil }
        if let index {
            do {
                try index.catchUp(pool)
                try index.checkpoint()
            } catch {
                throw StoreError.from(error, path: index.path)
            }
        }
        return deletion
    }
}
