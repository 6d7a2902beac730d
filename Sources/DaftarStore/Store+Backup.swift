public import DaftarModel
import Foundation
internal import GRDB

extension Store {
    /// Writes a consistent copy of this store, as of one moment, to `path` while it stays in use
    /// (SQLite's VACUUM INTO, inside one read transaction). Refuses a path that exists.
    public func backup(to path: String) throws(StoreError) {
        guard !FileManager.default.fileExists(atPath: path) else {
            throw StoreError(.storeExists, "\(path) already exists: choose a new file for the backup")
        }
        do {
            try pool.writeWithoutTransaction { db in try db.execute(sql: "VACUUM INTO ?", arguments: [path]) }
        } catch {
            try? FileManager.default.removeItem(atPath: path)
            throw StoreError.from(error, path: path)
        }
    }

    /// Brings a backup back as a new store at `path` under a new node id, so that the restored
    /// store never reuses a seq its old identity may have used after the backup: the old
    /// identity's later changes arrive by sync like anyone else's, and new changes are made as
    /// `node`. Register the new node id at the servers it syncs with.
    public static func restore(backup: String, to path: String, as node: NodeID, options: Options = Options()) throws(StoreError) -> Store {
        guard !FileManager.default.fileExists(atPath: path) else {
            throw StoreError(.storeExists, "\(path) already exists: restore to a new path, or move the old store away first")
        }
        guard !FileManager.default.fileExists(atPath: keyPath(forStore: path)) else {
            throw StoreError(
                .storeExists, "\(keyPath(forStore: path)) already exists: it is the key of another store; move it away, or restore to another path")
        }
        let source = try Store.open(at: backup, options: Options(wallClock: options.wallClock, readOnly: true))
        let old = source.node
        guard node != old else {
            throw StoreError(.badRequest, "a restored store needs a new node id, not \(old): a store copied back under its old id could reuse seqs it already sent (a fork)")
        }
        guard try source.knowledge().highestSeq(of: node) == 0 else {
            throw StoreError(.badRequest, "\(node) already made changes that this backup holds: choose a node id never used before")
        }
        SearchIndex.remove(at: SearchIndex.path(for: path))
        try source.backup(to: path)
        do {
            let restored = try Store.open(at: path, options: options)
            let wall = options.wallClock()
            let drift = options.driftMilliseconds
            try restored.writeTransaction { db in
                // The clock goes on from the highest stamp the store holds (the old identity's
                // last change included, which the store row does not keep), as if each origin's
                // last change had just been received: the new identity's stamps never fall below
                // the old one's.
                let ledger = try Ledger(db)
                for (chain, entry) in ledger.knowledge.entries {
                    guard let body = try Data.fetchOne(db, sql: "SELECT body FROM change WHERE origin = ? AND seq = ?", arguments: [chain.origin.rawValue, Int64(entry.seq)])
                    else { continue }
                    ledger.clock.receive(try Change(canonical: body).hlc, wallMilliseconds: wall, driftMilliseconds: drift)
                }
                try db.execute(
                    sql: "UPDATE store SET node = ?, clock = ? WHERE id = 1", arguments: [node.rawValue, Int64(bitPattern: ledger.clock.last.rawValue)])
            }
            restored.updateCachedNode(node)
            // A new identity, a new key: the old one stays with the old identity's key file. (A
            // backup made before keys got one for the old id when it was opened above.)
            try? FileManager.default.removeItem(atPath: restored.keyPath)
            try restored.forgetPublicKey()
            try restored.makeKeyIfMissing()
            return restored
        } catch {
            for suffix in ["", "-wal", "-shm", ".key"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            throw error
        }
    }
}
