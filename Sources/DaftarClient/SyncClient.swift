public import AsyncHTTPClient
import CompressNIO
public import DaftarModel
public import DaftarStore
public import DaftarSync
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import Synchronization

/// Why a sync could not go on; the message says what happened and what to do.
public struct SyncError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case unreachable, unauthorized, refused, badAnswer = "bad_answer", tls, store
        /// 409 `knowledge_mismatch`: the knowledge a request was sent against is not the one
        /// the server recorded; sent whole, the exchange goes through.
        case knowledgeMismatch = "knowledge_mismatch"
    }

    public var code: Code
    public var message: String
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
    public var description: String { message }
}

/// How a sync is going: totals so far.
public struct SyncProgress: Sendable, Hashable {
    public var exchanges = 0
    public var sentChanges = 0
    public var receivedChanges = 0
    public var sentBytes = 0
    public var receivedBytes = 0
}

/// What a sync did.
public struct SyncSummary: Sendable {
    public var remote: String
    public var server: NodeID?
    public var progress = SyncProgress()
    /// Entries newly in conflict here after what was received.
    public var newConflicts = 0
    /// Why the server stopped taking this node's changes, if it did (what is blocked, and on what).
    public var serverStop: StopReport?
    /// Why this node stopped taking the server's changes, if it did.
    public var localStop: ApplyStop?
    /// Changes this node holds back because it may not pass them on to this server.
    public var heldBack: [Dot] = []
    /// Changes the server holds back from this node (a forked origin, and what depends on it).
    public var serverHeldBack: [Dot] = []
    public var forks: [ForkReport] = []
    public var skews: [SkewReport] = []
    public var duration: Duration = .zero
    /// Whether both sides now hold everything the other has (that may pass).
    public var complete = false
    /// Withdrawn scopes deleted after this exchange: the server held every change of them.
    public var deletedScopes: [ScopeDeletion] = []
    /// Withdrawn scopes not deleted yet, with the origins whose changes the server still lacks.
    public var withdrawalsWaiting: [Scope: [NodeID]] = [:]
}

/// Syncs one store with one remote server over HTTP(S): repeated exchanges until neither side has
/// anything to send. Every batch is applied in one transaction on each side, so a sync cut off at
/// any point resumes where it stopped.
public final class SyncClient: Sendable {
    public enum Encoding: Sendable { case json, compact }

    public let store: Store
    public let remote: Remote
    public let encoding: Encoding
    public let gzip: Bool
    /// Whether knowledge crosses the wire as digests per scope with only what changed (the
    /// default), or whole both ways.
    public let knowledgeDigests: Bool
    let http: HTTPClient
    let base: String
    /// What this node said it held in its last exchange the server answered, whole: the
    /// server recorded it, and the next request's knowledge is sent against it. Nil: sent whole.
    let acknowledged: Mutex<Knowledge?>
    /// This node's public key, sent with every request: the central node binds it to this node
    /// at the first exchange (DESIGN promise 17).
    let ownKey: String?
    /// This node's key rotation the central node has not bound yet, sent with the key.
    let pendingRotation: KeyRotation?
    /// Whether the server reads digests (a server of before them refuses the field).
    let serverReadsDigests = Mutex(true)

