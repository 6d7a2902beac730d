/// What one node may hold and write: a registry statement, kept as one registry record per node
/// (kind `grant`) with the text fields `node`, `read` and `write` (and `withdrawn`, `via` when
/// they apply).
///
/// - `read`: the scopes the node may hold, comma-separated (`punjab,national`). Every node also
///   holds the registry.
/// - `write`: per scope, the ranges of the node's own seqs whose changes in that scope count:
///   `punjab:1-;national:1-40,57-`. A range without an end is open. A closure (a withdrawal)
///   ends the open range at a seq and is final; a re-grant opens a new range above it.
public struct Grant: Sendable, Hashable {
    /// Seqs `from` through `through` (nil: no end yet).
    public struct SeqRange: Sendable, Hashable, CustomStringConvertible {
        public var from: UInt64
        public var through: UInt64?

        public init(from: UInt64, through: UInt64? = nil) {
            self.from = from
            self.through = through
        }

        public func contains(_ seq: UInt64) -> Bool { seq >= from && through.map { seq <= $0 } ?? true }
        public var description: String { "\(from)-\(through.map(String.init) ?? "")" }
    }

    public var node: NodeID
    public var read: Set<Scope>
    public var write: [Scope: [SeqRange]]
    /// Scopes withdrawn from the node and not granted again: a server takes changes of them
    /// from the node (never sends them), so that it can push what it holds before deleting.
    public var withdrawn: Set<Scope>
    /// The hub the node was registered for (it syncs through it): a scope withdrawn from the hub
    /// is withdrawn from the node too, and the node reads only what the hub reads.
    public var via: NodeID?
    /// The node's key was revoked: the last seq that stands. What it made after counts nowhere,
    /// and its writing is never opened again (it is registered under a new id).
    public var revokedThrough: UInt64?

    public init(
        node: NodeID, read: Set<Scope> = [], write: [Scope: [SeqRange]] = [:], withdrawn: Set<Scope> = [], via: NodeID? = nil, revokedThrough: UInt64? = nil
    ) {
        self.node = node
        self.read = read
        self.write = write
        self.withdrawn = withdrawn
        self.via = via
        self.revokedThrough = revokedThrough
    }

    /// The grant of a node registered before grants existed, and of one registered without
    /// naming scopes: scope general, read and written from its first change.
    public static func general(_ node: NodeID) -> Grant {
        Grant(node: node, read: [.general], write: [.general: [SeqRange(from: 1)]])
    }

    /// Whether the node may hold changes of `scope`.
    public func mayRead(_ scope: Scope) -> Bool { scope == .registry || read.contains(scope) }

    /// Whether the node's change at `seq` in `scope` counts.
    public func mayWrite(_ scope: Scope, at seq: UInt64) -> Bool {
        if let revokedThrough, seq > revokedThrough { return false }
        return write[scope]?.contains { $0.contains(seq) } ?? false
    }

    /// Revokes the node's key (DESIGN promise 17): its changes after seq `through` count
    /// nowhere, every write range ends there at the latest, and none opens again. The least
    /// revocation holds.
    public mutating func revoke(through: UInt64) {
        let last = min(through, revokedThrough ?? through)
        revokedThrough = last
        for (scope, ranges) in write {
            let kept = ranges.compactMap { range -> SeqRange? in
                guard range.from <= last else { return nil }
                return SeqRange(from: range.from, through: min(range.through ?? last, last))
            }
            write[scope] = kept.isEmpty ? nil : kept
        }
    }

    /// The scopes the node may write from now on (an open range).
    public var writable: Set<Scope> { revokedThrough != nil ? [] : Set(write.filter { $0.value.contains { $0.through == nil } }.keys) }

    /// Opens reading of `scopes`, and writing of `writes` from seq `from` (above every closure).
    public mutating func open(read scopes: Set<Scope>, write writes: Set<Scope>, from: UInt64) {
        read.formUnion(scopes)
        read.formUnion(writes)
        withdrawn.subtract(read)
        for scope in writes where !writable.contains(scope) && revokedThrough == nil {
            let above = (write[scope] ?? []).compactMap(\.through).max().map { $0 + 1 } ?? 1
            write[scope, default: []].append(SeqRange(from: max(from, above)))
        }
    }

