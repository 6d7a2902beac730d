public import DaftarModel
import Foundation
internal import GRDB

/// What discarding a fork's branch did.
public struct ReissueReport: Sendable, Hashable {
    /// The origin whose history forked.
    public var origin: NodeID
    /// The first seq of the discarded branch.
    public var fromSeq: UInt64
    /// The node id the branch's changes were re-issued under.
    public var newNode: NodeID
    /// How many changes were re-issued.
    public var reissued: Int
    /// Entries created on the discarded branch, with their new ids.
    public var renamed: [RecordID: RecordID]
    /// Whether this store itself took the new node id (it was the origin).
    public var tookNewIdentity: Bool
}

extension Store {
    /// The hashes of an origin's changes held here for the seqs in `range`, of the scopes
    /// `scopes` accepts, in seq order.
    public func chainHashes(
        of origin: NodeID, in range: ClosedRange<UInt64>, scopes: (Scope) -> Bool = { _ in true }
    ) throws(StoreError) -> [UInt64: ContentHash] {
        try read { db in
            var out: [UInt64: ContentHash] = [:]
            let rows = try Row.fetchCursor(
                db,
                sql: "SELECT c.seq, substr(c.body, -32) AS hash, r.scope FROM change c JOIN record r ON r.num = c.record WHERE c.origin = ? AND c.seq BETWEEN ? AND ? ORDER BY c.seq",
                arguments: [origin.rawValue, Int64(range.lowerBound), Int64(min(range.upperBound, UInt64(Int64.max)))])
            while let row = try rows.next() {
                guard scopes(try Scope(row["scope"] as String)) else { continue }
                out[UInt64(row["seq"] as Int64)] = try ContentHash(bytes: [UInt8](row["hash"] as Data))
            }
            return out
        }
    }

    /// The first seq of `origin` at which this store's history differs from `other` (another
    /// node's hashes for the same origin); nil when they agree wherever both hold a change.
    public func firstDifference(of origin: NodeID, comparedWith other: [UInt64: ContentHash]) throws(StoreError) -> UInt64? {
        guard let high = other.keys.max() else { return nil }
        let mine = try chainHashes(of: origin, in: 1...high)
        return other.keys.sorted().first { seq in mine[seq].map { $0 != other[seq] } ?? false }
    }

    /// The node id under which a discarded branch starting with the change hashed `firstHash` is
    /// re-issued: the origin's id and eight hex digits of that hash. Every store that discards
    /// the same branch derives the same id and the same changes, so they converge.
    public static func reissueNode(for origin: NodeID, firstHash: ContentHash) -> NodeID {
        var base = String(origin.rawValue.prefix(Limits.nodeIDLength - 9))
        while base.hasSuffix("-") { base.removeLast() }
        return try! NodeID(base + "-" + String(firstHash.hex.prefix(8)))
    }

