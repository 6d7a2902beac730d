public import DaftarModel
import Foundation
internal import GRDB

/// What a client may read from this node as its server (DESIGN promise 12).
public struct ClientScopes: Sendable {
    /// The scopes this node takes from the client: those the client may read and this node
    /// holds, sorted; never the registry.
    public var taken: [Scope]
    /// Whether the client may read the registry from this node: when this node is the root, or
    /// knows the root the client knows (the root's statements are signed, so any node may pass
    /// them on to a node that verifies them).
    public var registry: Bool
    /// Scopes withdrawn from the client that this node holds: it takes changes of them from the
    /// client (so that the client can push what it holds before deleting), and never sends,
    /// compares or names anything of them beyond what the client named (DESIGN promise 15).
    public var pushed: [Scope] = []

    /// Whether anything of `scope` may be sent to, taken from, compared with or named to the client.
    public func readable(_ scope: Scope) -> Bool { scope == .registry ? registry : taken.contains(scope) }

    /// Whether changes of `scope` are taken from the client.
    public func takes(_ scope: Scope) -> Bool { scope != .registry && (taken.contains(scope) || pushed.contains(scope)) }
}

/// How a grant statement changes a node's grant.
public enum GrantChange: Sendable, Hashable {
    /// The grant written when a node is registered: these scopes, writes counted from seq 1.
    /// `via`: the hub the node is registered for; it reads only what the hub reads, and a scope
    /// withdrawn from the hub is withdrawn from it too.
    case register(read: Set<Scope>, write: Set<Scope>, via: NodeID? = nil)
    /// More scopes: reading, and writing from the node's next seq (above every closure).
    case grant(read: Set<Scope>, write: Set<Scope>)
    /// A scope taken away: no more reading, writing closed at the node's last seq held here.
    case withdraw(Scope)
    /// The node's key revoked (DESIGN promise 17): what it made after seq `keepThrough` is void
    /// everywhere, and its writing never opens again.
    case revoke(keepThrough: UInt64)
}

extension Store {
    /// The central node whose registry statements count here, when known.
    public func root() throws(StoreError) -> NodeID? {
        try read { db in try (String.fetchOne(db, sql: "SELECT root FROM store WHERE id = 1")).map { try NodeID($0) } }
    }

    /// Judges every change held against the registry once, for a store that came through schema
    /// 10 with a registry (it kept every change valid there): the affected entries are computed
    /// again, in one transaction. Later changes are judged as they arrive.
    func judgeVoidOnce() throws(StoreError) {
        let judged = try read { db in try Int64.fetchOne(db, sql: "SELECT void_judged FROM store WHERE id = 1") ?? 1 }
        guard judged == 0 else { return }
        try writeTransaction { db in
            guard try Int64.fetchOne(db, sql: "SELECT void_judged FROM store WHERE id = 1") == 0 else { return }
            let ledger = try Ledger(db)
            if ledger.root != nil {
                for origin in Set(ledger.highest.keys).sorted() { try ledger.revalidate(origin) }
                try ledger.finish()
            }
            try db.execute(sql: "UPDATE store SET void_judged = 1 WHERE id = 1")
        }
    }

    /// Sets where `add` puts entries that name no scope before a grant names one (`--scope`
    /// when the store is made).
    public func setDefaultScope(_ scope: Scope) throws(StoreError) {
        guard scope != .registry else { throw StoreError(.badRequest, "entries cannot be recorded in the registry: choose another scope") }
        try writeTransaction { db in try db.execute(sql: "UPDATE store SET default_scope = ? WHERE id = 1", arguments: [scope.rawValue]) }
    }

    /// `node`'s grant, when the registry here holds one.
    public func grant(of node: NodeID) throws(StoreError) -> Grant? {
        try read { db in try Ledger(db).grant(of: node)?.grant }
    }

    /// What `client` may read from this node as its server: its grant (general for a node with
    /// none), within what this node holds. `named`: the scopes the client's request names in its
    /// knowledge; those it may not read (withdrawn, or held from before its grant arrived) are
    /// taken from it for pushing, never sent.
    /// `clientRoot`: the root the client knows; a node that knows the same root sends it the
    /// registry (its statements are signed, so any node may pass them on).
    public func scopes(readableBy client: NodeID, named: Set<Scope> = [], clientRoot: NodeID? = nil) throws(StoreError) -> ClientScopes {
        try read { db in
            let ledger = try Ledger(db)
            let grant = try ledger.grant(of: client)?.grant ?? .general(client)
            let holds = try ledger.heldScopes()
            let taken = grant.read.filter { $0 != .registry && (holds?.contains($0) ?? true) }.sorted()
            // Withdrawn, or once written and no longer read: what the client may still hold of it.
            let pushed = grant.withdrawn.union(grant.write.keys).union(named).subtracting(grant.read).filter { $0 != .registry && (holds?.contains($0) ?? true) }
                .sorted()
            let registry = ledger.root != nil && (ledger.root == ledger.node || clientRoot == ledger.root)
            return ClientScopes(taken: taken, registry: registry, pushed: pushed)
        }
    }

    /// Every grant the registry holds here, by node.
    public func grants() throws(StoreError) -> [NodeID: Grant] {
        try read { db in try Ledger(db).grantRecords().mapValues(\.grant) }
    }

    /// The scopes this node holds: nil for every scope (the central node); otherwise its grant's
    /// read scopes, or general and its default scope before it knows a grant. The registry is
    /// held by every node, and is not listed.
    public func heldScopes() throws(StoreError) -> Set<Scope>? {
        try read { db in try Ledger(db).heldScopes() }
    }

