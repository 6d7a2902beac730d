public import DaftarModel

/// Bounds on one batch of changes.
public struct BatchLimits: Sendable, Hashable {
    public var maxCount: Int
    public var maxBytes: Int

    public init(maxCount: Int = 1000, maxBytes: Int = Limits.batchBytes) {
        self.maxCount = max(1, maxCount)
        self.maxBytes = max(Limits.changeBytes + 64, maxBytes)
    }
}

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

/// Why applying a batch stopped before its end.
public enum ApplyStop: Sendable, Hashable, CustomStringConvertible {
    /// The change needs `missing`, which this store does not hold yet.
    case missingDependency(change: Dot, missing: Dot)
    /// The change's origin has another history here.
    case fork(ForkReport)
    /// The sender may not pass on changes of this origin.
    case originNotAllowed(change: Dot)

    public var description: String {
        switch self {
        case .missingDependency(let change, let missing):
            "change \(change) waits for change \(missing), which this store does not hold yet: sync with a node that holds it"
        case .fork(let report): report.description
        case .originNotAllowed(let change):
            "change \(change) was made by \(change.origin), and this sender may pass on only its own changes: register the sender as a relay, or sync with \(change.origin) directly"
        }
    }
}

/// A received stamp that ran ahead of this node's clock by more than the allowed drift.
public struct SkewReport: Sendable, Hashable, Codable {
    public var dot: Dot
    public var skewMilliseconds: UInt64
}

/// What applying a batch did.
public struct ApplyReport: Sendable, Hashable {
    /// Changes newly applied.
    public var applied: Int = 0
    /// Changes already held (same content), skipped.
    public var duplicates: Int = 0
    /// Where and why it stopped early; nil when the whole batch was taken.
    public var stop: ApplyStop?
    /// The index in the batch of the first change not taken, when it stopped.
    public var stoppedAt: Int?
    /// Stamps beyond the drift limit (applied all the same).
    public var skews: [SkewReport] = []
    /// Entries that are in conflict after this batch and were not before.
    public var newConflicts: Int = 0
    /// Forks found by comparing knowledge before applying.
    public var forks: [ForkReport] = []
}

/// A batch of changes for a peer, in this store's apply order.
public struct OutgoingBatch: Sendable {
    public var changes: [Change]
    /// The canonical encoding of each change (with hash), for senders that use it.
    public var encoded: [[UInt8]]
    /// Whether more changes remain after this batch for the same peer knowledge.
    public var hasMore: Bool
    /// Origins whose changes were held back (forked, or not to be passed on), with the first held back.
    public var heldBack: [Dot]
    /// Forks found comparing the peer's knowledge with this store's history.
    public var forks: [ForkReport]
}