    /// The operator's fork recovery on a store holding the branch that does not live: the
    /// changes of `origin` from `seq` on are taken out of this store and re-issued, with their
    /// content, officers, times and stamps, under a new node id (``reissueNode(for:firstHash:)``);
    /// entries they created get ids of the new node. If this store is `origin` itself, it
    /// continues as the new node. Nothing is lost: the kept branch arrives by sync, the re-issued
    /// changes leave by sync.
    ///
    /// Refused when another office made changes on top of the discarded branch, since those
    /// cannot be re-issued in its name; the message names them.
    public func discardBranch(of origin: NodeID, from seq: UInt64) throws(StoreError) -> ReissueReport {
        let report: ReissueReport = try writeTransaction { db in
            let ledger = try Ledger(db)
            let top = ledger.highest[origin] ?? 0
            guard seq >= 1, seq <= top else {
                throw StoreError(.badRequest, "this store holds changes of \(origin) up to \(top); a branch to discard starts between 1 and \(top)")
            }
            guard let firstOrd = try Int64.fetchOne(db, sql: "SELECT ord FROM change WHERE origin = ? AND seq = ?", arguments: [origin.rawValue, Int64(seq)]) else {
                throw StoreError(.inconsistent, "change \(origin):\(seq) is missing from the log")
            }
            // The branch, and a check that nobody else built on it.
            var branch: [(ord: Int64, change: Change)] = []
            var tainted: [Dot] = []
            let rows = try Row.fetchCursor(db, sql: "SELECT ord, body FROM change WHERE ord >= ? ORDER BY ord", arguments: [firstOrd])
            while let row = try rows.next() {
                let change = try Change(canonical: [UInt8](row["body"] as Data))
                if change.dot.origin == origin {
                    if change.dot.seq >= seq { branch.append((row["ord"], change)) }
                } else if change.vector[origin] >= seq {
                    tainted.append(change.dot)
                }
            }
            guard tainted.isEmpty else {
                throw StoreError(
                    .badRequest,
                    "changes \(tainted.prefix(5).map(\.description).joined(separator: ", ")) by other offices were made on top of \(origin)'s branch from seq \(seq); they cannot be re-issued in those offices' names, so this store keeps the branch. Discard the other branch instead, on the stores that hold it"
                )
            }
            branch.sort { $0.change.dot.seq < $1.change.dot.seq }
            let newNode = Self.reissueNode(for: origin, firstHash: branch[0].change.hash)
            // Another store may have re-issued this branch already and synced it here: the same
            // changes, which this store then keeps as they are.
            let alreadyHeld = ledger.highest[newNode] ?? 0
            // Re-issue, deterministically.
            func mapRecord(_ id: RecordID) -> RecordID {
                id.dot.origin == origin && id.dot.seq >= seq ? RecordID(Dot(origin: newNode, seq: id.dot.seq - seq + 1)) : id
            }
            var reissued: [Change] = []
            var renamed: [RecordID: RecordID] = [:]
            // Each scope's chain of the new node starts with the branch's first change in it.
            var previous: [Scope: ChainLink] = [:]
            for (_, old) in branch {
                var vector = old.vector
                let reached = vector[origin]
                if reached >= seq {
                    vector[newNode] = reached - seq + 1
                    vector[origin] = seq - 1
                }
                let record = mapRecord(old.record)
                if record != old.record { renamed[old.record] = record }
                let change = try Change(
                    dot: Dot(origin: newNode, seq: old.dot.seq - seq + 1), record: record, kind: old.kind, operation: old.operation,
                    fields: old.fields, vector: vector, hlc: old.hlc, officer: old.officer, wallTime: old.wallTime, scope: old.scope,
                    prev: previous[old.scope] ?? .start, format: old.format)
                previous[old.scope] = ChainLink(seq: change.dot.seq, hash: change.hash)
                reissued.append(change)
            }
            // Take the branch out and rebuild what it touched.
            let touched = Set(try Int64.fetchAll(db, sql: "SELECT DISTINCT record FROM change WHERE origin = ? AND seq >= ?", arguments: [origin.rawValue, Int64(seq)]))
            try db.execute(sql: "DELETE FROM change WHERE origin = ? AND seq >= ?", arguments: [origin.rawValue, Int64(seq)])
            for num in touched { try Self.rebuild(record: num, db) }
            // The origin's chains end where the branch began.
            try db.execute(sql: "DELETE FROM knowledge WHERE origin = ?", arguments: [origin.rawValue])
            try db.execute(
                sql: """
                    INSERT INTO knowledge (origin, scope, seq, hash, held)
                    SELECT c.origin, r.scope, max(c.seq), substr(c.body, -32), count(*) FROM change c JOIN record r ON r.num = c.record
                    WHERE c.origin = ? GROUP BY r.scope
                    """, arguments: [origin.rawValue])
            try ledger.reload()
            for change in reissued {
                if change.dot.seq <= alreadyHeld {
                    guard try ledger.heldHash(change.dot) == change.hash else {
                        throw StoreError(.inconsistent, "\(newNode) already holds a different change \(change.dot): this branch cannot be re-issued here; ask for support")
                    }
                    continue
                }
                try ledger.integrate(change, encoded: try change.canonicalEncoding())
            }
            try Self.endForks(of: origin, db)
            // The log was rewritten from the branch on, not appended to: in the same transaction,
            // a new generation, so that the index (in its own file, and perhaps kept by another
            // process) starts again from the whole log whenever it next catches up.
            try db.execute(sql: "UPDATE store SET log_generation = log_generation + 1 WHERE id = 1")
            let tookNewIdentity = ledger.node == origin
            if tookNewIdentity {
                try db.execute(sql: "UPDATE store SET node = ? WHERE id = 1", arguments: [newNode.rawValue])
            }
            try ledger.finish()
            return ReissueReport(origin: origin, fromSeq: seq, newNode: newNode, reissued: reissued.count, renamed: renamed, tookNewIdentity: tookNewIdentity)
        }
        if report.tookNewIdentity {
            updateCachedNode(report.newNode)
            // Its key goes on signing, under the new id.
            try renameKeyFile(to: report.newNode)
        }
        return report
    }

