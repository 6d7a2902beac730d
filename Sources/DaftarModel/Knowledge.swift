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

// MARK: Digests and deltas on the wire (DESIGN promise 13)

/// One SHA-256 digest per scope of a knowledge, so that a side can send only the entries the
/// peer does not have already and the peer can check that what it rebuilt is what was meant.
/// On the wire: `{"general": "<64 hex>", "punjab": "<64 hex>"}`.
public struct KnowledgeDigests: Sendable, Hashable, Codable {
    public var entries: [Scope: ContentHash]

    public init(_ entries: [Scope: ContentHash] = [:]) { self.entries = entries }

    public var scopes: Set<Scope> { Set(entries.keys) }

    public init(from decoder: any Decoder) throws {
        let map = try decoder.singleValueContainer().decode([String: ContentHash].self)
        var entries: [Scope: ContentHash] = [:]
        for (name, digest) in map {
            do { entries[try Scope(name)] = digest } catch {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message))
            }
        }
        self.entries = entries
    }

    public func encode(to encoder: any Encoder) throws {
        var single = encoder.singleValueContainer()
        try single.encode(Dictionary(uniqueKeysWithValues: entries.map { ($0.key.rawValue, $0.value) }))
    }
}

extension Knowledge {
    /// The digest's format: the `2` of its prefix.
    public static let digestFormat = 2

    /// The digest of one scope's entries: SHA-256 of the UTF-8 text `knowledge/2/SCOPE` and a
    /// line feed, then one line `ORIGIN SEQ HASH` (seq in decimal, hash in lower-case hex, a line
    /// feed after each) per chain of the scope, origins in byte order. A scope with no chain
    /// has the digest of the first line alone.
    public func digest(of scope: Scope) -> ContentHash {
        Self.digest(scope, entries.filter { $0.key.scope == scope }.map { ($0.key.origin, $0.value) })
    }

    /// The digests of `scopes`, each computed as ``digest(of:)`` does.
    public func digests(of scopes: some Sequence<Scope>) -> KnowledgeDigests {
        var grouped: [Scope: [(NodeID, Entry)]] = [:]
        for scope in scopes { grouped[scope] = [] }
        for (chain, entry) in entries where grouped[chain.scope] != nil { grouped[chain.scope]!.append((chain.origin, entry)) }
        var out: [Scope: ContentHash] = [:]
        for (scope, chains) in grouped { out[scope] = Self.digest(scope, chains) }
        return KnowledgeDigests(out)
    }

    private static func digest(_ scope: Scope, _ chains: [(NodeID, Entry)]) -> ContentHash {
        var hasher = SHA256()
        hasher.update(Array("knowledge/\(digestFormat)/\(scope.rawValue)\n".utf8))
        let sorted = chains.sorted { $0.0.rawValue.utf8.lexicographicallyPrecedes($1.0.rawValue.utf8) }
        var line: [UInt8] = []
        for (origin, entry) in sorted {
            line.removeAll(keepingCapacity: true)
            line.append(contentsOf: origin.rawValue.utf8)
            line.append(0x20)
            line.append(contentsOf: String(entry.seq).utf8)
            line.append(0x20)
            line.append(contentsOf: entry.hash.hex.utf8)
            line.append(0x0A)
            hasher.update(line)
        }
        return ContentHash(unchecked: hasher.finalize())
    }

    /// What a side sends instead of the whole of this knowledge, to a peer that holds `base`: the
    /// entries of `scopes` that `base` lacks or holds otherwise, and, for each chain of those
    /// scopes that `base` holds and this knowledge does not, an entry with seq 0 and the zero
    /// hash.
    public func delta(from base: Knowledge, in scopes: Set<Scope>) -> Knowledge {
        var out = Knowledge()
        for (chain, entry) in entries where scopes.contains(chain.scope) && base.entries[chain] != entry { out.entries[chain] = entry }
        for chain in base.entries.keys where scopes.contains(chain.scope) && entries[chain] == nil {
            out.entries[chain] = Entry(seq: 0, hash: .zero)
        }
        return out
    }

    /// The knowledge a delta stands for: for each scope `digests` names, the entries of `base` in
    /// it with those of `delta` put over them (seq 0 removes the chain). Returns the scopes whose
    /// digest does not match what was rebuilt (a delta naming a scope the digests do not is one
    /// too) as `mismatched`; a mismatch is never read as equality.
    public static func rebuild(base: Knowledge, delta: Knowledge, digests: KnowledgeDigests) -> (knowledge: Knowledge, mismatched: [Scope]) {
        var rebuilt = Knowledge(base.entries.filter { digests.entries[$0.key.scope] != nil })
        var stray = Set<Scope>()
        for (chain, entry) in delta.entries {
            guard digests.entries[chain.scope] != nil else {
                stray.insert(chain.scope)
                continue
            }
            rebuilt.entries[chain] = entry.seq == 0 ? nil : entry
        }
        let computed = rebuilt.digests(of: digests.scopes)
        let mismatched = digests.entries.filter { computed.entries[$0.key] != $0.value }.map(\.key)
        return (rebuilt, Array(stray.union(mismatched)).sorted())
    }
}
