/// A fork: two histories of one origin that differ (DESIGN's definition of a fork).
public struct ForkReport: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The dot at which the two histories were found to differ (the fork is at or before it).
    public var dot: Dot
    public var localHash: ContentHash
    public var remoteHash: ContentHash
    /// The chain's scope, when the fork is of one chain; nil for the whole origin (a fork kept
    /// before proofs existed).
    public var scope: Scope?
    /// Whether it is kept with its proof: two runs of change headers, each signed by the origin.
    public var proven: Bool

    public init(dot: Dot, localHash: ContentHash, remoteHash: ContentHash, scope: Scope? = nil, proven: Bool = false) {
        self.dot = dot
        self.localHash = localHash
        self.remoteHash = remoteHash
        self.scope = scope
        self.proven = proven
    }

    enum CodingKeys: String, CodingKey { case dot, localHash, remoteHash, scope, proven }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        dot = try c.decode(Dot.self, forKey: .dot)
        localHash = try c.decode(ContentHash.self, forKey: .localHash)
        remoteHash = try c.decode(ContentHash.self, forKey: .remoteHash)
        scope = try c.decodeIfPresent(Scope.self, forKey: .scope)
        proven = try c.decodeIfPresent(Bool.self, forKey: .proven) ?? false
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(dot, forKey: .dot)
        try c.encode(localHash, forKey: .localHash)
        try c.encode(remoteHash, forKey: .remoteHash)
        try c.encodeIfPresent(scope, forKey: .scope)
        if proven { try c.encode(proven, forKey: .proven) }
    }

    public var description: String {
        let chain = scope.map { " in scope \($0)" } ?? ""
        let proof = proven ? " (proven: both changes signed by \(dot.origin))" : ""
        return "the history of \(dot.origin)\(chain) differs at change \(dot) (here \(localHash), there \(remoteHash))\(proof): a copy of \(dot.origin)'s store was used twice; see `daftar fork` to recover"
    }
}

/// A received stamp that ran ahead of this node's clock by more than the allowed drift.
public struct SkewReport: Sendable, Hashable, Codable {
    public var dot: Dot
    public var skewMilliseconds: UInt64

    public init(dot: Dot, skewMilliseconds: UInt64) {
        self.dot = dot
        self.skewMilliseconds = skewMilliseconds
    }
}

extension SkewReport: Comparable {
    public static func < (a: SkewReport, b: SkewReport) -> Bool { a.skewMilliseconds < b.skewMilliseconds }
}
