/// Two histories of one origin that differ: a store copied by hand and used twice.
public struct ForkReport: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The dot at which the two histories were found to differ (the fork is at or before it).
    public var dot: Dot
    public var localHash: ContentHash
    public var remoteHash: ContentHash

    public init(dot: Dot, localHash: ContentHash, remoteHash: ContentHash) {
        self.dot = dot
        self.localHash = localHash
        self.remoteHash = remoteHash
    }

    public var description: String {
        "the history of \(dot.origin) differs at change \(dot) (here \(localHash), there \(remoteHash)): a copy of \(dot.origin)'s store was used twice; see `daftar fork` to recover"
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