    /// Forgets a fork of `origin` on a store whose branch is the one that lives, once the stores
    /// holding the other branch have discarded it.
    /// Returns false when no fork of `origin` was recorded here.
    @discardableResult
    public func keepBranch(of origin: NodeID) throws(StoreError) -> Bool {
        try writeTransaction { db in
            try Self.endForks(of: origin, db)
            return db.changesCount > 0
        }
    }

    /// Ends the forks of `origin` recorded here, remembering those kept with a proof: the same
    /// proof, sent again by a peer that has not recovered yet, is not kept again.
    static func endForks(of origin: NodeID, _ db: Database) throws {
        try db.execute(
            sql: """
                INSERT OR IGNORE INTO fork_recovered (origin, seq, first_hash, second_hash, recovered_at)
                SELECT origin, seq, local_hash, remote_hash, CAST(strftime('%s', 'now') AS INTEGER) * 1000 FROM fork WHERE origin = ? AND proof IS NOT NULL
                """, arguments: [origin.rawValue])
        try db.execute(sql: "DELETE FROM fork WHERE origin = ?", arguments: [origin.rawValue])
    }

    /// Rebuilds one record's state from the changes of it that the log holds;
    /// removes the record when none are left.
    static func rebuild(record num: Int64, _ db: Database) throws {
        let ledger = try Ledger(db)
        guard let oldBlob = try Data.fetchOne(db, sql: "SELECT state FROM record WHERE num = ?", arguments: [num]) else { return }
        let old = try RecordState(encoded: oldBlob)
        let bodies = try Data.fetchAll(db, sql: "SELECT body FROM change WHERE record = ? ORDER BY ord", arguments: [num])
        var state: RecordState?
        for body in bodies {
            let change = try Change(canonical: [UInt8](body))
            if state == nil { state = RecordState(id: old.id, kind: old.kind) }
            state!.apply(change)
        }
        let wasLive = old.isDeleted ? 0 : 1
        if let state {
            ledger.count(old.kind, live: (state.isDeleted ? 0 : 1) - wasLive, total: 0)
        } else {
            ledger.count(old.kind, live: -wasLive, total: -1)
        }
        try ledger.finish()
        if let state {
            try db.execute(
                sql: "UPDATE record SET deleted = ?, conflict = ?, state = ? WHERE num = ?",
                arguments: [state.isDeleted, state.inConflict, Data(state.encoded()), num])
        } else {
            try db.execute(sql: "DELETE FROM record WHERE num = ?", arguments: [num])
        }
    }
}

// MARK: Fork proofs (DESIGN's definition of a fork)

extension Store {
    /// The run of this store's log that proves the change at `dot`: its header and those after
    /// it in its chain, up to the first that carries a signature this store verified (or made).
    /// Nil when the change is of format 1, or no signature held covers it.
    static func signedRun(_ db: Database, covering dot: Dot) throws -> SignedRun? {
        guard let scope = try String.fetchOne(
            db, sql: "SELECT r.scope FROM change c JOIN record r ON r.num = c.record WHERE c.origin = ? AND c.seq = ?",
            arguments: [dot.origin.rawValue, Int64(dot.seq)])
        else { return nil }
        let rows = try Row.fetchCursor(
            db,
            sql: "SELECT c.body, c.signature FROM change c JOIN record r ON r.num = c.record WHERE c.origin = ? AND r.scope = ? AND c.seq >= ? ORDER BY c.seq LIMIT ?",
            arguments: [dot.origin.rawValue, scope, Int64(dot.seq), Limits.signedRunChanges])
        var headers: [ChangeHeader] = []
        while let row = try rows.next() {
            guard let header = try Change(canonical: [UInt8](row["body"] as Data)).header() else { return nil }
            headers.append(header)
            if let signature = row["signature"] as Data? {
                // A run this store cannot make (a gap in its chain) proves nothing here; it does
                // not stop the exchange.
                return try? SignedRun(headers: headers, signature: ChangeSignature(stored: [UInt8](signature)))
            }
        }
        return nil
    }

    /// The keys whose signatures count for `origin`'s changes here: those the registry binds
    /// to it, the root's (which covers chains from before signatures), and this store's own
    /// when `origin` is this node.
    static func keys(_ db: Database, for origin: NodeID) throws -> [ContentHash: BoundKey] {
        var keys = try boundKeys(db, of: [origin])[origin] ?? [:]
        if let row = try Row.fetchOne(db, sql: "SELECT node, root_key, public_key FROM store WHERE id = 1") {
            if let raw = row["root_key"] as Data? {
                let root = try PublicKey(raw: [UInt8](raw))
                keys[root.fingerprintHash] = BoundKey(key: root)
            }
            if row["node"] as String == origin.rawValue, let raw = row["public_key"] as Data? {
                let own = try PublicKey(raw: [UInt8](raw))
                keys[own.fingerprintHash] = BoundKey(key: own)
            }
        }
        return keys
    }