    public init(
        store: Store, remote: Remote, encoding: Encoding = .compact, gzip: Bool = false, knowledgeDigests: Bool = true, timeout: Duration = .seconds(120)
    ) throws(SyncError) {
        self.store = store
        self.remote = remote
        self.encoding = encoding
        self.gzip = gzip
        self.knowledgeDigests = knowledgeDigests
        self.acknowledged = Mutex(remote.sentKnowledge)
        self.ownKey = (try? store.publicKey())??.hex
        self.pendingRotation = (try? store.pendingRotation()) ?? nil
        var url = remote.url
        while url.hasSuffix("/") { url.removeLast() }
        guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil else {
            throw SyncError(.unreachable, "'\(remote.url)' is not a server address: write it as http://HOST:PORT or https://HOST:PORT")
        }
        base = url
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(10), read: .init(timeout))
        configuration.decompression = .enabled(limit: .size(SyncProtocol.maxInflatedBytes))
        if let ca = remote.caFile {
            guard FileManager.default.isReadableFile(atPath: ca) else {
                throw SyncError(.tls, "cannot read the CA file \(ca): give the path of the server's CA certificate (PEM)")
            }
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .file(ca)
            tls.minimumTLSVersion = .tlsv12
            configuration.tlsConfiguration = tls
        } else {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.minimumTLSVersion = .tlsv12
            configuration.tlsConfiguration = tls
        }
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// Closes the client's connections. Call once when done.
    public func shutdown() async {
        try? await http.shutdown()
    }

    /// Runs `body` with a client for `remote`, and shuts the client down however `body` ends
    /// (a client dropped without it stops the process).
    public static func using<T: Sendable>(
        store: Store, remote: Remote, encoding: Encoding = .compact, gzip: Bool = false, _ body: (SyncClient) async throws(SyncError) -> T
    ) async throws(SyncError) -> T {
        let client = try SyncClient(store: store, remote: remote, encoding: encoding, gzip: gzip)
        do {
            let result = try await body(client)
            await client.shutdown()
            return result
        } catch {
            await client.shutdown()
            throw error
        }
    }

    /// The server's health answer (no token needed).
    public func health() async throws(SyncError) -> Health {
        let (status, body, _, _) = try await send(.GET, "/v1/health", body: nil, contentType: nil)
        guard status == .ok, let health = try? JSONDecoder().decode(Health.self, from: body) else {
            throw SyncError(.badAnswer, "\(base) answered the health check with \(status.code): is it a Daftar server?")
        }
        return health
    }

    /// Syncs until neither side has anything more to send, or something blocks; `progress` is
    /// told after every exchange.
    ///
    /// With `receive` false it only sends (a push, for a slow link or a quick hand-over), and
    /// stops once the server holds everything this node may send it.
    public func sync(receive: Bool = true, progress report: (@Sendable (SyncProgress) -> Void)? = nil) async throws(SyncError) -> SyncSummary {
        var summary = SyncSummary(remote: remote.name)
        do {
            return try await rounds(receive: receive, report: report, summary: &summary)
        } catch {
            // A sync cut part-way keeps what it did: say how much, not only that it failed.
            let got = summary.progress.receivedChanges
            let sent = summary.progress.sentChanges
            guard got > 0 || sent > 0 else { throw error }
            var annotated = error
            annotated.message += " (before that, \(got) change\(got == 1 ? "" : "s") were received and applied here, and kept; \(remote.name) took \(sent) of this node's)"
            throw annotated
        }
    }

