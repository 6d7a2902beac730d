public import DaftarModel
import Foundation
internal import GRDB

/// A node the registry binds to two keys, neither replacing the other (DESIGN promise 17): both
/// statements, as this store holds them.
public struct KeyFork: Sendable, Hashable, CustomStringConvertible {
    /// One key statement: who made it (the root, or a hub under a delegation), its dot, the key.
    public struct Statement: Sendable, Hashable {
        public var dot: Dot
        public var key: PublicKey
        /// For a hub's statement: the root's seq of the delegation it relied on.
        public var delegation: UInt64?
    }

    public var node: NodeID
    /// The statement held first, and the one that made the fork.
    public var first: Statement
    public var second: Statement
    /// When this store found it, in milliseconds since 1970 UTC.
    public var detectedAt: Int64
    /// Whether the root revoked the node's key since: its changes are taken again, and what its
    /// keys signed beyond the revocation is void.
    public var revoked: Bool

    /// One line, with both statements.
    public var description: String {
        func statement(_ s: Statement) -> String {
            "key \(s.key.groupedFingerprint) by statement \(s.dot)" + (s.delegation.map { " (a hub, under the delegation of seq \($0))" } ?? "")
        }
        return "KEY FORK \(node): the registry binds it to \(statement(first)) and to \(statement(second)), neither replacing the other; "
            + (revoked
                ? "its key was revoked since, so its changes are taken again and what it signed beyond the revocation counts nowhere"
                : "none of its changes is taken until the central node revokes its key (daftar node revoke \(node) --keep-through SEQ) and registers the office under a new id")
    }
}

extension Store {
    /// At the central node: lets `hub` bind the keys of `nodes` (DESIGN promise 17) by a
    /// delegation statement in the registry. Returns the statement's seq.
    @discardableResult
    public func writeDelegation(hub: NodeID, nodes: Set<NodeID>, as officer: String) throws(StoreError) -> UInt64 {
        guard !nodes.isEmpty else { throw StoreError(.badRequest, "a delegation names at least one node: --may-vouch ID,ID,...") }
        return try write(as: officer) { tx in
            let ledger = tx.ledger
            guard let root = ledger.root, root == ledger.node else {
                throw StoreError(.badRequest, "delegations are written by the central node alone: run this there")
            }
            if nodes.contains(hub) {
                throw StoreError(.badRequest, "\(hub) cannot vouch for its own key: its key is bound by the central node at its first sync there")
            }
            if nodes.contains(root) {
                throw StoreError(.badRequest, "no hub vouches for the central node's key (\(root)): it is the root")
            }
            let hubs = try Self.delegations(ledger.db, root: root).map(\.delegation.hub)
            if let other = nodes.first(where: { hubs.contains($0) }) {
                throw StoreError(.badRequest, "\(other) is a hub with a delegation of its own: a hub never vouches for another hub; its key is bound by the central node")
            }
            let seq = (ledger.highest[ledger.node] ?? 0) + 1
            let dot = Dot(origin: ledger.node, seq: seq)
            try tx.commitStatement(record: RecordID(dot), kind: Delegation.kind, fields: Delegation(hub: hub, nodes: nodes).fields, vector: VersionVector(dot))
            return seq
        }
    }

    /// The root's delegation statements held here, with their seqs.
    static func delegations(_ db: Database, root: NodeID) throws -> [(seq: UInt64, delegation: Delegation)] {
        let rows = try Row.fetchAll(
            db,
            sql: "SELECT c.seq, c.body FROM change c JOIN record r ON r.num = c.record WHERE c.origin = ? AND r.scope = ? AND r.kind = ? ORDER BY c.seq",
            arguments: [root.rawValue, Scope.registry.rawValue, Delegation.kind.rawValue])
        return try rows.compactMap { row in
            let change = try Change(canonical: [UInt8](row["body"] as Data))
            guard change.operation == .add, let delegation = Delegation(fields: change.fields) else { return nil }
            return (UInt64(row["seq"] as Int64), delegation)
        }
    }

    /// Every delegation the registry holds here: the hubs, and the nodes each may vouch for.
    public func delegations() throws(StoreError) -> [NodeID: Set<NodeID>] {
        try read { db in
            guard let root = try Ledger(db).root else { return [:] }
            var out: [NodeID: Set<NodeID>] = [:]
            for (_, delegation) in try Self.delegations(db, root: root) { out[delegation.hub, default: []].formUnion(delegation.nodes) }
            return out
        }
    }

