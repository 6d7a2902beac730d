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

    public init(node: NodeID, read: Set<Scope> = [], write: [Scope: [SeqRange]] = [:], withdrawn: Set<Scope> = [], via: NodeID? = nil) {
        self.node = node
        self.read = read
        self.write = write
        self.withdrawn = withdrawn
        self.via = via
    }

    /// The grant of a node registered before grants existed, and of one registered without
    /// naming scopes: scope general, read and written from its first change.
    public static func general(_ node: NodeID) -> Grant {
        Grant(node: node, read: [.general], write: [.general: [SeqRange(from: 1)]])
    }

    /// Whether the node may hold changes of `scope`.
    public func mayRead(_ scope: Scope) -> Bool { scope == .registry || read.contains(scope) }

    /// Whether the node's change at `seq` in `scope` counts.
    public func mayWrite(_ scope: Scope, at seq: UInt64) -> Bool { write[scope]?.contains { $0.contains(seq) } ?? false }

    /// The scopes the node may write from now on (an open range).
    public var writable: Set<Scope> { Set(write.filter { $0.value.contains { $0.through == nil } }.keys) }

    /// Opens reading of `scopes`, and writing of `writes` from seq `from` (above every closure).
    public mutating func open(read scopes: Set<Scope>, write writes: Set<Scope>, from: UInt64) {
        read.formUnion(scopes)
        read.formUnion(writes)
        withdrawn.subtract(read)
        for scope in writes where !writable.contains(scope) {
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

    /// The registry record's fields for this grant.
    public var fields: [FieldName: FieldValue] {
        let writes = write.keys.sorted().filter { !write[$0]!.isEmpty }.map { scope in "\(scope):" + write[scope]!.map(\.description).joined(separator: ",") }
        return [
            Self.nodeField: .text(node.rawValue),
            Self.readField: .text(read.map(\.rawValue).sorted().joined(separator: ",")),
            Self.writeField: .text(writes.joined(separator: ";")),
            Self.withdrawnField: withdrawn.isEmpty ? .null : .text(withdrawn.map(\.rawValue).sorted().joined(separator: ",")),
            Self.viaField: via.map { .text($0.rawValue) } ?? .null,
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

    public var node: NodeID
    public var key: PublicKey

    public init(node: NodeID, key: PublicKey) {
        self.node = node
        self.key = key
    }

    public var fields: [FieldName: FieldValue] {
        [Grant.nodeField: .text(node.rawValue), Self.keyField: .text(key.hex)]
    }

    /// Reads a binding from a registry record's fields; nil when they are not a binding's.
    public init?(fields: [FieldName: FieldValue]) {
        guard case .text(let nodeText)? = fields[Grant.nodeField], let node = try? NodeID(nodeText),
            case .text(let keyText)? = fields[Self.keyField], let key = try? PublicKey(hex: keyText)
        else { return nil }
        self.node = node
        self.key = key
    }
}