    private func rounds(receive: Bool, report: (@Sendable (SyncProgress) -> Void)?, summary: inout SyncSummary) async throws(SyncError) -> SyncSummary {
        let started = ContinuousClock.now
        var serverKnowledge = remote.lastKnowledge
        // The scopes the server takes from this node: what its last answer said; before one, the
        // scopes its knowledge named last time (general with a server of before scopes). A client
        // sends nothing of any other scope (DESIGN promise 12).
        var taken = (remote.lastKnowledge?.scopes ?? [.general]).subtracting([.registry])
        // Withdrawn scopes the server takes from this node (to push before deleting).
        var pushScopes = Set<Scope>()
        var relay = false
        // Whether the server verifies signatures (it knows a root): then this node may pass on
        // any change of a scope the server takes, since the signature vouches for it.
        var serverVerifies = false
        // The server's node id, once an answer named it: once this node verifies signatures, a
        // fork the server's knowledge shows is kept only about the server's own chains.
        var serverNode: NodeID?
        let store = self.store
        // Exchanges are pipelined: an answer's changes are applied here while the next exchange
        // is under way (the request counts them as held; if applying them stops, the next
        // request says so and the server sends them again), and the next batch to send is read
        // while the server handles this one (used only if the server took all of this one).
        var applying: (task: Task<ApplyReport, any Error>, response: SyncResponse)?
        var prefetch: (task: Task<OutgoingBatch, any Error>, relay: Bool)?
        defer {
            prefetch?.task.cancel()
        }
        // Fork proofs and signed runs already sent in this sync: each goes once.
        var sentProofs = Set<ForkProof>()
        var sentRuns = Set<SignedRun>()
        for round in 0..<1_000_000 {
            let me = store.node
            let isRelay = relay || serverVerifies
            let mayPassOn: @Sendable (NodeID) -> Bool = { origin in isRelay || origin == me }
            let verifying = (try? store.root()) != nil
            let knownServer = serverNode
            let forkClaims: @Sendable (NodeID) -> Bool = { origin in !verifying || origin == knownServer }
            let takes = taken
            let scopes: @Sendable (Scope) -> Bool = { takes.contains($0) }
            var outgoing: OutgoingBatch
            var knowledge: Knowledge
            // What this node is still applying from the last answer: the server sends as if it
            // were held, but compares for forks and records what this node holds from what is
            // committed (`knowledge`) alone.
            var inProgress: Knowledge?
            do {
                knowledge = try store.knowledge()
                if let pending = applying?.response.changes, !pending.isEmpty {
                    var entries = Knowledge()
                    for change in pending where change.dot.seq > max(knowledge[change.chain], entries[change.chain]) {
                        entries.entries[change.chain] = Knowledge.Entry(seq: change.dot.seq, hash: change.hash)
                    }
                    inProgress = entries.entries.isEmpty ? nil : entries
                }
                if let ready = prefetch, ready.relay == relay {
                    outgoing = try await ready.task.value
                } else {
                    outgoing =
                        try serverKnowledge.map { k throws(StoreError) in
                            try store.changes(missingFrom: k, limits: BatchLimits(maxCount: 5000), mayPassOn: mayPassOn, vouchesFor: forkClaims, scopes: scopes)
                        }
                        ?? OutgoingBatch(changes: [], encoded: [], hasMore: false, heldBack: [], forks: [])
                }
                prefetch = nil
            } catch let error as StoreError {
                throw SyncError(.store, error.message)
            } catch {
                throw SyncError(.store, "\(error)")
            }
            summary.heldBack = outgoing.heldBack
            if !outgoing.forks.isEmpty { summary.forks += outgoing.forks }
            if outgoing.hasMore, applying == nil, let known = serverKnowledge, outgoing.forks.isEmpty {
                // Much to send: stream it, two requests in flight, then go on as usual.
                serverKnowledge = try await streamPush(
                    outgoing, assuming: known, knowledge: knowledge, mayPassOn: mayPassOn, forkClaims: forkClaims, scopes: scopes, into: &summary)
                report?(summary.progress)
                continue
            }
            if outgoing.hasMore, var assumed = serverKnowledge {
                for change in outgoing.changes { assumed.entries[change.chain] = Knowledge.Entry(seq: change.dot.seq, hash: change.hash) }
                let next = assumed
                prefetch = (Task.detached { try store.changes(missingFrom: next, limits: BatchLimits(maxCount: 5000), mayPassOn: mayPassOn, vouchesFor: forkClaims, scopes: scopes) }, relay)
            }
            var request = SyncRequest(node: me, knowledge: knowledge, changes: outgoing.changes, maxChanges: receive ? 5000 : 0, applying: inProgress)
            do {
                // Forks as proofs: this node's runs where the server's knowledge differs from its
                // history, and the proofs it keeps of scopes the server takes from it.
                let runs = try store.forkEvidence(for: outgoing.forks, scopes: scopes).filter { !sentRuns.contains($0) }
                let proofs = try store.forkProofs(scopes: scopes, excluding: sentProofs)
                request.forkRuns = runs.isEmpty ? nil : runs
                request.forkProofs = proofs.isEmpty ? nil : proofs
                sentRuns.formUnion(runs)
                sentProofs.formUnion(proofs)
            } catch {
                throw SyncError(.store, error.message)
            }
            let exchanged: SyncResponse
            do {
                exchanged = try await exchange(request, encoded: outgoing.encoded, progress: &summary.progress)
            } catch {
                if let pending = applying { try? await finishApplying(pending, into: &summary) }
                throw error
            }
            let response = exchanged
            if let pending = applying {
                applying = nil
                try await finishApplying(pending, into: &summary)
            }
            summary.server = response.node
            relay = response.role == "relay"
            serverVerifies = response.root != nil
            serverNode = response.node
            pushScopes = Set(response.pushScopes ?? [])
            if let scopes = response.scopes { taken = Set(scopes).union(pushScopes).subtracting([.registry]) }
            // The registry's statements are taken from the central node alone, in a direct
            // exchange: a server that names itself the root is taken as the central node the
            // first time (this node chose the server), and from then on only it.
            let fromRoot: Bool
            do throws(StoreError) {
                // The root's key: checked against the fingerprint pinned for this remote, and
                // taken with the root (DESIGN promise 17).
                var rootKey: PublicKey?
                if let text = response.rootKey {
                    guard let key = try? PublicKey(hex: text) else {
                        throw StoreError(.badRequest, "the server sent a root key that is not a key; nothing was taken from it")
                    }
                    rootKey = key
                }
                if let pin = remote.pin, rootKey?.fingerprint != pin {
                    let shown = rootKey.map { "has fingerprint \($0.groupedFingerprint)" } ?? "was not named"
                    throw StoreError(
                        .badRequest,
                        "\(remote.name)'s root key \(shown), but this remote was pinned to \(PublicKey.groupedFingerprintText(pin)): this is not your central node, or it has a new key; nothing was taken from it. Check the fingerprint with the central node's operator")
                }
                // The central node itself is taken as the root at the first direct exchange; a
                // root named by another server (a hub) only when its key is the one pinned.
                if let root = response.root, root == response.node || remote.pin != nil {
                    try store.adoptRoot(root, key: rootKey, pin: remote.pin)
                }
                fromRoot = try store.root() == response.node
                // The registry's statements are signed: once both sides know the same root, this
                // node passes on those the server lacks (a hub's key statements reach the central
                // node this way).
                if let serverRoot = response.root, try store.root() == serverRoot { taken.insert(.registry) }
            } catch {
                throw SyncError(.store, error.message)
            }
            let answeredBy = response.node
            let verifiesNow = (try? store.root()) != nil
            let forkClaimsOfServer: @Sendable (NodeID) -> Bool = { origin in !verifiesNow || origin == answeredBy }
            summary.progress.sentChanges += response.applied
            let tookAll = response.stop == nil && response.applied + response.duplicates == outgoing.changes.count
            if !tookAll { prefetch?.task.cancel(); prefetch = nil }
            do {
                // Once this node verifies, a fork the server reports is kept only about the
                // server's own chains: a report is no proof.
                let reported = response.forks.filter { forkClaimsOfServer($0.dot.origin) }
                if !reported.isEmpty { summary.forks += try store.confirmForks(reportedBy: reported) }
                // The server's proofs, and its runs where this node's knowledge differs from its
                // history: checked against the origin's keys, then kept.
                let held = taken
                summary.forks += try store.takeForkProofs(response.forkProofs ?? [], scopes: { held.contains($0) })
                // The server has those already: they are not sent back.
                sentProofs.formUnion(response.forkProofs ?? [])
                summary.forks += try store.takeForkEvidence(response.forkRuns ?? [], scopes: { held.contains($0) })
            } catch {
                throw SyncError(.store, error.message)
            }
            // A proof made here that the server has not had yet goes in one more exchange.
            let untold: Bool
            do {
                let held = taken
                untold = try !store.forkProofs(scopes: { held.contains($0) }, excluding: sentProofs).isEmpty
            } catch {
                throw SyncError(.store, error.message)
            }
            summary.skews += response.skews
            summary.serverStop = response.stop
            summary.serverHeldBack = response.heldBack ?? []
            let knowledgeWasCurrent = serverKnowledge == response.knowledge
            serverKnowledge = response.knowledge
            let sentNothing = outgoing.changes.isEmpty
            let gotNothing = response.changes.isEmpty && (!response.hasMore || !receive)
            // Stuck: the server took none of what was sent and nothing came back to apply.
            let stuck = !sentNothing && response.applied == 0 && response.duplicates == 0 && response.changes.isEmpty && knowledgeWasCurrent
            let last = ((round > 0 && sentNothing && gotNothing) || stuck || (summary.localStop != nil && sentNothing)) && !untold
            if response.changes.isEmpty || last {
                do {
                    if !response.changes.isEmpty {
                        fold(try store.apply(response.changes, senderKnowledge: response.knowledge, fromRoot: fromRoot, vouchesFor: forkClaimsOfServer), into: &summary)
                    }
                    try store.noteRemoteSynced(remote.name, knowledge: response.knowledge, sent: acknowledged.withLock { $0 })
                } catch {
                    throw SyncError(.store, error.message)
                }
            } else {
                applying = (Task.detached { try store.apply(response.changes, senderKnowledge: response.knowledge, fromRoot: fromRoot, vouchesFor: forkClaimsOfServer) }, response)
            }
            report?(summary.progress)
            if last { break }
        }
        if let pending = applying { try await finishApplying(pending, into: &summary) }
        summary.complete = summary.serverStop == nil && summary.localStop == nil && summary.heldBack.isEmpty && summary.serverHeldBack.isEmpty
        // A withdrawn scope whose every change the server now holds is deleted here.
        if let confirmed = serverKnowledge, !pushScopes.isEmpty {
            do {
                (summary.deletedScopes, summary.withdrawalsWaiting) = try store.completeWithdrawals(
                    confirmedBy: confirmed, pushScopes: pushScopes, server: remote.name)
            } catch {
                throw SyncError(.store, error.message)
            }
        }
        // One line per fork: found again each round, and proven once the runs were exchanged.
        var forks: [ForkReport] = []
        for fork in summary.forks {
            if let i = forks.firstIndex(where: { $0.dot == fork.dot && $0.scope == fork.scope }) {
                if fork.proven && !forks[i].proven { forks[i] = fork }
            } else {
                forks.append(fork)
            }
        }
        summary.forks = forks
        summary.duration = ContinuousClock.now - started
        return summary
    }

