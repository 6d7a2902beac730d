public import DaftarModel

/// The sync protocol, version 1: what a client sends in one exchange and what the server
/// answers. JSON is the documented, always-supported body; ``CompactCodec`` is a faster binary
/// form offered by content negotiation. See docs/PROTOCOL.md and docs/openapi.yaml.
public enum SyncProtocol {
    /// 2 since change format 2 (scope, prev, a header hash).
    public static let version = 2
    public static let jsonType = "application/json"
    public static let compactType = "application/vnd.daftar.batch"
    /// The largest request body a server reads, in bytes (before decompression); larger gets 413.
    public static let maxRequestBytes = 32 * 1024 * 1024
    /// The largest body after gzip decompression; a body that inflates past it gets 413.
    public static let maxInflatedBytes = 32 * 1024 * 1024
    /// The most changes one request may carry (a sender's batch holds at most this many); more
    /// gets 413. It bounds what decoding one request takes in memory.
    public static let maxChangesPerRequest = 5000
}

/// One exchange from the client: its node id and knowledge, and changes the server lacks.
public struct SyncRequest: Sendable, Hashable, Codable {
    /// The client's node id; it must be the node the token was issued to.
    public var node: NodeID
    /// What the client holds, so the server can send what it lacks and compare for forks.
    public var knowledge: Knowledge
    /// Changes the server lacks, in the client's apply order.
    public var changes: [Change]
    /// At most how many changes the client wants back (the server may send fewer); 0 asks for
    /// none this time, for a push only.
    public var maxChanges: Int?
    /// Changes the client received in the previous answer and is still applying: the server
    /// sends what the client lacks as if it held them, but compares hashes for forks and
    /// records what the client holds from `knowledge` alone.
    public var applying: Knowledge?
    /// The digest of each scope of the client's whole knowledge. Given, the server answers
    /// with its knowledge in the same form (only the entries that differ from the client's, and
    /// a digest per scope); left out, both are sent whole.
    public var digests: KnowledgeDigests?
    /// True: `knowledge` holds only the entries that changed since the knowledge of the last
    /// exchange the server answered (seq 0 for a chain no longer held); `digests` is required
    /// and says what the whole is. A digest that does not match is answered 409
    /// `knowledge_mismatch`, and the client sends its knowledge whole.
    public var knowledgeDelta: Bool?
    /// The client's public key (64 lower-case hex digits): at the central node, the first
    /// exchange with a node's token binds it to the node in the registry (DESIGN promise 17); a
    /// node whose bound key differs is refused 403 `key_mismatch`.
    public var key: String?
    /// The central node whose statements the client takes, when it knows one: a server that
    /// knows the same root sends it the registry (DESIGN promise 17).
    public var root: NodeID?
    /// The client's key rotation, while the central node has not bound its new key (`key`): the
    /// key bound now signs the new key and the first seq it signs (DESIGN promise 17).
    public var keyRotation: KeyRotation?
    /// The client's signed runs at the dots where the server's last knowledge differs from the
    /// client's history, so that the server, holding the other branch, can prove the fork.
    public var forkRuns: [SignedRun]?
    /// Fork proofs the client keeps, of scopes the server takes from it.
    public var forkProofs: [ForkProof]?

    /// At most this many signed runs, and this many fork proofs, in one request or answer.
    public static let maxForkEvidence = 32

    public init(node: NodeID, knowledge: Knowledge, changes: [Change], maxChanges: Int? = nil, applying: Knowledge? = nil) {
        self.node = node
        self.knowledge = knowledge
        self.changes = changes
        self.maxChanges = maxChanges
        self.applying = applying
    }

    /// What the server may assume the client holds when choosing what to send it.
    public var assumedKnowledge: Knowledge {
        guard let applying, !applying.entries.isEmpty else { return knowledge }
        var assumed = knowledge
        for (origin, entry) in applying.entries where entry.seq > assumed[origin] { assumed.entries[origin] = entry }
        return assumed
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case node, knowledge, changes, maxChanges, applying, digests, knowledgeDelta, key, root, keyRotation, forkRuns, forkProofs }

