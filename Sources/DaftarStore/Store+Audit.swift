public import DaftarModel
import Foundation
internal import GRDB

/// What `daftar audit` found: every change, chain, knowledge entry and registry statement of a
/// store checked again, from one consistent snapshot (so it can run while the node serves).
public struct AuditReport: Sendable, Codable {
    /// One chain: an origin's changes in one scope.
    public struct ChainAudit: Sendable, Codable {
        public var origin: String
        public var scope: String
        public var first: UInt64
        public var last: UInt64
        public var changes: Int
        public var headHash: String
        public var void: Int
        /// The fingerprint of the key of the chain's last signature; nil when none of its
        /// changes carries one (held from before signatures, or taken without a root).
        public var signedBy: String?
        /// Changes after the chain's last signature: vouched for by no signature held here.
        public var unsignedTail: Int
    }

    /// Void changes of one chain, and why (DESIGN promise 14).
    public struct VoidAudit: Sendable, Codable {
        public var origin: String
        public var scope: String
        public var changes: Int
        public var first: UInt64
        public var last: UInt64
        public var reason: String
    }

    /// A fork kept here (DESIGN's definition): its chain, the dot, and whether it is kept with a
    /// proof that verifies.
    public struct ForkAudit: Sendable, Codable {
        public var origin: String
        /// Nil for a fork kept before proofs, of the whole origin.
        public var scope: String?
        public var seq: UInt64
        public var proven: Bool
    }

    public var node: String
    public var store: String
    /// When the audit read the store, in milliseconds since 1970 UTC.
    public var auditedAt: Int64
    public var schema: String
    /// This node's key fingerprint, when it has made its key.
    public var keyFingerprint: String?
    /// The central node whose registry statements count here, when known.
    public var root: String?
    /// The root key's fingerprint, when known: every key statement is the root's.
    public var rootFingerprint: String?
    /// The key statements of the registry: node and fingerprint.
    public var keys: [String: [String]]
    /// Signatures held, each verified again with the key the registry binds to its origin.
    public var signatures: Int
    public var changes: Int
    /// Records held (entries, and registry statements), each computed again from its changes.
    public var entries: Int
    public var chains: [ChainAudit]
    public var voidChanges: [VoidAudit]
    /// Forks kept here, each proof checked again against the origin's keys.
    public var forks: [ForkAudit] = []
    /// Grant statements the registry holds, each read back.
    public var grants: Int
    /// Everything that does not verify, each naming what and where.
    public var problems: [String]

    public var verified: Bool { problems.isEmpty }
}