    /// Sends batch after batch, each read while the one before is on its way, with up to two
    /// requests in flight, so that the server decodes and checks one batch while it applies the
    /// one before (one writer applies them in the order they arrive). Only sends: the answers
    /// carry no changes. Stops at the first batch the server did not take whole (a later one
    /// may have arrived before the one it depends on) or when nothing is left, and returns what
    /// the server last said it holds; the ordinary exchanges take it from there.
    private func streamPush(
        _ first: OutgoingBatch, assuming known: Knowledge, knowledge: Knowledge, mayPassOn: @escaping @Sendable (NodeID) -> Bool,
        forkClaims: @escaping @Sendable (NodeID) -> Bool, scopes: @escaping @Sendable (Scope) -> Bool, into summary: inout SyncSummary
    ) async throws(SyncError) -> Knowledge {
        let store = self.store
        let me = store.node
        var assumed = known
        var batch: OutgoingBatch? = first
        var inFlight: [(count: Int, task: Task<(SyncResponse, SyncProgress), any Error>)] = []
        var serverKnowledge = known
        func launch(_ outgoing: OutgoingBatch) {
            let request = SyncRequest(node: me, knowledge: knowledge, changes: outgoing.changes, maxChanges: 0)
            let encoded = outgoing.encoded
            inFlight.append(
                (
                    outgoing.changes.count,
                    Task {
                        var progress = SyncProgress()
                        let response = try await self.exchange(request, encoded: encoded, progress: &progress)
                        return (response, progress)
                    }
                ))
            for change in outgoing.changes { assumed.entries[change.chain] = Knowledge.Entry(seq: change.dot.seq, hash: change.hash) }
        }
        var failure: SyncError?
        while failure == nil, let next = batch {
            launch(next)
            batch = nil
            if next.hasMore {
                let after = assumed
                do {
                    batch = try store.changes(missingFrom: after, limits: BatchLimits(maxCount: 5000), mayPassOn: mayPassOn, vouchesFor: forkClaims, scopes: scopes)
                } catch {
                    failure = SyncError(.store, error.message)
                }
                if let read = batch, read.changes.isEmpty || !read.forks.isEmpty || !read.heldBack.isEmpty { batch = nil }
            }
            // Keep at most two in flight: wait for the oldest.
            while inFlight.count >= (batch == nil ? 1 : 2) {
                let oldest = inFlight.removeFirst()
                do {
                    let (response, progress) = try await oldest.task.value
                    summary.progress.exchanges += progress.exchanges
                    summary.progress.sentBytes += progress.sentBytes
                    summary.progress.receivedBytes += progress.receivedBytes
                    summary.progress.sentChanges += response.applied
                    summary.server = response.node
                    // Answers can arrive out of order: keep the most the server has said it holds.
                    for (chain, entry) in response.knowledge.entries where entry.seq > serverKnowledge[chain] { serverKnowledge.entries[chain] = entry }
                    if response.stop != nil || response.applied + response.duplicates != oldest.count { batch = nil }
                } catch let error as SyncError {
                    failure = failure ?? error
                    batch = nil
                } catch {
                    failure = failure ?? SyncError(.unreachable, "\(error)")
                    batch = nil
                }
                if failure != nil || batch == nil {
                    // Let the rest land; what they say is learnt again at the next exchange.
                    for rest in inFlight {
                        guard let (response, progress) = try? await rest.task.value else { continue }
                        summary.progress.exchanges += progress.exchanges
                        summary.progress.sentChanges += response.applied
                    }
                    inFlight = []
                }
            }
        }
        if let failure { throw failure }
        return serverKnowledge
    }