    public init(from decoder: any Decoder) throws {
        try KnownKeys.check(decoder, allowed: CodingKeys.allCases.map(\.rawValue), in: "a sync request")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        node = try c.decode(NodeID.self, forKey: .node)
        knowledge = try c.decode(Knowledge.self, forKey: .knowledge)
        changes = try c.decodeIfPresent([Change].self, forKey: .changes) ?? []
        maxChanges = try c.decodeIfPresent(Int.self, forKey: .maxChanges)
        if let maxChanges, maxChanges < 0 {
            throw DecodingError.dataCorrupted(
                .init(codingPath: [CodingKeys.maxChanges], debugDescription: "maxChanges is \(maxChanges); give 0 (send nothing back) or more, or leave it out"))
        }
        applying = try c.decodeIfPresent(Knowledge.self, forKey: .applying)
        digests = try c.decodeIfPresent(KnowledgeDigests.self, forKey: .digests)
        knowledgeDelta = try c.decodeIfPresent(Bool.self, forKey: .knowledgeDelta)
        key = try c.decodeIfPresent(String.self, forKey: .key)
        root = try c.decodeIfPresent(NodeID.self, forKey: .root)
        keyRotation = try c.decodeIfPresent(KeyRotation.self, forKey: .keyRotation)
        forkRuns = try c.decodeIfPresent([SignedRun].self, forKey: .forkRuns)
        forkProofs = try c.decodeIfPresent([ForkProof].self, forKey: .forkProofs)
        if (forkRuns?.count ?? 0) > Self.maxForkEvidence || (forkProofs?.count ?? 0) > Self.maxForkEvidence {
            throw DecodingError.dataCorrupted(
                .init(codingPath: [CodingKeys.forkRuns], debugDescription: "a request carries at most \(Self.maxForkEvidence) signed runs and \(Self.maxForkEvidence) fork proofs: send the rest in the next exchange"))
        }
        if let keyRotation, keyRotation.key != key {
            throw DecodingError.dataCorrupted(
                .init(codingPath: [CodingKeys.keyRotation], debugDescription: "keyRotation names another key than `key`: send the rotation of the key the request carries"))
        }
        if let key, (try? PublicKey(hex: key)) == nil {
            throw DecodingError.dataCorrupted(
                .init(codingPath: [CodingKeys.key], debugDescription: "key is not an Ed25519 public key: give its 32 bytes as 64 lower-case hex digits"))
        }
        if knowledgeDelta == true, digests == nil {
            throw DecodingError.dataCorrupted(
                .init(codingPath: [CodingKeys.knowledgeDelta], debugDescription: "knowledgeDelta is true but digests is missing: a delta needs the digest of every scope of the whole knowledge"))
        }
        if let digests, !knowledge.scopes.isSubset(of: digests.scopes) {
            let stray = knowledge.scopes.subtracting(digests.scopes).sorted().map(\.rawValue).joined(separator: ", ")
            throw DecodingError.dataCorrupted(
                .init(codingPath: [CodingKeys.digests], debugDescription: "knowledge names scope(s) \(stray) that digests does not: give a digest for every scope of the knowledge"))
        }
    }
}

/// Why the server stopped applying the client's batch early.
public struct StopReport: Sendable, Hashable, Codable {
    public enum Reason: String, Sendable, Hashable, Codable {
        case missingDependency = "missing_dependency"
        case fork
        case originNotAllowed = "origin_not_allowed"
        case scopeNotTaken = "scope_not_taken"
        case invalid = "invalid_change"
        case unsigned
        case unknownKey = "unknown_key"
        case badSignature = "bad_signature"
        case keyFork = "key_fork"
    }

    public var reason: Reason
    /// The first change not applied.
    public var change: Dot
    /// For a missing dependency: the change it waits for.
    public var missing: Dot?
    /// For a fork: the dot whose hashes differ.
    public var fork: ForkReport?
    public var message: String

    public init(reason: Reason, change: Dot, missing: Dot? = nil, fork: ForkReport? = nil, message: String) {
        self.reason = reason
        self.change = change
        self.missing = missing
        self.fork = fork
        self.message = message
    }
}

