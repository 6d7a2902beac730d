public import DaftarModel
import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif
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

    /// The keys the root bound to `node` (DESIGN promise 17), a replaced one included.
    public func boundKeys(of node: NodeID) throws(StoreError) -> [PublicKey] {
        try read { db in try Self.boundKeys(db, of: [node])[node].map { $0.values.map(\.key) } ?? [] }
    }

    /// A key bound to a node, and, once a rotation replaced it, the first seq it no longer covers.
    struct BoundKey: Sendable {
        var key: PublicKey
        var validBelow: UInt64?

        /// Whether its signature may vouch for the node's change of seq `seq`.
        func covers(_ seq: UInt64) -> Bool { validBelow.map { seq < $0 } ?? true }
    }

    static func boundKeys(_ db: Database, of nodes: Set<NodeID>) throws -> [NodeID: [ContentHash: BoundKey]] {
        var out: [NodeID: [ContentHash: BoundKey]] = [:]
        guard !nodes.isEmpty else { return out }
        let statement = try db.cachedStatement(sql: "SELECT key, valid_below FROM key_binding WHERE node = ?")
        for node in nodes {
            for row in try Row.fetchAll(statement, arguments: [node.rawValue]) {
                let key = try PublicKey(raw: [UInt8](row["key"] as Data))
                out[node, default: [:]][key.fingerprintHash] = BoundKey(key: key, validBelow: (row["valid_below"] as Int64?).map { UInt64(max(0, $0)) })
            }
        }
        return out
    }

    /// At the central node, or at a hub whose delegation names `node`: binds `key` to `node` by a
    /// registry statement, unless a key is bound to it already (DESIGN promise 17). A node whose key is bound gets `key` bound in its place
    /// only with a `rotation` its current key signed. `officer` is who the statement names.
    public func bindKey(of node: NodeID, _ key: PublicKey, rotation: KeyRotation? = nil, as officer: String) throws(StoreError) -> KeyBindingResult {
        let bound = try read { db in try Self.boundKeys(db, of: [node])[node] ?? [:] }
        if bound[key.fingerprintHash] != nil { return .already }
        if !bound.isEmpty, !Self.rotates(bound, node: node, to: key, rotation) {
            return .other(bound.values.first { $0.validBelow == nil }?.key.fingerprint ?? bound.values.first!.key.fingerprint)
        }
        return try write(as: officer) { tx in
            let ledger = tx.ledger
            guard let root = ledger.root else {
                throw StoreError(.badRequest, "keys are bound by the central node, or by a hub its delegation names, and this node knows no central node yet")
            }
            // A hub binds only keys of the nodes a delegation of the root names, and says which.
            var delegation: UInt64?
            if root != ledger.node {
                guard let seq = try Self.delegations(ledger.db, root: root).first(where: { $0.delegation.hub == ledger.node && $0.delegation.nodes.contains(node) })?.seq else {
                    throw StoreError(.badRequest, "this node may not vouch for \(node)'s key: no delegation of the central node (\(root)) names it (daftar node add \(ledger.node) --relay --may-vouch \(node) there)")
                }
                delegation = seq
            }
            let again = try Self.boundKeys(ledger.db, of: [node])[node] ?? [:]
            if again[key.fingerprintHash] != nil { return .already }
            if again.isEmpty {
                try tx.writeKeyBinding(KeyBinding(node: node, key: key, delegation: delegation))
                return .bound
            }
            guard let rotation, Self.rotates(again, node: node, to: key, rotation) else {
                return .other(again.values.first { $0.validBelow == nil }?.key.fingerprint ?? again.values.first!.key.fingerprint)
            }
            try tx.writeKeyBinding(KeyBinding(node: node, key: key, replaces: rotation.previous, from: rotation.from, delegation: delegation))
            return .bound
        }
    }

    /// Whether `rotation` replaces `node`'s current key (one not replaced yet) by `key`: signed
    /// by that key, naming this key, from a seq above every seq the current key was bound from.
    static func rotates(_ bound: [ContentHash: BoundKey], node: NodeID, to key: PublicKey, _ rotation: KeyRotation?) -> Bool {
        guard let rotation, rotation.key == key.hex, let current = bound[rotation.previous], current.validBelow == nil else { return false }
        return rotation.verifies(node: node, with: current.key)
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
    /// `sizes`: each change's canonical encoding in bytes, for the run limits. Also returns the
    /// indices of the changes whose own signature was verified: only those signatures are kept
    /// and passed on.
    func vouches(for changes: [Change], sizes: [Int]) throws(StoreError) -> (verdicts: [Vouch], verified: Set<Int>)? {
        let known = try read { db -> (root: NodeID, rootKey: PublicKey?, keys: [NodeID: [ContentHash: BoundKey]])? in
            let row = try Row.fetchOne(db, sql: "SELECT node, root, root_key, public_key FROM store WHERE id = 1")
            guard let row, let rootText = row["root"] as String? else { return nil }
            let root = try NodeID(rootText)
            let rootKey = try (row["root_key"] as Data?).map { try PublicKey(raw: [UInt8]($0)) }
            var keys = try Self.boundKeys(db, of: Set(changes.map(\.dot.origin)))
            // Its own changes coming back (a scope granted again) verify with its own key.
            if let own = try (row["public_key"] as Data?).map({ try PublicKey(raw: [UInt8]($0)) }) {
                keys[try NodeID(row["node"] as String), default: [:]][own.fingerprintHash] = BoundKey(key: own)
            }
            return (root, rootKey, keys)
        }
        guard let known else { return nil }
        var keys = known.keys
        if let rootKey = known.rootKey {
            // The root's key counts for every origin: it covers chains held from before
            // signatures (choice 19), and it is the key that binds every other.
            for origin in Set(changes.map(\.dot.origin)).union([known.root]) {
                keys[origin, default: [:]][rootKey.fingerprintHash] = BoundKey(key: rootKey)
            }
        }
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
        var verified = Set<Int>()
        func judge(_ list: [Chain], keys: [NodeID: [ContentHash: BoundKey]]) {
            let results = Mutex<([(Int, Vouch)], [Int])>(([], []))
            DispatchQueue.concurrentPerform(iterations: list.count) { n in
                let found = Self.judgeChain(groups[list[n]]!, in: changes, sizes: sizes, keys: keys[list[n].origin] ?? [:])
                results.withLock {
                    $0.0 += found.verdicts
                    $0.1 += found.verified
                }
            }
            let (found, signed) = results.withLock { $0 }
            for (i, verdict) in found { verdicts[i] = verdict }
            verified.formUnion(signed)
        }
        // Key statements that a verified signature covers count for the rest of the batch: the
        // root's first, then those of hubs whose delegation (held, or of the root in this batch)
        // names the node.
        func take(_ chain: Chain, hub: Bool) throws {
            for i in chains[chain]! where verdicts[i] == .vouched {
                let change = changes[i]
                guard change.kind == KeyBinding.kind, change.operation == .add, let binding = KeyBinding(fields: change.fields) else { continue }
                if hub {
                    let judged = try Self.judgeHubStatement(change, root: known.root) { seq in
                        if let i = changes.firstIndex(where: { $0.dot == Dot(origin: known.root, seq: seq) }) {
                            return verdicts[i] == .vouched ? changes[i] : nil
                        }
                        return try self.read { db in try Self.rootChange(db, root: known.root, seq: seq) }
                    }
                    guard judged == "" else { continue }
                }
                keys[binding.node, default: [:]][binding.key.fingerprintHash] = BoundKey(key: binding.key)
                if let replaced = binding.replaces, let from = binding.from, var old = keys[binding.node]?[replaced] {
                    old.validBelow = min(old.validBelow ?? from, from)
                    keys[binding.node]![replaced] = old
                }
            }
        }
        let rootChains = registry.filter { $0.origin == known.root }
        let hubChains = registry.filter { $0.origin != known.root }
        judge(rootChains, keys: keys)
        do {
            for chain in rootChains { try take(chain, hub: false) }
            judge(hubChains, keys: keys)
            for chain in hubChains { try take(chain, hub: true) }
        } catch {
            throw StoreError.from(error, path: path)
        }
        judge(others, keys: keys)
        return (verdicts, verified)
    }

    /// One chain's changes of a batch (indices in batch order): vouched up to the last
    /// signature that verifies and that their `prev` links lead to; after it, why not. A run
    /// longer than the format lets an origin leave unsigned (``Limits/signedRunChanges``,
    /// ``Limits/signedRunBytes``) is covered only as far as the signatures inside it verify at
    /// least that often, so that a relay that stripped them cannot leave this store holding a
    /// run it could never pass on. Returns the indices whose own signature verified, too.
    static func judgeChain(_ indices: [Int], in changes: [Change], sizes: [Int], keys: [ContentHash: BoundKey]) -> (verdicts: [(Int, Vouch)], verified: [Int]) {
        // Where the links hold: each change names the one before it in the batch as its prev.
        var linkedThrough = 0
        while linkedThrough + 1 < indices.count {
            let before = changes[indices[linkedThrough]]
            let next = changes[indices[linkedThrough + 1]]
            guard next.prev.seq == before.dot.seq, next.prev.hash == before.hash else { break }
            linkedThrough += 1
        }
        func verifies(_ position: Int) -> Vouch? {
            let change = changes[indices[position]]
            guard let signature = change.signature else { return nil }
            guard let key = keys[signature.key] else { return .unknownKey(signature.key) }
            // A key a rotation replaced vouches only for the changes below its end.
            return key.covers(change.dot.seq) && signature.verifies(change.hash, with: key.key) ? .vouched : .badSignature
        }
        // The last signature (within the linked run) that verifies covers everything before it.
        var covered = -1
        var failure: Vouch = .unsigned
        var position = linkedThrough
        while position >= 0 {
            if let verdict = verifies(position) {
                if verdict == .vouched {
                    covered = position
                    break
                }
                failure = verdict
            }
            position -= 1
        }
        var verified = covered >= 0 ? [covered] : []
        func withinLimits(_ from: Int, _ through: Int) -> Bool {
            guard through - from + 1 <= Limits.signedRunChanges else { return false }
            let bytes = (from...through).reduce(0) { $0 + sizes[indices[$1]] }
            return bytes <= Limits.signedRunBytes + Limits.changeBytes
        }
        if covered >= 0, !withinLimits(0, covered) {
            // Too long for one signature: the signatures inside must verify often enough.
            var marks = (0..<covered).filter { verifies($0) == .vouched }
            marks.append(covered)
            var start = 0
            var reached = -1
            var kept: [Int] = []
            for mark in marks {
                guard withinLimits(start, mark) else { break }
                kept.append(mark)
                reached = mark
                start = mark + 1
            }
            if reached < covered { failure = .unsigned }
            covered = reached
            verified = kept
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
        return (out, verified.map { indices[$0] })
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

extension Store {
    /// This node's key rotation that the central node has not bound yet: sent with every
    /// request until the registry here binds the new key.
    public func pendingRotation() throws(StoreError) -> KeyRotation? {
        let blob = try read { db -> Data? in try Data.fetchOne(db, sql: "SELECT key_rotation FROM store WHERE id = 1") }
        guard let blob else { return nil }
        guard let rotation = try? JSONDecoder().decode(KeyRotation.self, from: blob) else {
            throw StoreError(.corrupt, "the store's pending key rotation cannot be read: restore the store from a backup")
        }
        // Bound by now: nothing is pending.
        if let key = try? PublicKey(hex: rotation.key), try boundKeys(of: node).contains(key) {
            try writeTransaction { db in try db.execute(sql: "UPDATE store SET key_rotation = NULL WHERE id = 1") }
            return nil
        }
        return rotation
    }

    /// Makes a new key for this node (DESIGN promise 17): the old key signs the new one and the
    /// node's next seq, from which the new key signs; the central node binds it at this node's
    /// next exchange with it, and the old key's signatures cover this node's changes below that
    /// seq alone. The new key file replaces the old one (made whole beside it first, then
    /// renamed over it), and the old private key is gone.
    public func rotateKey() throws(StoreError) -> (old: PublicKey, new: PublicKey, from: UInt64) {
        if let root = try root(), root == node {
            throw StoreError(
                .badRequest,
                "this is the central node: its key is the root every office pinned, and rotating it is not in this release; nothing was changed")
        }
        let old = try signer()
        let rotating = keyPath + ".rotating"
        // A new key left by a rotation that stopped before the store recorded it is not used.
        unlink(rotating)
        let new = try Self.writeNewKey(at: rotating, node: node)
        let me = node
        let from: UInt64 = try writeTransaction { db in
            let ledger = try Ledger(db)
            guard let recorded = try Data.fetchOne(db, sql: "SELECT public_key FROM store WHERE id = 1"), [UInt8](recorded) == old.publicKey.raw else {
                throw StoreError(.inconsistent, "the store's key changed while the new one was made: run daftar key rotate again")
            }
            let from = (ledger.highest[ledger.node] ?? 0) + 1
            let rotation = KeyRotation(
                previous: old.publicKey.fingerprintHash, key: new.publicKey, from: from,
                signature: try old.sign(KeyRotation.message(node: me, key: new.publicKey, from: from)))
            try db.execute(
                sql: "UPDATE store SET public_key = ?, key_rotation = ? WHERE id = 1", arguments: [Data(new.publicKey.raw), try JSONEncoder().encode(rotation)])
            return from
        }
        try Self.finishRotation(rotating, into: keyPath)
        cachedSigner.withLock { $0 = new }
        return (old.publicKey, new.publicKey, from)
    }

    /// Puts a rotated key file in the place of the old one, for good.
    static func finishRotation(_ rotating: String, into path: String) throws(StoreError) {
        guard rename(rotating, path) == 0 else {
            throw StoreError(
                .io,
                "the new key is recorded but \(rotating) could not replace \(path) (\(String(cString: strerror(errno)))): open the store again and it is put in place")
        }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let dirfd = Glibc.open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dirfd >= 0 {
            fsync(dirfd)
            close(dirfd)
        }
    }
}

extension Store {
    /// Covers, once, the chains this store holds without a signature (held from before
    /// signatures): at the root every chain, by the root's signature; at an office its own
    /// chains, by its own. The store signs
    /// the head of each such chain and every 128th change before it, so that the chain travels
    /// in signed runs to stores that verify (DESIGN promise 16's migration statement, choice 19).
    /// Returns how many signatures it made.
    @discardableResult
    func coverUnsignedOnce() throws(StoreError) -> Int {
        let due = try read { db -> Bool? in
            guard let row = try Row.fetchOne(db, sql: "SELECT node, root, unsigned_covered FROM store WHERE id = 1"),
                (row["unsigned_covered"] as Int64) == 0
            else { return nil }
            return (row["root"] as String?) == (row["node"] as String)
        }
        guard let isRoot = due else { return 0 }
        // The key is read only if something needs covering: a store restored under a new id
        // has none yet, and nothing of its own to cover.
        return try writeTransaction { db in try Self.coverUnsigned(db, with: { try self.signer() }, ownOnly: !isRoot) }
    }

    /// `ownOnly`: an office covers its own chains alone (its key is theirs); the root covers
    /// every chain it holds.
    static func coverUnsigned(_ db: Database, with key: () throws -> SigningKey, ownOnly: Bool = false) throws -> Int {
        let ledger = try Ledger(db)
        var made = 0
        let sql = "SELECT c.seq, substr(c.body, -32) AS hash, c.signature IS NOT NULL AS signed FROM change c JOIN record r ON r.num = c.record WHERE c.origin = ? AND r.scope = ? ORDER BY c.seq"
        for chain in ledger.knowledge.entries.keys.sorted() where !ownOnly || chain.origin == ledger.node {
            let rows = try Row.fetchAll(db, sql: sql, arguments: [chain.origin.rawValue, chain.scope.rawValue])
            // Each stretch between two signatures that is longer than a signed run, and the tail
            // after the last one, gets a signature every 128 changes and at its end.
            let signed = rows.indices.filter { rows[$0]["signed"] as Bool }
            var toSign: [Int] = []
            var start = 0
            for end in signed + [rows.count] {
                let stretch = end - start + (end < rows.count ? 1 : 0)
                if stretch > Limits.signedRunChanges || end == rows.count {
                    var at = start + Limits.signedRunChanges / 2 - 1
                    while at < end {
                        toSign.append(at)
                        at += Limits.signedRunChanges / 2
                    }
                    if end == rows.count, end > start, toSign.last != end - 1 { toSign.append(end - 1) }
                }
                start = end + 1
            }
            for n in toSign {
                let row = rows[n]
                let signature = try ChangeSignature.sign(try ContentHash(bytes: [UInt8](row["hash"] as Data)), with: try key())
                try db.execute(
                    sql: "UPDATE change SET signature = ? WHERE origin = ? AND seq = ?", arguments: [Data(signature.stored), chain.origin.rawValue, row["seq"] as Int64])
                made += 1
            }
        }
        try db.execute(sql: "UPDATE store SET unsigned_covered = 1 WHERE id = 1")
        return made
    }
}

extension StoreTransaction {
    /// Writes a key statement into the registry (the central node, or a hub under a delegation).
    func writeKeyBinding(_ binding: KeyBinding) throws(StoreError) {
        let dot = Dot(origin: ledger.node, seq: (ledger.highest[ledger.node] ?? 0) + 1)
        try commitStatement(record: RecordID(dot), kind: KeyBinding.kind, fields: binding.fields, vector: VersionVector(dot))
    }
}