    private func fold(_ applied: ApplyReport, into summary: inout SyncSummary) {
        summary.progress.receivedChanges += applied.applied
        summary.newConflicts += applied.newConflicts
        summary.skews += applied.skews
        summary.forks += applied.forks
        if let stop = applied.stop { summary.localStop = stop }
    }

    /// Waits for an answer's changes to be applied here, notes what they did, and remembers what
    /// the server holds.
    private func finishApplying(_ pending: (task: Task<ApplyReport, any Error>, response: SyncResponse), into summary: inout SyncSummary) async throws(SyncError) {
        do {
            fold(try await pending.task.value, into: &summary)
            try store.noteRemoteSynced(remote.name, knowledge: pending.response.knowledge, sent: acknowledged.withLock { $0 })
        } catch let error as StoreError {
            throw SyncError(.store, error.message)
        } catch {
            throw SyncError(.store, "\(error)")
        }
    }

    /// One exchange. With digests, the request's knowledge is sent as what changed since the
    /// last exchange the server answered, with a digest per scope, and the answer's knowledge
    /// comes the same way and is rebuilt here; a digest that does not match costs one more
    /// exchange with the knowledge whole, and is never read as equality (DESIGN promise 13).
    func exchange(_ request: SyncRequest, encoded: [[UInt8]], progress: inout SyncProgress) async throws(SyncError) -> SyncResponse {
        guard knowledgeDigests, serverReadsDigests.withLock({ $0 }) else {
            // Whole knowledge is recorded at the server all the same: a later exchange with
            // digests is sent against it.
            let response = try await post(request, encoded: encoded, progress: &progress)
            acknowledged.withLock { $0 = request.knowledge }
            return response
        }
        let whole = request.knowledge
        var wire = request
        wire.digests = whole.digests(of: whole.scopes)
        let base = acknowledged.withLock { $0 }
        if let base {
            wire.knowledge = whole.delta(from: base, in: whole.scopes)
            wire.knowledgeDelta = true
        }
        var response: SyncResponse
        do {
            response = try await post(wire, encoded: encoded, progress: &progress)
        } catch {
            switch error.code {
            case .knowledgeMismatch where base != nil:
                // The server recorded another base (an answer was lost on the way): whole.
                acknowledged.withLock { $0 = nil }
                wire.knowledge = whole
                wire.knowledgeDelta = nil
                response = try await post(wire, encoded: encoded, progress: &progress)
            case .refused where error.message.contains("'digests'") || error.message.contains("'knowledgeDelta'"):
                // A server of before digests: whole, from now on.
                serverReadsDigests.withLock { $0 = false }
                return try await post(request, encoded: encoded, progress: &progress)
            default:
                throw error
            }
        }
        acknowledged.withLock { $0 = whole }
        guard let digests = response.digests else { return response }
        let (rebuilt, mismatched) = Knowledge.rebuild(base: whole, delta: response.knowledge, digests: digests)
        if mismatched.isEmpty {
            response.knowledge = rebuilt
            response.digests = nil
            return response
        }
        // What was rebuilt is not what the server holds: ask again with everything whole (the
        // changes sent again are duplicates there).
        return try await post(request, encoded: encoded, progress: &progress)
    }