    /// Whether a run's signature verifies with a key that counts for its origin at its seq.
    static func verifies(_ run: SignedRun, keys: [ContentHash: BoundKey]) -> Bool {
        guard let key = keys[run.signature.key], key.covers(run.signed.dot.seq) else { return false }
        return run.signature.verifies(run.signed.hash, with: key.key)
    }

    /// Keeps a fork with its proof, once both runs verify against the keys this store knows for
    /// the origin: a row per chain it refuses. `proof.first` is this store's run. Returns the
    /// forks kept, or nil when the proof does not verify (nothing is kept).
    static func keep(_ proof: ForkProof, _ db: Database, now: Int64) throws -> [ForkReport]? {
        // A node the registry ever bound to two keys: whoever holds either key could sign
        // headers in its name, so no proof of it counts (its key fork stops it already).
        if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM key_fork WHERE node = ?)", arguments: [proof.origin.rawValue]) == true { return nil }
        let keys = try keys(db, for: proof.origin)
        guard verifies(proof.first, keys: keys), verifies(proof.second, keys: keys) else { return nil }
        // A fork already recovered here, proven again by a peer that has not recovered yet.
        let recovered = try Bool.fetchOne(
            db,
            sql: """
                SELECT EXISTS (SELECT 1 FROM fork_recovered WHERE origin = ? AND seq = ?
                  AND ((first_hash = ? AND second_hash = ?) OR (first_hash = ? AND second_hash = ?)))
                """,
            arguments: [
                proof.origin.rawValue, Int64(proof.dot.seq), Data(proof.firstHash.bytes), Data(proof.secondHash.bytes), Data(proof.secondHash.bytes),
                Data(proof.firstHash.bytes),
            ])
        if recovered == true { return [] }
        let encoded = try JSONEncoder().encode(proof)
        let scopes = proof.scopes.map(\.rawValue).sorted().joined(separator: " ")
        var kept: [ForkReport] = []
        for chain in proof.chains.sorted() {
            try db.execute(
                sql: """
                    INSERT INTO fork (origin, scope, seq, local_hash, remote_hash, proof, proof_scopes, detected_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (origin, scope) DO UPDATE SET seq = excluded.seq, local_hash = excluded.local_hash, remote_hash = excluded.remote_hash,
                      proof = excluded.proof, proof_scopes = excluded.proof_scopes
                    WHERE proof IS NULL OR excluded.seq < seq
                    """,
                arguments: [chain.origin.rawValue, chain.scope.rawValue, Int64(proof.dot.seq), Data(proof.firstHash.bytes), Data(proof.secondHash.bytes), encoded, scopes, now])
            if db.changesCount > 0 {
                kept.append(ForkReport(dot: proof.dot, localHash: proof.firstHash, remoteHash: proof.secondHash, scope: chain.scope, proven: true))
            }
        }
        return kept
    }

    /// The proof kept for a fork of `chain`, if any.
    public func forkProof(of chain: Chain) throws(StoreError) -> ForkProof? {
        try read { db in
            guard let data = try Data.fetchOne(db, sql: "SELECT proof FROM fork WHERE origin = ? AND scope = ?", arguments: [chain.origin.rawValue, chain.scope.rawValue]) else { return nil }
            return try JSONDecoder().decode(ForkProof.self, from: data)
        }
    }
}

extension Store {
    /// At most this many signed runs or fork proofs go in one request or answer.
    public static let forkEvidencePerExchange = 32

    /// This store's signed runs at the dots where a peer's knowledge differs from its history
    /// (`reports`, found comparing it), of the scopes `scopes` accepts: with them the peer,
    /// holding the other branch, can prove the fork.
    public func forkEvidence(for reports: [ForkReport], scopes: (Scope) -> Bool) throws(StoreError) -> [SignedRun] {
        guard !reports.isEmpty else { return [] }
        return try read { db in
            var runs: [SignedRun] = []
            for report in reports where report.scope.map(scopes) ?? false {
                guard runs.count < Self.forkEvidencePerExchange, let run = try Self.signedRun(db, covering: report.dot), scopes(run.chain.scope),
                    !runs.contains(run)
                else { continue }
                runs.append(run)
            }
            return runs
        }
    }