    /// Where `add` puts an entry that names no scope.
    public func scopeForNewEntries() throws(StoreError) -> Scope {
        try read { db in try Ledger(db).scopeForNewEntries() }
    }

    /// Writes a grant statement into the registry: the central node alone does, and becomes the
    /// root by writing the first. Returns the node's grant after it.
    @discardableResult
    public func writeGrant(for node: NodeID, _ change: GrantChange, as officer: String) throws(StoreError) -> Grant {
        try writeGrants(for: node, change, as: officer)[0]
    }

    /// As ``writeGrant(for:_:as:)``, and returns every grant written: the node's first, then,
    /// for a withdrawal, those of the nodes registered via it that held the scope (the
    /// withdrawal reaches them in the same transaction).
    public func writeGrants(for node: NodeID, _ change: GrantChange, as officer: String) throws(StoreError) -> [Grant] {
        try write(as: officer) { tx in
            let ledger = tx.ledger
            if let root = ledger.root, root != ledger.node {
                throw StoreError(
                    .badRequest,
                    "grants are written by the central node (\(root)) alone: run this there; this node takes its registry from it")
            }
            if ledger.root == nil {
                // The central node becomes the root: its key is the root key, bound to it by its
                // first statement (DESIGN promise 17).
                try ledger.setRoot(ledger.node)
                let key = try signingKey().publicKey
                try ledger.run("UPDATE store SET root_key = ? WHERE id = 1", [Data(key.raw)])
                try tx.writeKeyBinding(KeyBinding(node: ledger.node, key: key))
                // What it holds of other offices from before it was the root (taken without a
                // root, or from before signatures) goes on with its cover.
                _ = try Self.coverUnsigned(ledger.db, with: { try self.signer() })
            }
            let existing = try ledger.grant(of: node)
            // The node's last seq held here: a closure ends there, a new write range starts after it.
            let last = ledger.highest[node] ?? 0
            // A node the registry names no grant of writes general (as before grants): a
            // revocation starts from that, so that what it wrote up to the seq still counts.
            var grant = existing?.grant ?? {
                if case .revoke = change { return .general(node) }
                return Grant(node: node)
            }()
            var written: [Grant] = []
            if let last = grant.revokedThrough {
                switch change {
                case .revoke, .withdraw: break
                default:
                    throw StoreError(
                        .badRequest,
                        "\(node)'s key was revoked (its changes after seq \(last) count nowhere): it writes nothing again; register the office under a new id")
                }
            }
            switch change {
            case .revoke(let keepThrough):
                grant.revoke(through: keepThrough)
            case .register(let read, let write, let via):
                if let via {
                    guard via != node else { throw StoreError(.badRequest, "\(node) cannot be registered via itself: name the hub it syncs through") }
                    guard let hub = try ledger.grant(of: via)?.grant else {
                        throw StoreError(.badRequest, "\(via) has no grant here: register the hub first (daftar node add \(via) --relay --read ...)")
                    }
                    let beyond = read.union(write).subtracting(hub.read)
                    guard beyond.isEmpty else {
                        throw StoreError(
                            .badRequest,
                            "\(via) does not read \(beyond.map(\.rawValue).sorted().joined(separator: ", ")): a node registered via a hub gets only scopes the hub reads; grant them to \(via) first")
                    }
                    grant.via = via
                }
                if existing == nil {
                    grant.open(read: read, write: write, from: 1)
                } else {
                    grant.open(read: read, write: write, from: last + 1)
                }
            case .grant(let read, let write):
                grant.open(read: read, write: write, from: last + 1)
            case .withdraw(let scope):
                guard grant.read.contains(scope) || grant.writable.contains(scope) else {
                    throw StoreError(.badRequest, "\(node) holds no grant of scope \(scope): nothing to withdraw (see `daftar node list`)")
                }
                grant.withdraw(scope, through: last)
                // The nodes registered via this one lose the scope with it.
                for (other, record) in try ledger.grantRecords().sorted(by: { $0.key < $1.key })
                where record.grant.via == node && (record.grant.read.contains(scope) || record.grant.writable.contains(scope)) {
                    var theirs = record.grant
                    theirs.withdraw(scope, through: ledger.highest[other] ?? 0)
                    written.append(theirs)
                    try tx.writeGrant(theirs, record: record.id)
                }
            }
            try tx.writeGrant(grant, record: existing?.id)
            return [grant] + written
        }
    }

    /// The wall time of the latest change held of each scope (made here or received).
    public func latestChangePerScope() throws(StoreError) -> [Scope: Int64] {
        try read { db in
            var out: [Scope: Int64] = [:]
            let rows = try Row.fetchAll(
                db, sql: "SELECT r.scope, max(c.ord) AS ord FROM change c JOIN record r ON r.num = c.record WHERE r.scope <> ? GROUP BY r.scope",
                arguments: [Scope.registry.rawValue])
            for row in rows {
                guard let body = try Data.fetchOne(db, sql: "SELECT body FROM change WHERE ord = ?", arguments: [row["ord"] as Int64]) else { continue }
                out[try Scope(row["scope"] as String)] = try Change(canonical: [UInt8](body)).wallTime
            }
            return out
        }
    }

    /// Entries held per scope (deleted ones included), the registry left out.
    public func entriesPerScope() throws(StoreError) -> [Scope: Int] {
        try read { db in
            var counts: [Scope: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT scope, count(*) AS n FROM record WHERE hidden IN (0, 3) GROUP BY scope") {
                counts[try Scope(row["scope"] as String)] = row["n"]
            }
            return counts
        }
    }
}