    /// Withdraws `scope`: no more reading, and writing closed at seq `through` (final).
    public mutating func withdraw(_ scope: Scope, through: UInt64) {
        read.remove(scope)
        withdrawn.insert(scope)
        guard var ranges = write[scope] else { return }
        for i in ranges.indices where ranges[i].through == nil {
            ranges[i].through = max(through, ranges[i].from - 1)
        }
        // A range closed before it opened counts nothing.
        ranges.removeAll { range in range.through.map { $0 < range.from } ?? false }
        write[scope] = ranges.isEmpty ? nil : ranges
    }

    // MARK: The registry record's fields

    public static let kind = try! Kind("grant")
    static let nodeField = try! FieldName("node")
    static let readField = try! FieldName("read")
    static let writeField = try! FieldName("write")
    static let withdrawnField = try! FieldName("withdrawn")
    static let viaField = try! FieldName("via")
    static let revokedField = try! FieldName("revoked_through")

    /// The registry record's fields for this grant.
    public var fields: [FieldName: FieldValue] {
        let writes = write.keys.sorted().filter { !write[$0]!.isEmpty }.map { scope in "\(scope):" + write[scope]!.map(\.description).joined(separator: ",") }
        return [
            Self.nodeField: .text(node.rawValue),
            Self.readField: .text(read.map(\.rawValue).sorted().joined(separator: ",")),
            Self.writeField: .text(writes.joined(separator: ";")),
            Self.withdrawnField: withdrawn.isEmpty ? .null : .text(withdrawn.map(\.rawValue).sorted().joined(separator: ",")),
            Self.viaField: via.map { .text($0.rawValue) } ?? .null,
            Self.revokedField: revokedThrough.map { .integer(Int64(clamping: $0)) } ?? .null,
        ]
    }

    /// Reads a grant from a registry record's fields; nil when they are not a grant's.
    public init?(fields: [FieldName: FieldValue]) {
        guard case .text(let nodeText)? = fields[Self.nodeField], let node = try? NodeID(nodeText) else { return nil }
        self.node = node
        read = []
        write = [:]
        withdrawn = []
        via = nil
        revokedThrough = nil
        if case .integer(let last)? = fields[Self.revokedField] {
            guard last >= 0 else { return nil }
            revokedThrough = UInt64(last)
        }
        if case .text(let text)? = fields[Self.viaField] {
            guard let hub = try? NodeID(text) else { return nil }
            via = hub
        }
        if case .text(let text)? = fields[Self.readField] {
            for name in text.split(separator: ",") {
                guard let scope = try? Scope(String(name)) else { return nil }
                read.insert(scope)
            }
        }
        if case .text(let text)? = fields[Self.withdrawnField] {
            for name in text.split(separator: ",") {
                guard let scope = try? Scope(String(name)) else { return nil }
                withdrawn.insert(scope)
            }
        }
        if case .text(let text)? = fields[Self.writeField] {
            for part in text.split(separator: ";") {
                let halves = part.split(separator: ":", maxSplits: 1)
                guard halves.count == 2, let scope = try? Scope(String(halves[0])) else { return nil }
                for range in halves[1].split(separator: ",") {
                    let ends = range.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
                    guard ends.count == 2, let from = UInt64(ends[0]), from >= 1 else { return nil }
                    let through = ends[1].isEmpty ? nil : UInt64(ends[1])
                    if !ends[1].isEmpty, through == nil { return nil }
                    write[scope, default: []].append(SeqRange(from: from, through: through))
                }
            }
        }
    }
}