    /// One request and its answer, as they are.
    func post(_ request: SyncRequest, encoded: [[UInt8]], progress: inout SyncProgress) async throws(SyncError) -> SyncResponse {
        var request = request
        request.key = request.key ?? ownKey
        if request.keyRotation == nil, let rotation = pendingRotation, rotation.key == request.key { request.keyRotation = rotation }
        request.root = request.root ?? (try? store.root()) ?? nil
        var body: Data
        var contentType: String
        do {
            switch encoding {
            case .compact:
                var header = request
                header.changes = []
                body = try CompactCodec.encode(header, changes: encoded, signatures: request.changes.map(\.signature))
                contentType = SyncProtocol.compactType
            case .json:
                body = try JSONEncoder().encode(request)
                contentType = SyncProtocol.jsonType
            }
        } catch {
            throw SyncError(.store, "could not encode the request: \(error)")
        }
        if gzip {
            var buffer = ByteBuffer(bytes: body)
            if let compressed = try? buffer.compress(with: .gzip()) { body = Data(compressed.readableBytesView) }
        }
        progress.sentBytes += body.count
        var (status, answer, type, retryAfter) = try await send(.POST, "/v1/sync", body: body, contentType: contentType)
        // A busy server (503) says when to come back: a few tries, waiting as it says (at most 10 s).
        var tries = 1
        while status == .serviceUnavailable, tries < 4 {
            try? await Task.sleep(for: .seconds(min(10, max(1, retryAfter ?? 2))))
            (status, answer, type, retryAfter) = try await send(.POST, "/v1/sync", body: body, contentType: contentType)
            tries += 1
        }
        if status == .badRequest, let applying = request.applying, !applying.entries.isEmpty,
            (try? JSONDecoder().decode(ErrorBody.self, from: answer))?.message.contains("'applying'") == true
        {
            // A server from before `applying` refuses the field: say it the way such a server
            // reads it, counting what is being applied as held.
            var older = request
            older.knowledge = request.assumedKnowledge
            older.applying = nil
            return try await post(older, encoded: encoded, progress: &progress)
        }
        progress.receivedBytes += answer.count
        progress.exchanges += 1
        guard status == .ok else {
            let error = try? JSONDecoder().decode(ErrorBody.self, from: answer)
            let message = error?.message ?? "HTTP \(status.code)"
            switch status {
            case .unauthorized, .forbidden:
                throw SyncError(.unauthorized, "\(remote.name) refused this node: \(message)")
            case .conflict where error?.error == "knowledge_mismatch":
                throw SyncError(.knowledgeMismatch, "\(remote.name) refused the exchange (409 knowledge_mismatch): \(message)")
            default:
                throw SyncError(.refused, "\(remote.name) refused the exchange (\(status.code) \(error?.error ?? "")): \(message)")
            }
        }
        do {
            if type?.hasPrefix(SyncProtocol.compactType) == true {
                var (header, changes) = try CompactCodec.decode(SyncResponse.self, from: answer)
                header.changes = changes
                return header
            }
            return try JSONDecoder().decode(SyncResponse.self, from: answer)
        } catch {
            throw SyncError(.badAnswer, "\(remote.name) sent an answer this Daftar cannot read (\(error)): is it a Daftar server of the same version?")
        }
    }

