public import DaftarModel
import Dispatch
import Foundation
import Synchronization
internal import GRDB

/// What a receiver found of the signature that would vouch for a change of a batch.
enum Vouch: Sendable, Hashable {
    /// A verified signature covers it (on it, or on a later change of its chain in the batch
    /// whose hashes lead back to it).
    case vouched
    /// No signature in the batch covers it: it waits for the rest of its run.
    case unsigned
    /// The signature that would cover it names a key not bound to its origin here: it waits for
    /// the key statement.
    case unknownKey(ContentHash)
    /// The signature that would cover it does not verify: the change was altered or made up on
    /// the way.
    case badSignature
}

/// How the root bound a node's key, when it was asked to.
public enum KeyBindingResult: Sendable, Hashable {
    /// Bound just now, by a new registry statement.
    case bound
    /// This key was bound already.
    case already
    /// Another key is bound to the node: its fingerprint.
    case other(String)
}

extension Store {
    /// The node's private key, read from its file once (DESIGN promise 16).
    func signer() throws(StoreError) -> SigningKey {
        if let key = cachedSigner.withLock({ $0 }) { return key }
        let key = try signingKey()
        cachedSigner.withLock { $0 = key }
        return key
    }

    /// The root's public key, when this store knows the root's key (its own, at the root).
    public func rootKey() throws(StoreError) -> PublicKey? {
        let raw = try read { db -> Data? in
            guard let row = try Row.fetchOne(db, sql: "SELECT node, root, root_key, public_key FROM store WHERE id = 1") else { return nil }
            if let key = row["root_key"] as Data? { return key }
            return (row["root"] as String?) == (row["node"] as String) ? row["public_key"] : nil
        }
        guard let raw else { return nil }
        do { return try PublicKey(raw: [UInt8](raw)) } catch {
            throw StoreError(.corrupt, "the root key the store recorded is not a key (\(error.message)): restore the store from a backup")
        }
    }

    /// Takes `node` as the root, with its key, when none is known yet; refuses a root key other
    /// than the one recorded, or one whose fingerprint is not `pin`. Returns the root known after.
    @discardableResult
    public func adoptRoot(_ node: NodeID, key: PublicKey?, pin: String? = nil) throws(StoreError) -> NodeID {
        if let pin, let key, key.fingerprint != pin {
            throw StoreError(
                .badRequest,
                "the server's root key has fingerprint \(key.groupedFingerprint), but this remote was pinned to \(PublicKey.groupedFingerprintText(pin)): this is not your central node, or it has a new key; nothing was taken from it. Check the fingerprint with the central node's operator")
        }
        if pin != nil, key == nil {
            throw StoreError(.badRequest, "this remote was pinned to a root fingerprint, but the server named no root key: it is not a central node of this release; nothing was taken from it")
        }
        return try writeTransaction { db in
            let ledger = try Ledger(db)
            let recorded = try Data.fetchOne(db, sql: "SELECT root_key FROM store WHERE id = 1").map { [UInt8]($0) }
            if let root = ledger.root {
                if root == node, let key, let recorded, recorded != key.raw {
                    throw StoreError(
                        .badRequest,
                        "\(node) now shows a root key with fingerprint \(key.groupedFingerprint), not the one this store took from it first: nothing was taken from it. Ask the central node's operator")
                }
                if root == node, recorded == nil, let key {
                    try db.execute(sql: "UPDATE store SET root_key = ? WHERE id = 1", arguments: [Data(key.raw)])
                }
                return root
            }
            if let key { try db.execute(sql: "UPDATE store SET root_key = ? WHERE id = 1", arguments: [Data(key.raw)]) }
            try ledger.setRoot(node)
            try ledger.finish()
            return node
        }
    }

    /// The keys the root bound to `node`, by fingerprint (DESIGN promise 17).
    public func boundKeys(of node: NodeID) throws(StoreError) -> [PublicKey] {
        try read { db in try Self.boundKeys(db, of: [node])[node].map { Array($0.values) } ?? [] }
    }

