/// The stable id of one store: an office (`fia-lahore`), a hub or the central node.
///
/// 1 to 63 characters of `a-z`, `0-9` and `-`, starting with a letter or a digit.
public struct NodeID: Sendable, Hashable, Comparable, CheckedString {
    public let rawValue: String

    public init(_ string: String) throws(ValidationError) {
        guard NodeID.isValid(string) else {
            throw ValidationError(
                .invalidNodeID,
                "'\(string.prefix(80))' is not a node id: use 1 to \(Limits.nodeIDLength) characters of a-z, 0-9 and '-', starting with a letter or digit (for example fia-lahore)"
            )
        }
        rawValue = string
    }

    public static func isValid(_ string: String) -> Bool {
        let bytes = string.utf8
        guard !bytes.isEmpty, bytes.count <= Limits.nodeIDLength else { return false }
        var first = true
        for b in bytes {
            let letterOrDigit = (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39)
            if first {
                guard letterOrDigit else { return false }
                first = false
            } else {
                guard letterOrDigit || b == 0x2D else { return false }
            }
        }
        return true
    }

    public var description: String { rawValue }
    public static func < (a: NodeID, b: NodeID) -> Bool { a.rawValue < b.rawValue }
}

/// One change's identity: the node that made it and that node's count of changes, 1, 2, 3, ...
public struct Dot: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var origin: NodeID
    public var seq: UInt64

    public init(origin: NodeID, seq: UInt64) {
        self.origin = origin
        self.seq = seq
    }

    public var description: String { "\(origin.rawValue):\(seq)" }

    enum CodingKeys: String, CodingKey, CaseIterable { case origin, seq }

    public init(from decoder: any Decoder) throws {
        try KnownKeys.check(decoder, allowed: CodingKeys.allCases.map(\.rawValue), in: "a dot")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        origin = try c.decode(NodeID.self, forKey: .origin)
        seq = try c.decode(UInt64.self, forKey: .seq)
    }

    public static func < (a: Dot, b: Dot) -> Bool {
        a.origin == b.origin ? a.seq < b.seq : a.origin < b.origin
    }
}