/// A key statement of the registry (DESIGN promise 17): one registry record (kind `key`) that
/// binds a node's public key to its id, with the text fields `node` and `key` (the key's 32
/// bytes in 64 lower-case hex digits). Written by the root: for itself when it writes its first
/// statement, and for a node when it first syncs with its registration token.
public struct KeyBinding: Sendable, Hashable {
    public static let kind = try! Kind("key")
    static let keyField = try! FieldName("key")
    static let replacesField = try! FieldName("replaces")
    static let fromField = try! FieldName("from")

    public var node: NodeID
    public var key: PublicKey
    /// For a rotation: the fingerprint of the key this one replaces, and the node's first seq
    /// this key signs; the replaced key's signatures cover its changes below that seq only.
    public var replaces: ContentHash?
    public var from: UInt64?
    /// Written by a hub (DESIGN promise 17): the root's seq of the delegation statement that
    /// lets the hub vouch for this node. Nil in the root's own statements.
    public var delegation: UInt64?

    public init(node: NodeID, key: PublicKey, replaces: ContentHash? = nil, from: UInt64? = nil, delegation: UInt64? = nil) {
        self.node = node
        self.key = key
        self.replaces = replaces
        self.from = from
        self.delegation = delegation
    }

    public var fields: [FieldName: FieldValue] {
        var fields: [FieldName: FieldValue] = [Grant.nodeField: .text(node.rawValue), Self.keyField: .text(key.hex)]
        if let replaces, let from {
            fields[Self.replacesField] = .text(replaces.hex)
            fields[Self.fromField] = .integer(Int64(clamping: from))
        }
        if let delegation { fields[Delegation.delegationField] = .integer(Int64(clamping: delegation)) }
        return fields
    }

    /// Reads a binding from a registry record's fields; nil when they are not a binding's.
    public init?(fields: [FieldName: FieldValue]) {
        guard case .text(let nodeText)? = fields[Grant.nodeField], let node = try? NodeID(nodeText),
            case .text(let keyText)? = fields[Self.keyField], let key = try? PublicKey(hex: keyText)
        else { return nil }
        self.node = node
        self.key = key
        if case .text(let old)? = fields[Self.replacesField] {
            guard let hash = try? ContentHash(hex: old), case .integer(let from)? = fields[Self.fromField], from >= 1 else { return nil }
            replaces = hash
            self.from = UInt64(from)
        }
        if let value = fields[Delegation.delegationField] {
            guard case .integer(let seq) = value, seq >= 1 else { return nil }
            delegation = UInt64(seq)
        }
    }
}

/// A delegation statement of the registry (DESIGN promise 17): the root lets a hub vouch for the
/// keys of the nodes it names. One registry record (kind `delegation`) with the text fields
/// `node` (the hub) and `vouch` (node ids, comma-separated). A delegation is never edited: the
/// root widens one by writing another. A hub's key statement names the root's seq of the
/// delegation it relies on (`delegation`), so that whether it counts is a function of the
/// statement and the registry: it counts when that change of the root is a delegation to the
/// statement's origin naming the node.
public struct Delegation: Sendable, Hashable {
    public static let kind = try! Kind("delegation")
    static let vouchField = try! FieldName("vouch")
    static let delegationField = try! FieldName("delegation")

    /// The hub.
    public var hub: NodeID
    /// The nodes whose keys it may bind.
    public var nodes: Set<NodeID>

    public init(hub: NodeID, nodes: Set<NodeID>) {
        self.hub = hub
        self.nodes = nodes
    }

    public var fields: [FieldName: FieldValue] {
        [Grant.nodeField: .text(hub.rawValue), Self.vouchField: .text(nodes.map(\.rawValue).sorted().joined(separator: ","))]
    }

    /// Reads a delegation from a registry record's fields; nil when they are not a delegation's.
    public init?(fields: [FieldName: FieldValue]) {
        guard case .text(let hubText)? = fields[Grant.nodeField], let hub = try? NodeID(hubText),
            case .text(let text)? = fields[Self.vouchField]
        else { return nil }
        var nodes = Set<NodeID>()
        for part in text.split(separator: ",") {
            guard let node = try? NodeID(String(part)) else { return nil }
            nodes.insert(node)
        }
        guard !nodes.isEmpty else { return nil }
        self.hub = hub
        self.nodes = nodes
    }
}