    static func boundKeys(_ db: Database, of nodes: Set<NodeID>) throws -> [NodeID: [ContentHash: PublicKey]] {
        var out: [NodeID: [ContentHash: PublicKey]] = [:]
        guard !nodes.isEmpty else { return out }
        let statement = try db.cachedStatement(sql: "SELECT key FROM key_binding WHERE node = ?")
        for node in nodes {
            for raw in try Data.fetchAll(statement, arguments: [node.rawValue]) {
                let key = try PublicKey(raw: [UInt8](raw))
                out[node, default: [:]][key.fingerprintHash] = key
            }
        }
        return out
    }

    /// At the central node: binds `key` to `node` by a registry statement, unless a key is bound
    /// to it already (DESIGN promise 17). `officer` is who the statement names.
    public func bindKey(of node: NodeID, _ key: PublicKey, as officer: String) throws(StoreError) -> KeyBindingResult {
        let bound = try boundKeys(of: node)
        if bound.contains(key) { return .already }
        if let other = bound.first { return .other(other.fingerprint) }
        return try write(as: officer) { tx in
            guard tx.ledger.root == tx.ledger.node else {
                throw StoreError(.badRequest, "keys are bound by the central node alone")
            }
            let again = try Self.boundKeys(tx.ledger.db, of: [node])[node] ?? [:]
            if again[key.fingerprintHash] != nil { return .already }
            if let other = again.values.first { return .other(other.fingerprint) }
            try tx.writeKeyBinding(KeyBinding(node: node, key: key))
            return .bound
        }
    }

    /// Which changes of `changes` a verified signature covers (DESIGN promise 16), worked out
    /// before the apply transaction, on every core. Nil when this store knows no root: without
    /// the root it has no key to verify with, and it takes only what each sender may vouch for
    /// itself (its own changes, or any for a relay), as before signatures.
    ///
    /// Per chain, in batch order: the changes whose `prev` links lead, hash by hash, to a change
    /// whose signature verifies with a key the root bound to the origin are vouched; the rest of
    /// the chain is not, and says why. The root's statements are verified first with the root's
    /// key, so that key statements in the same batch count for the rest.
    func vouches(for changes: [Change]) throws(StoreError) -> [Vouch]? {
        let known = try read { db -> (root: NodeID, rootKey: PublicKey?, keys: [NodeID: [ContentHash: PublicKey]])? in
            let row = try Row.fetchOne(db, sql: "SELECT node, root, root_key, public_key FROM store WHERE id = 1")
            guard let row, let rootText = row["root"] as String? else { return nil }
            let root = try NodeID(rootText)
            let rootKey = try (row["root_key"] as Data?).map { try PublicKey(raw: [UInt8]($0)) }
            var keys = try Self.boundKeys(db, of: Set(changes.map(\.dot.origin)))
            // Its own changes coming back (a scope granted again) verify with its own key.
            if let own = try (row["public_key"] as Data?).map({ try PublicKey(raw: [UInt8]($0)) }) {
                keys[try NodeID(row["node"] as String), default: [:]][own.fingerprintHash] = own
            }
            return (root, rootKey, keys)
        }
        guard let known else { return nil }
        var keys = known.keys
        if let rootKey = known.rootKey { keys[known.root, default: [:]][rootKey.fingerprintHash] = rootKey }
        var verdicts = [Vouch](repeating: .unsigned, count: changes.count)
        var chains: [Chain: [Int]] = [:]
        var order: [Chain] = []
        for (i, change) in changes.enumerated() {
            if chains[change.chain] == nil { order.append(change.chain) }
            chains[change.chain, default: []].append(i)
        }
        let registry = order.filter { $0.scope == .registry }
        let others = order.filter { $0.scope != .registry }
        let groups = chains
        func judge(_ list: [Chain], keys: [NodeID: [ContentHash: PublicKey]]) {
            let results = Mutex<[(Int, Vouch)]>([])
            DispatchQueue.concurrentPerform(iterations: list.count) { n in
                let found = Self.judgeChain(groups[list[n]]!, in: changes, keys: keys[list[n].origin] ?? [:])
                results.withLock { $0 += found }
            }
            for (i, verdict) in results.withLock({ $0 }) { verdicts[i] = verdict }
        }
        judge(registry, keys: keys)
        // Key statements of the root that a verified signature covers count for the rest.
        for chain in registry where chain.origin == known.root {
            for i in chains[chain]! where verdicts[i] == .vouched {
                let change = changes[i]
                guard change.kind == KeyBinding.kind, change.operation == .add, let binding = KeyBinding(fields: change.fields) else { continue }
                keys[binding.node, default: [:]][binding.key.fingerprintHash] = binding.key
            }
        }
        judge(others, keys: keys)
        return verdicts
    }

