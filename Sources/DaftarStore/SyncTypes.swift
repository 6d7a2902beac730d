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

/// Why applying a batch stopped before its end.
public enum ApplyStop: Sendable, Hashable, CustomStringConvertible {
    /// The change needs `missing`, which this store does not hold yet.
    case missingDependency(change: Dot, missing: Dot)
    /// The change's origin has another history here.
    case fork(ForkReport)
    /// The sender may not pass on changes of this origin.
    case originNotAllowed(change: Dot)
    /// The change is of a scope this node does not take from this sender: one it may not hold,
    /// one the sender may not read, or the registry from anyone but the central node itself.
    case scopeNotTaken(change: Dot, scope: Scope)
    /// The change contradicts what it depends on (for example it edits a record its origin
    /// never created); its origin's later changes wait behind it.
    case invalid(change: Dot, reason: String)
    /// No signature in the batch covers the change (DESIGN promise 16): its chain waits for the
    /// rest of its signed run.
    case unsigned(change: Dot)
    /// The signature that covers the change names a key the root has not bound to its origin
    /// here: its chain waits for the key statement.
    case unknownKey(change: Dot, key: ContentHash)
    /// The signature that covers the change does not verify: it was altered or made up on the
    /// way, and is refused.
    case badSignature(change: Dot)
    /// The registry binds the change's origin to two keys, neither replacing the other (a key
    /// fork): nothing more of it is taken until the root revokes its key.
    case keyFork(change: Dot)

    public var description: String {
        switch self {
        case .missingDependency(let change, let missing):
            "change \(change) waits for change \(missing), which this store does not hold yet: sync with a node that holds it"
        case .fork(let report): report.description
        case .invalid(let change, let reason):
            "change \(change) is refused: \(reason); its origin's store is damaged or was altered, and must be checked"
        case .scopeNotTaken(let change, let scope) where scope == .registry:
            "change \(change) is a registry statement, and this node takes those only from the central node itself (in a direct exchange): its chain waits"
        case .scopeNotTaken(let change, let scope):
            "change \(change) is of scope \(scope), which this node does not take from this sender (not granted on one side): its chain waits; grants are shown by `daftar node list` at the central node"
        case .originNotAllowed(let change):
            "change \(change) was made by \(change.origin), and this sender may pass on only its own changes: register the sender as a relay, or sync with \(change.origin) directly"
        case .unsigned(let change):
            "change \(change) came without the signature of \(change.origin) that vouches for it (the rest of its signed run was not in the batch): its chain waits"
        case .unknownKey(let change, let key):
            "change \(change) is signed by key \(key.hex.prefix(16))…, which the registry here does not bind to \(change.origin) yet: its chain waits for the central node's key statement (written at \(change.origin)'s first sync with the central node; a hub gets it at its next sync there)"
        case .badSignature(let change):
            "change \(change) does not carry a valid signature of \(change.origin): it was altered or made up on the way, and is refused"
        case .keyFork(let change):
            "change \(change) is not taken: the registry binds \(change.origin) to two keys, neither replacing the other (a key fork; `daftar status` shows both statements). The central node's operator revokes its key (daftar node revoke \(change.origin) --keep-through SEQ) and registers the office under a new id"
        }
    }
}

/// What applying a batch did.
public struct ApplyReport: Sendable, Hashable {
    /// Changes newly applied.
    public var applied: Int = 0
    /// Changes already held (same content), skipped.
    public var duplicates: Int = 0
    /// Where and why the first chain stopped; nil when the whole batch was taken.
    public var stop: ApplyStop?
    /// The index in the batch of the first change not taken, when a chain stopped.
    public var stoppedAt: Int?
    /// Where and why each chain that stopped did, in the order met.
    public var stops: [ApplyStop] = []
    /// Changes not taken because an earlier change of their chain was not.
    public var waiting: Int = 0
    /// Stamps beyond the drift limit (applied all the same).
    public var skews: [SkewReport] = []
    /// Entries that are in conflict after this batch and were not before.
    public var newConflicts: Int = 0
    /// Forks found by comparing knowledge before applying.
    public var forks: [ForkReport] = []
    /// For origins whose clocks ran past the allowed drift in this batch: how many conflicting
    /// fields their values now win by those stamps alone.
    public var skewWins: [NodeID: Int] = [:]
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

    public init(changes: [Change] = [], encoded: [[UInt8]] = [], hasMore: Bool = false, heldBack: [Dot] = [], forks: [ForkReport] = []) {
        self.changes = changes
        self.encoded = encoded
        self.hasMore = hasMore
        self.heldBack = heldBack
        self.forks = forks
    }
}

/// The void changes held of one chain (DESIGN promise 14): kept and passed on, but computed as
/// if absent.
public struct VoidChain: Sendable, Hashable {
    public var chain: Chain
    public var count: Int
    public var first: UInt64
    public var last: UInt64
    /// Why its first void change is void, in an officer's words.
    public var reason: String
}

/// The chains a store refuses for a fork: one chain for a proven fork, the whole origin for a
/// fork kept before proofs existed (or shown by a peer's knowledge of its own chains).
struct ForkedChains {
    var origins: Set<NodeID> = []
    var chains: Set<Chain> = []

    mutating func insert(_ fork: ForkReport) {
        if let scope = fork.scope { chains.insert(Chain(fork.dot.origin, scope)) } else { origins.insert(fork.dot.origin) }
    }

    func contains(_ chain: Chain) -> Bool { chains.contains(chain) || origins.contains(chain.origin) }
}