/// The server's answer to one exchange.
public struct SyncResponse: Sendable, Hashable, Codable {
    /// The server's node id.
    public var node: NodeID
    /// The client's role at this server: `office` (may send only its own changes) or `relay`.
    public var role: String
    /// What the server holds after applying the client's batch.
    public var knowledge: Knowledge
    /// Changes the client lacks, in the server's apply order.
    public var changes: [Change]
    /// Whether the server has more for the client after these.
    public var hasMore: Bool
    /// Of the client's changes: how many were applied, and how many were already held.
    public var applied: Int
    public var duplicates: Int
    /// Where and why the server stopped applying the client's batch, if it did: the first chain
    /// that stopped.
    public var stop: StopReport?
    /// Where and why each chain of the client's batch that stopped did, in the batch's order;
    /// nil when none did. Every other chain of the batch was applied.
    public var stops: [StopReport]?
    /// Forks the server found comparing the client's knowledge with its history (its own hash as `localHash`).
    public var forks: [ForkReport]
    /// Client changes whose stamps ran past the server's allowed clock drift (applied all the same).
    public var skews: [SkewReport]
    /// Changes the server holds back from this client (a forked origin, and what depends on it).
    public var heldBack: [Dot]?
    /// The scopes the server takes from this client (those the client may read and the server
    /// holds); the registry is never among them. Nil from a server before scopes.
    public var scopes: [Scope]?
    /// The central node whose registry statements count, when the server knows it: a server
    /// that names itself is the central node.
    public var root: NodeID?
    /// The root's public key (64 lower-case hex digits), when the server knows it: the client
    /// checks its fingerprint against the one it pinned, and verifies the root's statements with
    /// it (DESIGN promise 17).
    public var rootKey: String?
    /// Scopes withdrawn from the client that the server holds: it takes changes of them from the
    /// client and never sends any. For these, `knowledge` holds only the chains the request's
    /// knowledge named, each at most at the request's seq, so that the client can push what the
    /// server lacks and then delete the scope. Nil when there are none.
    public var pushScopes: [Scope]?
    /// When the request carried `digests`: the digest of each scope of the server's knowledge,
    /// and `knowledge` holds only the entries that differ from the request's (seq 0 for a chain
    /// the request names that the server does not hold in a scope listed here). Nil: `knowledge`
    /// is whole.
    public var digests: KnowledgeDigests?
    /// The server's signed runs at the dots where the client's knowledge differs from the
    /// server's history (`forks`), so that the client, holding the other branch, can prove the
    /// fork. Nil when there are none.
    public var forkRuns: [SignedRun]?
    /// Fork proofs the server keeps whose every scope the client may read. Nil when none.
    public var forkProofs: [ForkProof]?

    public init(
        node: NodeID, role: String, knowledge: Knowledge, changes: [Change], hasMore: Bool, applied: Int, duplicates: Int,
        stop: StopReport?, forks: [ForkReport], skews: [SkewReport]
    ) {
        self.node = node
        self.role = role
        self.knowledge = knowledge
        self.changes = changes
        self.hasMore = hasMore
        self.applied = applied
        self.duplicates = duplicates
        self.stop = stop
        self.forks = forks
        self.skews = skews
    }
}

/// Every refusal: `{"error": "<code>", "message": "<what happened and what to do>"}`.
public struct ErrorBody: Sendable, Hashable, Codable {
    public var error: String
    public var message: String

    public init(error: String, message: String) {
        self.error = error
        self.message = message
    }
}

/// The health answer, given without a token.
public struct Health: Sendable, Hashable, Codable {
    public var status: String
    public var node: NodeID
    public var protocolVersion: Int

    public init(status: String, node: NodeID, protocolVersion: Int) {
        self.status = status
        self.node = node
        self.protocolVersion = protocolVersion
    }
}

/// A node's chain of hashes for one origin, for fork recovery.
public struct ChainHashes: Sendable, Hashable, Codable {
    public var origin: NodeID
    public var hashes: [String: ContentHash]

    public init(origin: NodeID, hashes: [String: ContentHash]) {
        self.origin = origin
        self.hashes = hashes
    }
}