    /// One chain's changes of a batch (indices in batch order): vouched up to the last
    /// signature that verifies and that their `prev` links lead to; after it, why not.
    static func judgeChain(_ indices: [Int], in changes: [Change], keys: [ContentHash: PublicKey]) -> [(Int, Vouch)] {
        // Where the links hold: each change names the one before it in the batch as its prev.
        var linkedThrough = 0
        while linkedThrough + 1 < indices.count {
            let before = changes[indices[linkedThrough]]
            let next = changes[indices[linkedThrough + 1]]
            guard next.prev.seq == before.dot.seq, next.prev.hash == before.hash else { break }
            linkedThrough += 1
        }
        // The last signature (within the linked run) that verifies covers everything before it.
        var covered = -1
        var failure: Vouch = .unsigned
        var position = linkedThrough
        while position >= 0 {
            let change = changes[indices[position]]
            if let signature = change.signature {
                if let key = keys[signature.key] {
                    if signature.verifies(change.hash, with: key) {
                        covered = position
                        break
                    }
                    failure = .badSignature
                } else {
                    failure = .unknownKey(signature.key)
                }
            }
            position -= 1
        }
        var out: [(Int, Vouch)] = []
        for (n, i) in indices.enumerated() {
            if n <= covered {
                out.append((i, .vouched))
            } else if n <= linkedThrough {
                out.append((i, failure))
            } else {
                // Past a broken link: not covered by anything this batch can verify.
                out.append((i, .unsigned))
            }
        }
        return out
    }
}

extension Store {
    /// At the central node: writes its heartbeat into the registry (DESIGN promise 17), naming
    /// the head of every registry chain it holds. Returns false, writing nothing, at any other
    /// node.
    @discardableResult
    public func writeHeartbeat(as officer: String) throws(StoreError) -> Bool {
        let now = Int64(options.wallClock())
        return try write(as: officer) { tx in
            let ledger = tx.ledger
            guard let root = ledger.root, root == ledger.node else { return false }
            var heads: [NodeID: Knowledge.Entry] = [:]
            for (chain, entry) in ledger.knowledge.entries where chain.scope == .registry { heads[chain.origin] = entry }
            let record = try String.fetchOne(
                ledger.db, sql: "SELECT id FROM record WHERE scope = ? AND kind = ? AND id LIKE ? ORDER BY num LIMIT 1",
                arguments: [Scope.registry.rawValue, Heartbeat.kind.rawValue, root.rawValue + "-%"]
            ).map { try RecordID($0) }
            try tx.writeHeartbeat(Heartbeat(at: now, heads: heads), record: record)
            return true
        }
    }

    /// The newest heartbeat of the root this store holds, when it holds one.
    public func newestHeartbeat() throws(StoreError) -> Heartbeat? {
        try read { db in
            guard let root = try String.fetchOne(db, sql: "SELECT root FROM store WHERE id = 1") else { return nil }
            var newest: Heartbeat?
            let rows = try Row.fetchAll(
                db, sql: "SELECT id, state FROM record WHERE scope = ? AND kind = ?", arguments: [Scope.registry.rawValue, Heartbeat.kind.rawValue])
            for row in rows {
                guard let id = try? RecordID(row["id"] as String), id.dot.origin.rawValue == root,
                    let beat = Heartbeat(fields: try RecordState(encoded: row["state"] as Data).values)
                else { continue }
                if beat.at > newest?.at ?? .min { newest = beat }
            }
            return newest
        }
    }
}

extension StoreTransaction {
    /// Writes a key statement into the registry (the central node alone).
    func writeKeyBinding(_ binding: KeyBinding) throws(StoreError) {
        let dot = Dot(origin: ledger.node, seq: (ledger.highest[ledger.node] ?? 0) + 1)
        try commitStatement(record: RecordID(dot), kind: KeyBinding.kind, fields: binding.fields, vector: VersionVector(dot))
    }
}