    /// Whether the key statement `change` of a hub counts (DESIGN promise 17): a pure function of
    /// the statement and the registry. Nil when the root's change it names is not held yet (the
    /// statement waits for it); otherwise why it does not count, or "" when it does.
    /// `held`: the root's change at a seq, from the batch under way or the store.
    static func judgeHubStatement(_ change: Change, root: NodeID, held: (UInt64) throws -> Change?) rethrows -> String? {
        guard change.kind == KeyBinding.kind, change.operation == .add else {
            return "it is a registry statement of kind \(change.kind) by \(change.dot.origin), and a hub writes key statements alone"
        }
        guard let binding = KeyBinding(fields: change.fields) else { return "it is not a key statement of this release" }
        guard let seq = binding.delegation else { return "it is a key statement by \(change.dot.origin), which is not the root, and names no delegation" }
        guard let made = try held(seq) else { return nil }
        guard made.scope == .registry, made.kind == Delegation.kind, made.operation == .add, let delegation = Delegation(fields: made.fields),
            delegation.hub == change.dot.origin
        else {
            return "it names \(root):\(seq) as its delegation, which is not a delegation to \(change.dot.origin)"
        }
        guard delegation.nodes.contains(binding.node), binding.node != root, binding.node != change.dot.origin else {
            return "\(change.dot.origin)'s delegation \(root):\(seq) does not let it vouch for \(binding.node)"
        }
        return ""
    }

    /// The root's change at `seq`, when held here.
    static func rootChange(_ db: Database, root: NodeID, seq: UInt64) throws -> Change? {
        guard let body = try Data.fetchOne(db, sql: "SELECT body FROM change WHERE origin = ? AND seq = ?", arguments: [root.rawValue, Int64(clamping: seq)]) else { return nil }
        return try Change(canonical: [UInt8](body))
    }

    /// The key forks this store holds, by node.
    public func keyForks() throws(StoreError) -> [KeyFork] {
        try read { db in try Self.keyForks(db) }
    }

    static func keyForks(_ db: Database) throws -> [KeyFork] {
        let ledger = try Ledger(db)
        func statement(_ num: Int64) throws -> KeyFork.Statement? {
            guard let body = try Data.fetchOne(db, sql: "SELECT body FROM change WHERE record = ? ORDER BY ord LIMIT 1", arguments: [num]) else { return nil }
            let change = try Change(canonical: [UInt8](body))
            guard let binding = KeyBinding(fields: change.fields) else { return nil }
            return KeyFork.Statement(dot: change.dot, key: binding.key, delegation: binding.delegation)
        }
        var out: [KeyFork] = []
        for row in try Row.fetchAll(db, sql: "SELECT node, first_record, second_record, detected_at FROM key_fork ORDER BY node, second_record") {
            let node = try NodeID(row["node"] as String)
            guard let first = try statement(row["first_record"]), let second = try statement(row["second_record"]) else { continue }
            let revoked = try ledger.judgingGrant(of: node).revokedThrough != nil
            out.append(KeyFork(node: node, first: first, second: second, detectedAt: row["detected_at"], revoked: revoked))
        }
        return out
    }

    /// The nodes whose key is forked and not revoked: no further change of theirs is taken.
    static func blockedByKeyFork(_ db: Database, ledger: Ledger) throws -> Set<NodeID> {
        let forked = try String.fetchAll(db, sql: "SELECT DISTINCT node FROM key_fork").map { try NodeID($0) }
        return Set(try forked.filter { try ledger.judgingGrant(of: $0).revokedThrough == nil })
    }

    /// Whether this node may bind `node`'s key: it is the root, or a hub whose delegation names
    /// the node.
    public func mayVouch(for node: NodeID) throws(StoreError) -> Bool {
        try read { db in
            let ledger = try Ledger(db)
            guard let root = ledger.root else { return false }
            if root == ledger.node { return true }
            return try Self.delegations(db, root: root).contains { $0.delegation.hub == ledger.node && $0.delegation.nodes.contains(node) }
        }
    }
}