/// A node's request to have a new key bound (DESIGN promise 17: rotation, vouched by the central
/// node): the new key, the node's first seq it signs, and the old key's signature of both, so that
/// the central node binds it only for the holder of the key bound now, over the node's token.
public struct KeyRotation: Sendable, Hashable, Codable {
    /// The fingerprint of the key bound now, which signs the rotation.
    public var previous: ContentHash
    /// The new key, 64 lower-case hex digits.
    public var key: String
    /// The node's first seq the new key signs.
    public var from: UInt64
    /// The old key's Ed25519 signature of ``message(node:)``, 128 lower-case hex digits.
    public var signature: String

    public init(previous: ContentHash, key: PublicKey, from: UInt64, signature: [UInt8]) {
        self.previous = previous
        self.key = key.hex
        self.from = from
        self.signature = ChangeSignature.hex(signature)
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case previous, key, from, signature }

    public init(from decoder: any Decoder) throws {
        try KnownKeys.check(decoder, allowed: CodingKeys.allCases.map(\.rawValue), in: "a key rotation")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        previous = try c.decode(ContentHash.self, forKey: .previous)
        key = try c.decode(String.self, forKey: .key)
        from = try c.decode(UInt64.self, forKey: .from)
        signature = try c.decode(String.self, forKey: .signature)
    }

    /// What the old key signs: the ASCII text `daftar key rotation 2`, a line feed, the node id, a
    /// line feed, the new key's 32 bytes, and `from` as 8 bytes, big-endian.
    public static func message(node: NodeID, key: PublicKey, from: UInt64) -> [UInt8] {
        var bytes = Array("daftar key rotation 2\n".utf8) + Array(node.rawValue.utf8) + [0x0A] + key.raw
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: from >> UInt64(shift))) }
        return bytes
    }

    /// Whether `old` signed this rotation of `node`'s key.
    public func verifies(node: NodeID, with old: PublicKey) -> Bool {
        guard old.fingerprintHash == previous, let new = try? PublicKey(hex: key), from >= 1,
            let value = ChangeSignature.bytes(hex: signature), value.count == 64
        else { return false }
        return old.verifies(value, of: Self.message(node: node, key: new, from: from))
    }
}

/// The central node's heartbeat (DESIGN promise 17): one registry record of the root (kind
/// `heartbeat`), set again every few minutes, with the integer field `at` (the root's wall time,
/// in milliseconds since 1970 UTC) and the text field `heads`: the head of every registry chain
/// the root held when it wrote it, one `ORIGIN SEQ HASH` line each. A node shows how old the
/// newest heartbeat it holds is, so that statements withheld on the way show as staleness.
public struct Heartbeat: Sendable, Hashable {
    public static let kind = try! Kind("heartbeat")
    static let atField = try! FieldName("at")
    static let headsField = try! FieldName("heads")

    /// When the root wrote it, in milliseconds since 1970 UTC.
    public var at: Int64
    /// The registry chains' heads the root held then.
    public var heads: [NodeID: Knowledge.Entry]

    public init(at: Int64, heads: [NodeID: Knowledge.Entry]) {
        self.at = at
        self.heads = heads
    }

    public var fields: [FieldName: FieldValue] {
        let lines = heads.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.seq) \($0.value.hash.hex)" }
        return [Self.atField: .integer(at), Self.headsField: .text(lines.joined(separator: "\n"))]
    }

    public init?(fields: [FieldName: FieldValue]) {
        guard case .integer(let at)? = fields[Self.atField], case .text(let text)? = fields[Self.headsField] else { return nil }
        self.at = at
        heads = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ")
            guard parts.count == 3, let node = try? NodeID(String(parts[0])), let seq = UInt64(parts[1]),
                let hash = try? ContentHash(hex: String(parts[2]))
            else { return nil }
            heads[node] = Knowledge.Entry(seq: seq, hash: hash)
        }
    }
}
