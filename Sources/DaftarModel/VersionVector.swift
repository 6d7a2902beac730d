/// Node id to the highest seq of that node's changes applied to one record.
///
/// Kept as a list sorted by node id, so that it encodes the same way everywhere.
public struct VersionVector: Sendable, Hashable, Codable, CustomStringConvertible {
    public struct Entry: Sendable, Hashable {
        public var node: NodeID
        public var seq: UInt64
    }

    /// How two vectors relate.
    public enum Order: Sendable, Hashable {
        case equal, before, after, concurrent
    }

    public private(set) var entries: [Entry]

    public init() { entries = [] }

    /// A vector from entries in any order; zero counters are dropped, the highest seq of a
    /// repeated node kept.
    public init(_ pairs: [(NodeID, UInt64)]) {
        entries = []
        for (node, seq) in pairs where seq > 0 { self[node] = max(self[node], seq) }
    }

    public init(_ dot: Dot) { entries = [Entry(node: dot.origin, seq: dot.seq)] }

    private func index(of node: NodeID) -> (found: Bool, at: Int) {
        var low = 0
        var high = entries.count
        while low < high {
            let mid = (low + high) / 2
            if entries[mid].node < node { low = mid + 1 } else { high = mid }
        }
        return (low < entries.count && entries[low].node == node, low)
    }

    /// The seq recorded for `node`, 0 when none.
    public subscript(node: NodeID) -> UInt64 {
        get {
            let (found, at) = index(of: node)
            return found ? entries[at].seq : 0
        }
        set {
            let (found, at) = index(of: node)
            if newValue == 0 {
                if found { entries.remove(at: at) }
            } else if found {
                entries[at].seq = newValue
            } else {
                entries.insert(Entry(node: node, seq: newValue), at: at)
            }
        }
    }

    public var isEmpty: Bool { entries.isEmpty }

    /// Whether this vector covers `dot`: its node's counter is at or past the dot's seq.
    public func covers(_ dot: Dot) -> Bool { self[dot.origin] >= dot.seq }

    /// The pointwise maximum of two vectors.
    public func merging(_ other: VersionVector) -> VersionVector {
        var result: [Entry] = []
        result.reserveCapacity(max(entries.count, other.entries.count))
        var i = 0
        var j = 0
        while i < entries.count || j < other.entries.count {
            if j == other.entries.count || (i < entries.count && entries[i].node < other.entries[j].node) {
                result.append(entries[i])
                i += 1
            } else if i == entries.count || other.entries[j].node < entries[i].node {
                result.append(other.entries[j])
                j += 1
            } else {
                result.append(Entry(node: entries[i].node, seq: max(entries[i].seq, other.entries[j].seq)))
                i += 1
                j += 1
            }
        }
        var merged = VersionVector()
        merged.entries = result
        return merged
    }

    public mutating func merge(_ other: VersionVector) { self = merging(other) }

    /// Compares two vectors pointwise.
    public func compare(_ other: VersionVector) -> Order {
        var less = false
        var greater = false
        for entry in merging(other).entries {
            let mine = self[entry.node]
            let theirs = other[entry.node]
            if mine < theirs { less = true }
            if mine > theirs { greater = true }
        }
        switch (less, greater) {
        case (false, false): return .equal
        case (true, false): return .before
        case (false, true): return .after
        case (true, true): return .concurrent
        }
    }

    public var description: String {
        "[" + entries.map { "\($0.node.rawValue):\($0.seq)" }.joined(separator: " ") + "]"
    }

    public init(from decoder: any Decoder) throws {
        let map = try decoder.singleValueContainer().decode([String: UInt64].self)
        var pairs: [(NodeID, UInt64)] = []
        for (key, seq) in map {
            guard seq > 0 else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "the vector entry of \(key.prefix(63)) is 0; entries are 1 or more (leave a node out instead)"))
            }
            do { pairs.append((try NodeID(key), seq)) } catch {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message))
            }
        }
        self.init(pairs)
    }

    public func encode(to encoder: any Encoder) throws {
        var single = encoder.singleValueContainer()
        try single.encode(Dictionary(uniqueKeysWithValues: entries.map { ($0.node.rawValue, $0.seq) }))
    }
}