    /// A node's hashes of an origin's changes, for finding where a fork starts.
    public func chainHashes(of origin: NodeID, from: UInt64, to: UInt64) async throws(SyncError) -> [UInt64: ContentHash] {
        let (status, body, _, _) = try await send(.GET, "/v1/chain/\(origin.rawValue)?from=\(from)&to=\(to)", body: nil, contentType: nil)
        guard status == .ok, let chain = try? JSONDecoder().decode(ChainHashes.self, from: body) else {
            throw SyncError(.refused, "\(remote.name) did not give the chain of \(origin) (\(status.code))")
        }
        return Dictionary(uniqueKeysWithValues: chain.hashes.compactMap { key, value in UInt64(key).map { ($0, value) } })
    }

    func send(_ method: HTTPMethod, _ path: String, body: Data?, contentType: String?) async throws(SyncError) -> (HTTPResponseStatus, Data, String?, Int?) {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(remote.token)")
        request.headers.add(name: "Accept", value: encoding == .compact ? "\(SyncProtocol.compactType), \(SyncProtocol.jsonType)" : SyncProtocol.jsonType)
        // On a slow link both directions are compressed; on a fast one compression costs more than it saves.
        if gzip { request.headers.add(name: "Accept-Encoding", value: "gzip") }
        if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
        if gzip, body != nil { request.headers.add(name: "Content-Encoding", value: "gzip") }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        do {
            let response = try await http.execute(request, timeout: .seconds(300))
            let collected = try await response.body.collect(upTo: SyncProtocol.maxInflatedBytes)
            return (response.status, Data(collected.readableBytesView), response.headers.first(name: "Content-Type"), response.headers.first(name: "Retry-After").flatMap { Int($0) })
        } catch let error as NIOSSLError {
            throw SyncError(.tls, "the TLS connection to \(base) failed (\(error)): check the server's certificate and the CA file given with --ca")
        } catch let error as BoringSSLError {
            throw SyncError(.tls, "the TLS connection to \(base) failed (\(error)): check the server's certificate and the CA file given with --ca")
        } catch {
            let text = "\(error)"
            if text.contains("certificate") || text.contains("handshake") || text.contains("SSL") {
                throw SyncError(.tls, "the TLS connection to \(base) failed (\(text)): check the server's certificate and the CA file given with --ca")
            }
            throw SyncError(
                .unreachable, "cannot reach \(remote.name) at \(base): \(NetworkTrouble.describe(error)); check the link and the address, then sync again (nothing was lost)")
        }
    }
}