    /// Takes a peer's signed runs (its history where this store's knowledge differs from it):
    /// each that verifies against the origin's keys and conflicts with this store's history
    /// makes a fork proof with this store's own run, which is kept. Returns the forks kept.
    @discardableResult
    public func takeForkEvidence(_ runs: [SignedRun], scopes: (Scope) -> Bool) throws(StoreError) -> [ForkReport] {
        let runs = runs.prefix(Self.forkEvidencePerExchange).filter { scopes($0.chain.scope) }
        guard !runs.isEmpty else { return [] }
        let now = Int64(options.wallClock())
        return try writeTransaction { db in
            let ledger = try Ledger(db)
            var kept: [ForkReport] = []
            for run in runs {
                guard Self.verifies(run, keys: try Self.keys(db, for: run.chain.origin)), let local = try Self.conflicting(run, ledger) else { continue }
                guard let mine = try Self.signedRun(db, covering: local), let proof = try? ForkProof(mine, run) else { continue }
                kept += try Self.keep(proof, db, now: now) ?? []
            }
            return kept
        }
    }

    /// The change this store holds that `run` contradicts: one at a dot the run gives another
    /// hash, or one that follows a `prev` the run names with another change after it.
    static func conflicting(_ run: SignedRun, _ ledger: Ledger) throws -> Dot? {
        let first = run.headers[0]
        if first.prev.seq > 0, let held = try ledger.heldHash(Dot(origin: first.dot.origin, seq: first.prev.seq)), held != first.prev.hash {
            return Dot(origin: first.dot.origin, seq: first.prev.seq)
        }
        for header in run.headers {
            if let held = try ledger.heldHash(header.dot), held != header.hash { return header.dot }
            if let next = try ledger.next(in: header.chain, after: header.prev.seq), next.hash != header.hash {
                let before = header.prev.seq == 0 ? ContentHash.zero : try ledger.heldHash(Dot(origin: header.dot.origin, seq: header.prev.seq))
                if before == header.prev.hash { return next.dot }
            }
        }
        return nil
    }

    /// Takes fork proofs a peer kept: each whose scopes `scopes` accepts all of and whose runs
    /// verify against the origin's keys here is kept (this store's own branch first, when it
    /// holds one). Returns the forks newly kept.
    @discardableResult
    public func takeForkProofs(_ proofs: [ForkProof], scopes: (Scope) -> Bool) throws(StoreError) -> [ForkReport] {
        let proofs = proofs.prefix(Self.forkEvidencePerExchange).filter { $0.scopes.allSatisfy(scopes) }
        guard !proofs.isEmpty else { return [] }
        let now = Int64(options.wallClock())
        return try writeTransaction { db in
            let ledger = try Ledger(db)
            var kept: [ForkReport] = []
            for var proof in proofs {
                // Already kept with a proof for every chain it names: nothing new.
                let known = try proof.chains.allSatisfy { chain in
                    try Bool.fetchOne(db, sql: "SELECT proof IS NOT NULL FROM fork WHERE origin = ? AND scope = ?", arguments: [chain.origin.rawValue, chain.scope.rawValue]) ?? false
                }
                if known { continue }
                if try ledger.heldHash(proof.dot) == proof.secondHash, let mine = try? ForkProof(proof.second, proof.first) { proof = mine }
                kept += try Self.keep(proof, db, now: now) ?? []
            }
            return kept
        }
    }

    /// The fork proofs this store keeps whose every scope `scopes` accepts, for a peer that may
    /// read them all (DESIGN: a proof travels only there).
    /// `excluding`: proofs the peer holds or was sent already. At most
    /// ``forkEvidencePerExchange``, taken in a random order, so that with more than that every
    /// proof still travels over a few exchanges.
    public func forkProofs(scopes: (Scope) -> Bool, excluding: Set<ForkProof> = []) throws(StoreError) -> [ForkProof] {
        try read { db in
            var out: [ForkProof] = []
            for data in try Data.fetchAll(db, sql: "SELECT proof FROM fork WHERE proof IS NOT NULL ORDER BY random()") {
                let proof = try JSONDecoder().decode(ForkProof.self, from: data)
                // Either way round: a peer may keep its own branch first.
                let swapped = try? ForkProof(proof.second, proof.first)
                guard proof.scopes.allSatisfy(scopes), !excluding.contains(proof), !(swapped.map(excluding.contains) ?? false), !out.contains(proof) else { continue }
                out.append(proof)
                if out.count == Self.forkEvidencePerExchange { break }
            }
            return out
        }
    }
}
