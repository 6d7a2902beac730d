/// One origin's changes in one scope. Seqs are global per origin, so a chain's seqs may have
/// gaps: each change names the one before it in its chain (`prev`).
public struct Chain: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var origin: NodeID
    public var scope: Scope

    public init(_ origin: NodeID, _ scope: Scope) {
        self.origin = origin
        self.scope = scope
    }

    /// Ordered by scope, then origin: the order of knowledge on the wire and in digests.
    public static func < (a: Chain, b: Chain) -> Bool {
        a.scope != b.scope ? a.scope.rawValue < b.scope.rawValue : a.origin < b.origin
    }

    public var description: String { "\(origin) in \(scope)" }
}

extension Change {
    /// The chain this change belongs to: its origin's changes in its scope.
    public var chain: Chain { Chain(dot.origin, scope) }
}

/// What a store holds of each chain: the seq and hash of the last change held with every change
/// of its chain before it. It is the only sync cursor.
public struct Knowledge: Sendable, Hashable, Codable {
    public struct Entry: Sendable, Hashable, Codable {
        public var seq: UInt64
        public var hash: ContentHash

        public init(seq: UInt64, hash: ContentHash) {
            self.seq = seq
            self.hash = hash
        }

        enum CodingKeys: String, CodingKey, CaseIterable { case seq, hash }

        public init(from decoder: any Decoder) throws {
            try KnownKeys.check(decoder, allowed: CodingKeys.allCases.map(\.rawValue), in: "a knowledge entry")
            let c = try decoder.container(keyedBy: CodingKeys.self)
            seq = try c.decode(UInt64.self, forKey: .seq)
            hash = try c.decode(ContentHash.self, forKey: .hash)
        }
    }

    public var entries: [Chain: Entry]

    public init(_ entries: [Chain: Entry] = [:]) { self.entries = entries }

    /// The seq of the chain's last change held; 0 when none is.
    public subscript(chain: Chain) -> UInt64 { entries[chain]?.seq ?? 0 }

    /// The highest seq held of `origin`, in any scope.
    public func highestSeq(of origin: NodeID) -> UInt64 {
        entries.reduce(0) { top, item in item.key.origin == origin ? max(top, item.value.seq) : top }
    }

    /// The first dot `vector` names, other than of `origin` itself, that this knowledge does not
    /// hold in `scope`: a record's vector names only changes of the record's own scope, so a dot
    /// is held when its chain in that scope is held as far. Nil when every one is held.
    public func missingDependency(of vector: VersionVector, in scope: Scope, except origin: NodeID) -> Dot? {
        for entry in vector.entries where entry.node != origin && self[Chain(entry.node, scope)] < entry.seq {
            return Dot(origin: entry.node, seq: entry.seq)
        }
        return nil
    }

    /// The scopes this knowledge names.
    public var scopes: Set<Scope> { Set(entries.keys.map(\.scope)) }

    /// The knowledge of the chains of `scopes` only.
    public func restricted(to scopes: Set<Scope>) -> Knowledge {
        Knowledge(entries.filter { scopes.contains($0.key.scope) })
    }

    /// The knowledge of the chains whose scope `include` accepts.
    public func restricted(where include: (Scope) -> Bool) -> Knowledge {
        Knowledge(entries.filter { include($0.key.scope) })
    }

    // On the wire, per scope, then per origin: {"general": {"fia-lahore": {"seq": 3, "hash": "…"}}}.
    public init(from decoder: any Decoder) throws {
        let map = try decoder.singleValueContainer().decode([String: [String: Entry]].self)
        var entries: [Chain: Entry] = [:]
        for (scopeName, chains) in map {
            for (originName, entry) in chains {
                do { entries[Chain(try NodeID(originName), try Scope(scopeName))] = entry } catch {
                    throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message))
                }
            }
        }
        self.entries = entries
    }

    public func encode(to encoder: any Encoder) throws {
        var map: [String: [String: Entry]] = [:]
        for (chain, entry) in entries { map[chain.scope.rawValue, default: [:]][chain.origin.rawValue] = entry }
        var single = encoder.singleValueContainer()
        try single.encode(map)
    }
}
