/// A run of one chain's change headers, each naming the one before it as its `prev`, whose last
/// change carries its origin's signature: the signature vouches for every header of the run
/// (DESIGN promise 16), and for the `prev` the first one names.
public struct SignedRun: Sendable, Hashable, Codable {
    public let headers: [ChangeHeader]
    public let signature: ChangeSignature

    public init(headers: [ChangeHeader], signature: ChangeSignature) throws(ValidationError) {
        guard let first = headers.first else { throw ValidationError(.malformedEncoding, "a signed run holds at least one change header") }
        guard headers.count <= Limits.signedRunChanges else {
            throw ValidationError(.malformedEncoding, "a signed run holds at most \(Limits.signedRunChanges) change headers, not \(headers.count)")
        }
        for (before, next) in zip(headers, headers.dropFirst()) {
            guard next.chain == first.chain, next.prev == ChainLink(seq: before.dot.seq, hash: before.hash) else {
                throw ValidationError(.malformedEncoding, "the change headers of a signed run follow one another in one chain: \(next.dot) does not follow \(before.dot)")
            }
        }
        self.headers = headers
        self.signature = signature
    }

    /// The header the signature is on.
    public var signed: ChangeHeader { headers[headers.count - 1] }
    public var chain: Chain { headers[0].chain }

    /// What the run says of its origin's history: the hash of each dot it names (its headers,
    /// and the `prev` of the first), and the change that follows each `prev` in the chain.
    var claims: (dots: [Dot: (hash: ContentHash, chain: Chain)], successors: [Successor: (hash: ContentHash, dot: Dot)]) {
        var dots: [Dot: (ContentHash, Chain)] = [:]
        var successors: [Successor: (ContentHash, Dot)] = [:]
        let first = headers[0]
        if first.prev.seq > 0 { dots[Dot(origin: first.dot.origin, seq: first.prev.seq)] = (first.prev.hash, first.chain) }
        for header in headers {
            dots[header.dot] = (header.hash, header.chain)
            successors[Successor(chain: header.chain, prev: header.prev)] = (header.hash, header.dot)
        }
        return (dots, successors)
    }

    struct Successor: Hashable {
        var chain: Chain
        var prev: ChainLink
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case headers, signature }

    /// JSON: `{"headers": ["<hex of each header's bytes>", ...], "signature": {...}}`.
    public init(from decoder: any Decoder) throws {
        try KnownKeys.check(decoder, allowed: CodingKeys.allCases.map(\.rawValue), in: "a signed run")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let texts = try c.decode([String].self, forKey: .headers)
        guard texts.count <= Limits.signedRunChanges else {
            throw DecodingError.dataCorruptedError(forKey: .headers, in: c, debugDescription: "a signed run holds at most \(Limits.signedRunChanges) change headers")
        }
        var headers: [ChangeHeader] = []
        for text in texts {
            guard text.utf8.count <= 2 * Limits.changeBytes, let bytes = ChangeSignature.bytes(hex: text) else {
                throw DecodingError.dataCorruptedError(forKey: .headers, in: c, debugDescription: "a change header is lower-case hex digits")
            }
            headers.append(try ChangeHeader(bytes: bytes))
        }
        try self.init(headers: headers, signature: try c.decode(ChangeSignature.self, forKey: .signature))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(headers.map { ChangeSignature.hex($0.bytes) }, forKey: .headers)
        try c.encode(signature, forKey: .signature)
    }
}

/// Proof that an origin's history forked (DESIGN's definition of a fork): two signed runs of
/// one origin that give one dot two hashes, or one `prev` of a chain two different changes
/// after it. Whoever holds it can check it against the origin's keys alone, so no relay or
/// office can make a store record a fork of someone else with a made-up hash.
public struct ForkProof: Sendable, Hashable, Codable {
    public let first: SignedRun
    public let second: SignedRun
    /// The lowest dot at which the two runs differ.
    public let dot: Dot
    /// The hashes each run gives the change at (or after the `prev` at) `dot`.
    public let firstHash: ContentHash
    public let secondHash: ContentHash
    /// The chains the differing changes belong to: one, or two when one dot was used in two
    /// scopes. These chains are refused until the fork is recovered.
    public let chains: Set<Chain>

    /// Checks that `first` and `second` disagree (their signatures are checked by whoever
    /// keeps the proof, against the keys it knows).
    public init(_ first: SignedRun, _ second: SignedRun) throws(ValidationError) {
        guard first.chain.origin == second.chain.origin else {
            throw ValidationError(.malformedEncoding, "the two runs of a fork proof are of one origin, not \(first.chain.origin) and \(second.chain.origin)")
        }
        let a = first.claims
        let b = second.claims
        var found: (dot: Dot, first: ContentHash, second: ContentHash, chains: Set<Chain>)?
        func consider(_ dot: Dot, _ x: ContentHash, _ y: ContentHash, _ chains: Set<Chain>) {
            guard x != y else { return }
            if found == nil || dot.seq < found!.dot.seq { found = (dot, x, y, chains) }
        }
        for (dot, mine) in a.dots {
            if let theirs = b.dots[dot] { consider(dot, mine.hash, theirs.hash, [mine.chain, theirs.chain]) }
        }
        for (link, mine) in a.successors {
            if let theirs = b.successors[link] {
                consider(mine.dot.seq <= theirs.dot.seq ? mine.dot : theirs.dot, mine.hash, theirs.hash, [link.chain])
            }
        }
        guard let found else {
            throw ValidationError(.malformedEncoding, "the two runs of a fork proof agree wherever both say something: they prove no fork")
        }
        self.first = first
        self.second = second
        self.dot = found.dot
        self.firstHash = found.first
        self.secondHash = found.second
        self.chains = found.chains
    }

    public var origin: NodeID { dot.origin }
    /// The scopes the proof's headers name: it travels only to nodes that may read all of them.
    public var scopes: Set<Scope> { [first.chain.scope, second.chain.scope] }

    enum CodingKeys: String, CodingKey, CaseIterable { case first, second }

    /// JSON: `{"first": <signed run>, "second": <signed run>}`; the rest is computed again.
    public init(from decoder: any Decoder) throws {
        try KnownKeys.check(decoder, allowed: CodingKeys.allCases.map(\.rawValue), in: "a fork proof")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(try c.decode(SignedRun.self, forKey: .first), try c.decode(SignedRun.self, forKey: .second))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(first, forKey: .first)
        try c.encode(second, forKey: .second)
    }
}