extension Store {
    /// Checks every change again: that its bytes read back and hash to the hash it carries,
    /// that every record's stored state is what its changes that count make (so an entry
    /// altered in the file is found),
    /// that it is stored under its own dot and in its record's scope, that each links to the one
    /// before it in its chain (`prev`: seq and hash) from the chain's start, that knowledge names
    /// each chain's head and count, and that a change is marked void exactly when the registry
    /// held here makes it so. Reads one snapshot.
    public func audit() throws(StoreError) -> AuditReport {
        let now = Int64(options.wallClock())
        let key = try publicKey()
        let rootKey = try rootKey()
        return try read { db in
            let ledger = try Ledger(db)
            var problems: [String] = []
            struct Head {
                var first: UInt64
                var last: UInt64
                var hash: ContentHash
                var count: Int
                var void: Int
                var signedBy: String?
                var unsignedTail: Int
            }
            var heads: [Chain: Head] = [:]
            var count = 0
            // The keys every signature is checked with: those the registry binds, the root's,
            // and this node's own.
            var bound: [NodeID: [ContentHash: BoundKey]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT node, key, valid_below FROM key_binding") {
                guard let node = try? NodeID(row["node"] as String), let key = try? PublicKey(raw: [UInt8](row["key"] as Data)) else {
                    problems.append("a key statement of the registry cannot be read")
                    continue
                }
                bound[node, default: [:]][key.fingerprintHash] = BoundKey(key: key, validBelow: (row["valid_below"] as Int64?).map { UInt64(max(0, $0)) })
            }
            if let root = ledger.root, let rootKey { bound[root, default: [:]][rootKey.fingerprintHash] = BoundKey(key: rootKey) }
            if let key { bound[node, default: [:]][key.fingerprintHash] = BoundKey(key: key) }
            var signatures = 0
            let rows = try Row.fetchCursor(
                db, sql: "SELECT c.origin, c.seq, c.body, c.void, c.signature, r.scope FROM change c LEFT JOIN record r ON r.num = c.record ORDER BY c.origin, c.seq")
            while let row = try rows.next() {
                count += 1
                let origin: String = row["origin"]
                let seq: Int64 = row["seq"]
                let where_ = "change \(origin):\(seq)"
                let change: Change
                do {
                    change = try Change(canonical: [UInt8](row["body"] as Data))
                    try change.validate()
                } catch {
                    problems.append("\(where_) does not verify: \((error as? ValidationError)?.message ?? "\(error)")")
                    continue
                }
                guard change.dot.origin.rawValue == origin, change.dot.seq == UInt64(seq) else {
                    problems.append("\(where_) is stored under another dot than its own (\(change.dot))")
                    continue
                }
                guard let recordScope = row["scope"] as String? else {
                    problems.append("\(where_) names an entry the store does not hold")
                    continue
                }
                if change.scope.rawValue != recordScope {
                    problems.append("\(where_) is of scope \(change.scope) but its entry is in \(recordScope)")
                }
                let chain = change.chain
                let expected = heads[chain].map { ChainLink(seq: $0.last, hash: $0.hash) } ?? .start
                if change.prev != expected {
                    problems.append(
                        "\(where_) links to \(change.prev.seq == 0 ? "the chain's start" : "\(change.prev.seq) (\(change.prev.hash))") but the change before it in \(chain) is \(expected.seq == 0 ? "none" : "\(expected.seq) (\(expected.hash))")"
                    )
                }
                var signedBy: String?
                if let stored = row["signature"] as Data? {
                    signatures += 1
                    if let signature = try? ChangeSignature(stored: [UInt8](stored)) {
                        // The root's key counts for every origin (its cover of chains from
                        // before signatures).
                        let rootCover = rootKey.flatMap { $0.fingerprintHash == signature.key ? BoundKey(key: $0) : nil }
                        if let key = bound[change.dot.origin]?[signature.key] ?? rootCover {
                            if !key.covers(change.dot.seq) {
                                problems.append("\(where_) is signed by \(change.dot.origin)'s key \(key.key.fingerprint.prefix(16))…, which a rotation replaced before it")
                            } else if signature.verifies(change.hash, with: key.key) {
                                signedBy = key.key.fingerprint
                            } else {
                                problems.append("\(where_)'s signature does not verify with \(change.dot.origin)'s key \(key.key.fingerprint.prefix(16))…: it was altered")
                            }
                        } else {
                            problems.append("\(where_) is signed by key \(signature.key.hex.prefix(16))…, which the registry here does not bind to \(change.dot.origin)")
                        }
                    } else {
                        problems.append("\(where_)'s stored signature cannot be read")
                    }
                }
                let void = (row["void"] as Int64? ?? 0) != 0
                let judged = try ledger.isVoid(change)
                if void != judged {
                    problems.append("\(where_) is marked \(void ? "void" : "valid") but the registry held here makes it \(judged ? "void" : "valid")")
                }
                if var head = heads[chain] {
                    head.last = change.dot.seq
                    head.hash = change.hash
                    head.count += 1
                    head.void += void ? 1 : 0
                    if let signedBy {
                        head.signedBy = signedBy
                        head.unsignedTail = 0
                    } else {
                        head.unsignedTail += 1
                    }
                    heads[chain] = head
                } else {
                    heads[chain] = Head(
                        first: change.dot.seq, last: change.dot.seq, hash: change.hash, count: 1, void: void ? 1 : 0, signedBy: signedBy,
                        unsignedTail: signedBy == nil ? 1 : 0)
                }
            }
            // Knowledge: each chain's head and count, and no chain without changes.
            let knowledge = try Row.fetchAll(db, sql: "SELECT origin, scope, seq, hash, held FROM knowledge")
            var named = Set<Chain>()
            for row in knowledge {
                guard let chain = try? Chain(NodeID(row["origin"] as String), Scope(row["scope"] as String)) else {
                    problems.append("knowledge names a chain that is not one (\(row["origin"] as String? ?? "?") in \(row["scope"] as String? ?? "?"))")
                    continue
                }
                named.insert(chain)
                guard let head = heads[chain] else {
                    problems.append("knowledge names \(chain) at seq \(row["seq"] as Int64), but the store holds none of its changes")
                    continue
                }
                let seq: Int64 = row["seq"]
                let held: Int64 = row["held"]
                let hash = [UInt8](row["hash"] as Data)
                if UInt64(seq) != head.last || hash != head.hash.bytes || Int(held) != head.count {
                    problems.append("knowledge says \(chain) is held to \(seq) (\(held) changes), but its changes end at \(head.last) (\(head.count) changes)")
                }
            }
            for chain in heads.keys where !named.contains(chain) {
                problems.append("\(chain) has changes held but knowledge does not name it")
            }
            // Every entry as the merge rule makes it from its changes that count, in apply order:
            // its stored state, deleted mark and whether it is shown must be what that gives.
            var entries = 0
            let records = try Row.fetchCursor(db, sql: "SELECT num, id, state, hidden, deleted FROM record ORDER BY num")
            let bodies = try Row.fetchCursor(db, sql: "SELECT record, body, void FROM change ORDER BY record, ord")
            var pending = try bodies.next()
            while let record = try records.next() {
                entries += 1
                let num: Int64 = record["num"]
                let id: String = record["id"]
                let stored: RecordState
                do { stored = try RecordState(encoded: record["state"] as Data) } catch {
                    problems.append("entry \(id)'s stored state cannot be read: restore the store from a backup")
                    continue
                }
                var replay = Ledger.Replay(stored)
                var any = false
                while let row = pending, (row["record"] as Int64) <= num {
                    defer { pending = try? bodies.next() }
                    guard (row["record"] as Int64) == num else { continue }
                    guard let change = try? Change(canonical: [UInt8](row["body"] as Data)) else { continue }  // named above
                    any = true
                    replay.take(change, void: (row["void"] as Int64? ?? 0) != 0)
                }
                let (replayed, creationVoid) = (replay.state, replay.creationVoid)
                guard any else {
                    problems.append("entry \(id) has no change that made it")
                    continue
                }
                let hidden = Ledger.Hidden(rawValue: record["hidden"]) ?? .shown
                if replayed != stored {
                    problems.append("entry \(id)'s stored values are not what its changes make: it was altered in the file")
                }
                if (record["deleted"] as Bool) != replayed.isDeleted {
                    problems.append("entry \(id) is marked \(replayed.isDeleted ? "not deleted" : "deleted") but its changes make it \(replayed.isDeleted ? "deleted" : "not deleted")")
                }
                if (hidden == .shown || hidden == .voidCreation), (hidden == .voidCreation) != creationVoid {
                    problems.append("entry \(id) is \(hidden == .shown ? "shown" : "hidden") but the change that made it is \(creationVoid ? "void" : "valid")")
                }
            }
            // The registry's grants, each read back.
            var grants = 0
            do { grants = try ledger.grantRecords().count } catch {
                problems.append("a registry statement cannot be read: \(error)")
            }
            var voids: [AuditReport.VoidAudit] = []
            let chains = heads.sorted { $0.key < $1.key }.map { chain, head in
                AuditReport.ChainAudit(
                    origin: chain.origin.rawValue, scope: chain.scope.rawValue, first: head.first, last: head.last, changes: head.count,
                    headHash: head.hash.hex, void: head.void, signedBy: head.signedBy, unsignedTail: head.unsignedTail)
            }
            for void in try Self.voidChains(db, ledger: ledger) {
                voids.append(
                    AuditReport.VoidAudit(
                        origin: void.chain.origin.rawValue, scope: void.chain.scope.rawValue, changes: void.count, first: void.first, last: void.last,
                        reason: void.reason))
            }
            // Each fork proof kept, checked again: both runs of the origin, signed by keys that
            // count for it here, and disagreeing where the fork is.
            var forks: [AuditReport.ForkAudit] = []
            for row in try Row.fetchAll(db, sql: "SELECT origin, scope, seq, proof FROM fork ORDER BY origin, scope") {
                let origin: String = row["origin"]
                let scope: String = row["scope"]
                let seq = UInt64(max(0, row["seq"] as Int64))
                var proven = false
                if let data = row["proof"] as Data? {
                    let where_ = "the fork of \(origin) in \(scope) at seq \(seq)"
                    if let proof = try? JSONDecoder().decode(ForkProof.self, from: data), let node = try? NodeID(origin) {
                        let keys = try Self.keys(db, for: node)
                        let chain = (try? Scope(scope)).map { Chain(node, $0) }
                        if proof.origin != node || chain.map({ !proof.chains.contains($0) }) ?? true || proof.dot.seq != seq {
                            problems.append("\(where_) is kept with a proof of another fork (\(proof.dot))")
                        } else if !Self.verifies(proof.first, keys: keys) || !Self.verifies(proof.second, keys: keys) {
                            problems.append("\(where_) is kept with a proof whose signatures do not verify with \(origin)'s keys")
                        } else {
                            proven = true
                        }
                    } else {
                        problems.append("\(where_) is kept with a proof that cannot be read")
                    }
                }
                forks.append(AuditReport.ForkAudit(origin: origin, scope: scope.isEmpty ? nil : scope, seq: seq, proven: proven))
            }
            let schema = try String.fetchOne(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY identifier DESC LIMIT 1") ?? "?"
            return AuditReport(
                node: node.rawValue, store: path, auditedAt: now, schema: schema, keyFingerprint: key?.fingerprint, root: ledger.root?.rawValue,
                rootFingerprint: rootKey?.fingerprint,
                keys: Dictionary(grouping: try Row.fetchAll(db, sql: "SELECT node, key FROM key_binding ORDER BY node"), by: { $0["node"] as String }).mapValues { rows in
                    rows.compactMap { try? PublicKey(raw: [UInt8]($0["key"] as Data)).fingerprint }
                }, signatures: signatures,
                changes: count, entries: entries, chains: chains, voidChanges: voids, forks: forks, grants: grants, problems: problems)
        }
    }
}
