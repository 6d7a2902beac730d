/// A named compartment of the register (`punjab`, `sindh`, `ct-wing`, `cyber`, `national`):
/// every record belongs to one, named by its creating change and repeated by every later one.
///
/// Scope names follow the rules of node ids: 1 to 63 characters of `a-z`, `0-9` and `-`,
/// starting with a letter or a digit. `general` holds what was recorded before scopes existed;
/// `registry` is reserved for the statements every node holds.
public struct Scope: Sendable, Hashable, Comparable, CheckedString {
    public let rawValue: String

    public init(_ string: String) throws(ValidationError) {
        guard NodeID.isValid(string) else {
            throw ValidationError(
                .invalidScope,
                "'\(string.prefix(80))' is not a scope name: use 1 to \(Limits.nodeIDLength) characters of a-z, 0-9 and '-', starting with a letter or digit (for example punjab)"
            )
        }
        rawValue = string
    }

    private init(unchecked: String) { rawValue = unchecked }

    /// Where format-1 data lives, and every entry until scopes are granted.
    public static let general = Scope(unchecked: "general")
    /// The reserved scope of registry statements.
    public static let registry = Scope(unchecked: "registry")

    public var description: String { rawValue }
    public static func < (a: Scope, b: Scope) -> Bool { a.rawValue < b.rawValue }
}

/// A change's link to its chain: the seq and hash of its origin's previous change in the same
/// scope; seq 0 and the zero hash for the first change of a chain.
public struct ChainLink: Sendable, Hashable, Codable, CustomStringConvertible {
    public var seq: UInt64
    public var hash: ContentHash

    public init(seq: UInt64, hash: ContentHash) {
        self.seq = seq
        self.hash = hash
    }

    /// What the first change of a chain links to.
    public static let start = ChainLink(seq: 0, hash: .zero)

    public var description: String { seq == 0 ? "the chain's start" : "\(seq) (\(hash.description.prefix(12)))" }

    enum CodingKeys: String, CodingKey, CaseIterable { case seq, hash }

    public init(from decoder: any Decoder) throws {
        try KnownKeys.check(decoder, allowed: CodingKeys.allCases.map(\.rawValue), in: "a change's prev")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        seq = try c.decode(UInt64.self, forKey: .seq)
        hash = try c.decode(ContentHash.self, forKey: .hash)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(seq, forKey: .seq)
        try c.encode(hash, forKey: .hash)
    }
}
