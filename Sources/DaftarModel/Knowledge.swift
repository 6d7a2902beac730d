/// What a store holds of each origin: the highest seq, contiguous from 1, and the hash of the
/// change at that seq. It is the only sync cursor.
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

    public var entries: [NodeID: Entry]

    public init(_ entries: [NodeID: Entry] = [:]) { self.entries = entries }

    public subscript(origin: NodeID) -> UInt64 { entries[origin]?.seq ?? 0 }

    /// Whether the change at `dot` is held.
    public func covers(_ dot: Dot) -> Bool { self[dot.origin] >= dot.seq }

    /// Whether every dot `vector` covers, except `dot` itself, is held: the condition for
    /// applying the change at `dot` (with `dot` the next of its origin).
    public func holdsDependencies(of vector: VersionVector, except dot: Dot) -> Dot? {
        for entry in vector.entries where entry.node != dot.origin && self[entry.node] < entry.seq {
            return Dot(origin: entry.node, seq: self[entry.node] + 1)
        }
        return nil
    }

    /// The total number of changes held.
    public var count: UInt64 {
        entries.values.reduce(0) { total, entry in
            let (sum, overflow) = total.addingReportingOverflow(entry.seq)
            return overflow ? .max : sum
        }
    }

    public init(from decoder: any Decoder) throws {
        let map = try decoder.singleValueContainer().decode([String: Entry].self)
        var entries: [NodeID: Entry] = [:]
        for (key, entry) in map {
            do { entries[try NodeID(key)] = entry } catch {
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
