import CompressNIO
import DaftarModel
public import DaftarStore
import DaftarSync
import Foundation
public import Hummingbird
public import Logging
import NIOCore

/// A node's sync server: the health check, the exchange, and chain hashes for fork recovery.
/// Every route but the health check needs a registered node's bearer token.
public struct SyncServer: Sendable {
    public let store: Store
    public let logger: Logger
    /// How many changes one answer holds at most.
    public var maxChangesPerAnswer = 5000
    /// Refused tokens per address; too many in a minute lock the address out for unknown
    /// tokens (a valid token is never refused for its address).
    let failedLogins: FailedLogins
    /// The header and body timeouts and the cap on open connections.
    public var connectionLimits: ConnectionLimits
    /// Memory that request bodies may take at once (read, inflated and decoded): one lane for
    /// large bodies, and one for the small ones (pulls, everyday pushes), so that a large body
    /// arriving slowly never holds up an office's ordinary sync.
    let bodyBudget: BodyBudget
    let smallBodyBudget = BodyBudget(total: 16 * 1024 * 1024)
    /// Bodies that may take up to this much go in the small lane.
    static let smallBodyBytes = 4 * 1024 * 1024
    /// Who the central node's own statements made while serving (key bindings) name.
    static let statementOfficer = "central node (daftar serve)"
    /// Who a hub's key statements name.
    static let hubStatementOfficer = "hub (daftar serve)"
    /// The longest a request waits for the body budget before it is answered 503.
    static let bodyBudgetWait: Duration = .seconds(60)

    public init(store: Store, logger: Logger, failedLoginLimit: Int = 10, connectionLimits: ConnectionLimits = ConnectionLimits(), bodyBudgetBytes: Int = 64 * 1024 * 1024) {
        self.store = store
        self.logger = logger
        self.failedLogins = FailedLogins(limit: failedLoginLimit)
        self.connectionLimits = connectionLimits
        self.bodyBudget = BodyBudget(total: bodyBudgetBytes)
    }

    /// At the central node: writes its heartbeat into the registry every `interval`, until the
    /// task is cancelled (DESIGN promise 17). Elsewhere it writes nothing.
    public func heartbeat(every interval: Duration) async {
        let store = self.store
        while !Task.isCancelled {
            do { try await Task.sleep(for: interval) } catch { return }
            do {
                if try await blocking({ try store.writeHeartbeat(as: Self.statementOfficer) }) { logger.info("heartbeat written into the registry") }
            } catch {
                logger.error("writing the heartbeat failed: \(error); it is tried again in \(interval.components.seconds) s")
            }
        }
    }

    /// The paths this server answers, and the methods each takes.
    static let routes: [(path: String, methods: [HTTPRequest.Method])] = [("/v1/health", [.get]), ("/v1/sync", [.post]), ("/v1/chain/", [.get])]

    public func router() -> Router<SyncRequestContext> {
        let router = Router(context: SyncRequestContext.self)
        router.add(middleware: JSONErrors())
        let server = self
        router.get("/v1/health") { _, _ in
            server.json(.ok, Health(status: "ok", node: server.store.node, protocolVersion: SyncProtocol.version))
        }
        router.post("/v1/sync") { request, context in
            await server.exchange(request, context)
        }
        router.get("/v1/chain/:origin") { request, context in
            await server.chain(request, context)
        }
        return router
    }

    // MARK: Responses

    func json<T: Encodable>(_ status: HTTPResponse.Status, _ value: T) -> Response {
        let data = (try? JSONEncoder().encode(value)) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: SyncProtocol.jsonType], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    func refuse(_ status: HTTPResponse.Status, _ code: String, _ message: String, retryAfter: Int? = nil) -> Response {
        var response = json(status, ErrorBody(error: code, message: message))
        if let retryAfter { response.headers[.retryAfter] = String(max(1, retryAfter)) }
        return response
    }

    func refuse(_ refusal: Refusal) -> Response {
        refuse(refusal.status, refusal.code, refusal.message, retryAfter: refusal.retryAfter)
    }

    /// The peer a request's bearer token belongs to, or the refusal to send. A valid token is
    /// never refused; an unknown one is counted against the client's address, answered more
    /// slowly the more there were, and with 429 once the address has had too many in a minute.
    func authenticate(_ request: Request, _ context: SyncRequestContext) async -> Result<PeerNode, Refusal> {
        let address = context.clientAddress
        guard let token = Self.bearerToken(request) else {
            return .failure(Refusal(.unauthorized, "unauthenticated", "this server needs a token: send Authorization: Bearer TOKEN (register the node with `daftar node add ID` on the server)"))
        }
        let found: PeerNode?
        do {
            found = try await blocking { [store] in try store.peer(forToken: token) }
        } catch {
            return .failure(Refusal(.serviceUnavailable, "locked", "the server's store is busy: try again in a few seconds", retryAfter: 2))
        }
        if let found { return .success(found) }
        if let wait = failedLogins.lockedOutFor(address) {
            try? await Task.sleep(for: .seconds(2))
            return .failure(
                Refusal(.tooManyRequests, "too_many_failures", "too many refused tokens from this address: wait \(wait) s, then use the token the server's operator gave this node", retryAfter: wait))
        }
        let failures = failedLogins.fail(address)
        try? await Task.sleep(for: .milliseconds(min(2000, 200 * failures)))
        return .failure(Refusal(.unauthorized, "unauthenticated", "the token is unknown or was revoked: ask the server's operator for a new one (`daftar node add ID`)"))
    }

    /// The token of an `Authorization: Bearer TOKEN` header (the scheme in any case), or nil.
    static func bearerToken(_ request: Request) -> String? {
        guard let header = request.headers[.authorization], header.count > 7, header.prefix(7).lowercased() == "bearer " else { return nil }
        let token = String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }

    struct Refusal: Error {
        var status: HTTPResponse.Status
        var code: String
        var message: String
        var retryAfter: Int?
        init(_ status: HTTPResponse.Status, _ code: String, _ message: String, retryAfter: Int? = nil) {
            self.status = status
            self.code = code
            self.message = message
            self.retryAfter = retryAfter
        }
    }

    // MARK: The exchange

    func exchange(_ request: Request, _ context: SyncRequestContext) async -> Response {
        let started = ContinuousClock.now
        var request = request
        let peer: PeerNode
        switch await authenticate(request, context) {
        case .success(let p): peer = p
        case .failure(let refusal):
            logger.info("sync refused: \(refusal.code) from \(context.clientAddress)")
            return refuse(refusal)
        }
        do {
            let type = try Self.bodyType(request)
            // The body's memory is reserved before it is read: a request that would take more than
            // is free waits, its bytes still in the network's buffers.
            let reserved = Self.reservation(request)
            let budget = reserved <= Self.smallBodyBytes ? smallBodyBudget : bodyBudget
            guard await budget.reserve(reserved, timeout: Self.bodyBudgetWait) else {
                logger.info("sync \(peer.node): refused 503 over_capacity: waited \(Self.bodyBudgetWait.components.seconds) s for other large batches to be read")
                throw Refusal(.serviceUnavailable, "over_capacity", "the server is busy reading other large batches: try again in a few seconds", retryAfter: 5)
            }
            defer { budget.release(reserved) }
            let (syncRequest, compact) = try await readRequest(&request, type: type)
            guard syncRequest.node == peer.node else {
                throw Refusal(.forbidden, "wrong_node", "this token belongs to \(peer.node), but the request says it comes from \(syncRequest.node): use the token issued to this node")
            }
            let store = self.store
            let role = peer.role
            let sender = peer.node
            // maxChanges 0: the client only sends this time (a push over a slow link).
            let limit = min(max(0, syncRequest.maxChanges ?? maxChangesPerAnswer), maxChangesPerAnswer)
            let token = Self.bearerToken(request) ?? ""
            let (report, outgoing, knowledge, server, view) = try await blocking {
                // The token is checked again when the exchange reaches the store: a node revoked
                // while its request was still arriving or waiting gets nothing applied or sent.
                guard let current = try store.peer(forToken: token), current.node == sender else {
                    throw Refusal(.unauthorized, "unauthenticated", "the token was revoked while this request was under way: ask the server's operator for a new one")
                }
                // Read now: a fork recovery may have given this node a new id.
                let server = store.node
                // Who may send what: a node its own changes, a relay anyone's but this server's own.
                // Checked before anything else about a change, so that a sender that may not send an
                // origin's changes can never make this store record anything about that origin.
                // What crosses the wire (DESIGN promise 12): the client's grant decides which
                // scopes it may read; nothing of any other scope is taken, sent, compared or named.
                // Knowledge sent as what changed since the last exchange answered here, with a
                // digest per scope (DESIGN promise 13): rebuilt from what was recorded then, and
                // a digest that does not match is refused, never read as equality.
                let seen = try store.peerSeen(sender)
                var syncRequest = syncRequest
                if let digests = syncRequest.digests {
                    let base = syncRequest.knowledgeDelta == true ? seen.knowledge : Knowledge()
                    guard let base else {
                        throw Refusal(
                            .conflict, "knowledge_mismatch",
                            "this server holds no record of what \(sender) held at its last exchange, so knowledge sent as changes since then cannot be read: send the knowledge whole (knowledgeDelta left out); nothing was applied")
                    }
                    let (rebuilt, mismatched) = Knowledge.rebuild(base: base, delta: syncRequest.knowledge, digests: digests)
                    guard mismatched.isEmpty else {
                        let what = syncRequest.knowledgeDelta == true
                            ? "the knowledge rebuilt from what \(sender) said at its last exchange here and the changes sent since does not match the digests given"
                            : "the knowledge sent does not match the digests given"
                        throw Refusal(.conflict, "knowledge_mismatch", "\(what) (\(mismatched.count) scope(s)): send the knowledge whole (knowledgeDelta left out); nothing was applied")
                    }
                    syncRequest.knowledge = rebuilt
                }
                // Once this node knows the root, signatures vouch for changes (DESIGN promise
                // 16): any node may pass on any change of a scope it may read. The central node
                // binds a node's key at its first exchange (promise 17).
                // A hub binds the keys of the nodes its delegation names (DESIGN promise 17).
                let root = try store.root()
                let vouches = try root == server || (root != nil && store.mayVouch(for: sender))
                if let text = syncRequest.key, let key = try? PublicKey(hex: text), vouches {
                    switch try store.bindKey(of: sender, key, rotation: syncRequest.keyRotation, as: root == server ? Self.statementOfficer : Self.hubStatementOfficer) {
                    case .bound:
                        let how = syncRequest.keyRotation.map { " in place of \($0.previous.hex.prefix(16))… from its seq \($0.from)" } ?? ""
                        logger.info("sync \(sender): bound key \(key.fingerprint.prefix(16))… to \(sender) in the registry\(how)")
                    case .already: break
                    case .other(let bound):
                        throw Refusal(
                            .forbidden, "key_mismatch",
                            "\(sender)'s key (fingerprint \(key.fingerprint.prefix(16))…) is not the one the registry binds to it (\(bound.prefix(16))…), and no rotation signed by that key comes with it: a store restored from a backup or made again must be registered under a new id (daftar node add at the central node); nothing was applied")
                    }
                }
                let signed = root != nil
                let mayApply: @Sendable (NodeID) -> Bool = { origin in origin != server && (signed || role == .relay || origin == sender) }
                // A fork the client's knowledge shows is kept only about its own chains (before
                // signatures, a relay's about any): a claim without the signed change proves
                // nothing, and no sender can block another origin by a made-up hash. A fork of
                // another origin is kept when its signed change arrives.
                let vouchesFor: @Sendable (NodeID) -> Bool = { origin in origin != server && (origin == sender || (!signed && role == .relay)) }
                let scopes = try store.scopes(readableBy: sender, named: syncRequest.knowledge.scopes, clientRoot: syncRequest.root)
                let readable: @Sendable (Scope) -> Bool = { scopes.readable($0) }
                let clientKnowledge = syncRequest.knowledge.restricted(where: readable)
                let report = try store.apply(
                    syncRequest.changes, senderKnowledge: clientKnowledge, mayApply: mayApply, takesScope: { scopes.takes($0) }, vouchesFor: vouchesFor)
                // Forks as proofs: the client's proofs, and its signed runs where this server's
                // knowledge differs from its history, of scopes it may send here; each is checked
                // against the origin's keys before it is kept.
                try store.takeForkProofs(syncRequest.forkProofs ?? [], scopes: { scopes.takes($0) })
                try store.takeForkEvidence(syncRequest.forkRuns ?? [], scopes: { scopes.takes($0) })
                for case .badSignature(let dot) in report.stops {
                    try store.noteRefusedSender(sender, origin: dot.origin, reason: "bad_signature")
                }
                if case .originNotAllowed(let dot) = report.stop, dot.origin == server {
                    try store.noteRefusedSender(sender, origin: server, reason: "own_origin")
                }
                let outgoing =
                    limit == 0
                    ? OutgoingBatch()
                    : try store.changes(
                        missingFrom: syncRequest.assumedKnowledge.restricted(where: readable), limits: BatchLimits(maxCount: limit),
                        // A fork is kept only from what the client says it holds, never from what it
                        // says it is still applying.
                        vouchesFor: { origin in vouchesFor(origin) && !(syncRequest.applying?.entries.keys.contains { $0.origin == origin } ?? false) },
                        scopes: readable)
                // Whole, as the client sent it: the base its next request's knowledge is sent against.
                try store.notePeerSeen(sender, knowledge: syncRequest.knowledge, previous: seen)
                var view = ScopeView(taken: scopes.taken, root: try store.root(), pushed: scopes.pushed)
                view.rootKey = try store.rootKey()?.hex
                // Withdrawn scopes: only the chains the client named, never beyond its seq.
                var knowledge = try store.knowledge().restricted(where: readable)
                for (chain, entry) in try store.pushKnowledge(of: scopes.pushed, namedBy: syncRequest.knowledge).entries { knowledge.entries[chain] = entry }
                if syncRequest.digests != nil {
                    // Answered the same way: a digest for every scope the answer speaks for, and
                    // only the entries that differ from the client's.
                    let pushed = Set(scopes.pushed)
                    let covered = knowledge.scopes.union(syncRequest.knowledge.scopes.filter { readable($0) || pushed.contains($0) })
                    view.digests = knowledge.digests(of: covered)
                    knowledge = knowledge.delta(from: syncRequest.knowledge, in: covered)
                }
                // This server's runs where the client's knowledge differs from its history, and
                // the proofs it keeps whose every scope the client may read.
                view.forkRuns = try store.forkEvidence(for: report.forks + outgoing.forks, scopes: readable)
                view.forkProofs = try store.forkProofs(scopes: readable, excluding: Set(syncRequest.forkProofs ?? []))
                return (report, outgoing, knowledge, server, view)
            }
            var response = SyncResponse(
                node: server, role: role.rawValue, knowledge: knowledge, changes: outgoing.changes, hasMore: outgoing.hasMore,
                applied: report.applied, duplicates: report.duplicates, stop: report.stop.map(Self.stopReport),
                forks: report.forks + outgoing.forks.filter { fork in !report.forks.contains { $0.dot == fork.dot } }, skews: report.skews)
            response.heldBack = outgoing.heldBack.isEmpty ? nil : outgoing.heldBack
            response.scopes = view.taken
            response.root = view.root
            response.rootKey = view.rootKey
            response.pushScopes = view.pushed.isEmpty ? nil : view.pushed
            response.digests = view.digests
            response.forkRuns = view.forkRuns.isEmpty ? nil : view.forkRuns
            response.forkProofs = view.forkProofs.isEmpty ? nil : view.forkProofs
            response.stops = report.stops.isEmpty ? nil : report.stops.map(Self.stopReport)
            let elapsed = ContinuousClock.now - started
            var line = "sync \(peer.node): in \(syncRequest.changes.count) (applied \(report.applied)), out \(outgoing.changes.count), \(Self.milliseconds(elapsed)) ms, ok"
            if let stop = report.stop { line += ", stopped: \(stop)" }
            for skew in report.skews {
                line += ", clock of \(skew.dot.origin) ahead by \(skew.skewMilliseconds) ms past the allowed drift"
                if let wins = report.skewWins[skew.dot.origin] { line += " (its values win \(wins) conflicting field(s) only by that clock)" }
            }
            for fork in response.forks { line += ", FORK \(fork.dot)" }
            if case .originNotAllowed(let dot) = report.stop, dot.origin == server {
                logger.warning("sync \(peer.node): REFUSED changes in this server's own name (\(dot)) from \(role.rawValue) \(peer.node); nothing of them was kept")
            }
            logger.info("\(line)")
            let gzip = request.headers[.acceptEncoding]?.lowercased().contains("gzip") ?? false
            return try encode(response, encoded: outgoing.encoded, compact: compact || Self.accepts(request, SyncProtocol.compactType), gzip: gzip)
        } catch let refusal as Refusal {
            logger.info("sync \(peer.node): refused \(refusal.status.code) \(refusal.code)")
            return refuse(refusal)
        } catch let error as StoreError {
            switch error.code {
            case .invalid:
                logger.info("sync \(peer.node): refused 422 invalid_change: \(error.message)")
                return refuse(.unprocessableContent, "invalid_change", error.message + "; nothing of this batch was applied")
            case .locked:
                logger.info("sync \(peer.node): refused 503 locked: \(error.message)")
                return refuse(.serviceUnavailable, "locked", "the server's store is busy with another writer; nothing of this batch was applied: try again in a few seconds", retryAfter: 2)
            default:
                logger.error("sync \(peer.node): failed: \(error.message)")
                return refuse(.internalServerError, "internal", "the server failed to handle the exchange; nothing of it was applied: try again, and tell the server's operator if it goes on")
            }
        } catch {
            logger.error("sync \(peer.node): failed: \(error)")
            return refuse(.internalServerError, "internal", "the server failed to handle the exchange; nothing of it was applied: try again")
        }
    }

    /// The body's media type, once its Content-Type is checked: JSON (in UTF-8) or compact.
    static func bodyType(_ request: Request) throws(Refusal) -> String {
        let header = request.headers[.contentType] ?? ""
        let parts = header.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        let type = parts.first?.lowercased() ?? ""
        guard type == SyncProtocol.jsonType || type == SyncProtocol.compactType else {
            throw Refusal(.unsupportedMediaType, "unsupported_media_type", "send the body as \(SyncProtocol.jsonType) (or \(SyncProtocol.compactType)), not '\(type.prefix(80))'")
        }
        if let encoding = request.headers[.contentEncoding]?.lowercased(), encoding != "identity", encoding != "gzip" {
            throw Refusal(.unsupportedMediaType, "unsupported_encoding", "the body's Content-Encoding '\(encoding.prefix(40))' is not supported: use gzip or none")
        }
        for parameter in parts.dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard pair.count == 2, pair[0] == "charset" else { continue }
            let charset = pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            guard charset == "utf-8" || charset == "utf8" else {
                throw Refusal(.unsupportedMediaType, "unsupported_media_type", "the body must be UTF-8, not charset '\(charset.prefix(40))': send it in UTF-8 (or leave the charset out)")
            }
        }
        return type
    }

    /// What a request's body may take in memory while it is read, inflated and decoded: three
    /// times its text (the body, the changes decoded from it, their canonical forms). A gzip
    /// body's text is reckoned at ten times its size (sync batches compress four to eight times),
    /// never more than the inflated limit.
    static func reservation(_ request: Request) -> Int {
        let declared = request.headers[.contentLength].flatMap { Int($0) }.map { min(max(0, $0), SyncProtocol.maxRequestBytes) } ?? SyncProtocol.maxRequestBytes
        let gzip = (request.headers[.contentEncoding]?.lowercased() ?? "identity") != "identity"
        let text = gzip ? min(SyncProtocol.maxInflatedBytes, declared * 10) : declared
        return (gzip ? declared : 0) + 3 * max(text, 4096)
    }

    static func milliseconds(_ d: Duration) -> Int { Int(d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000) }

    static func accepts(_ request: Request, _ type: String) -> Bool {
        request.headers[.accept]?.lowercased().contains(type) ?? false
    }

    static func stopReport(_ stop: ApplyStop) -> StopReport {
        switch stop {
        case .missingDependency(let change, let missing):
            StopReport(reason: .missingDependency, change: change, missing: missing, message: stop.description)
        case .fork(let fork):
            StopReport(reason: .fork, change: fork.dot, fork: fork, message: stop.description)
        case .originNotAllowed(let change):
            StopReport(reason: .originNotAllowed, change: change, message: stop.description)
        case .scopeNotTaken(let change, _):
            StopReport(reason: .scopeNotTaken, change: change, message: stop.description)
        case .invalid(let change, _):
            StopReport(reason: .invalid, change: change, message: stop.description)
        case .unsigned(let change):
            StopReport(reason: .unsigned, change: change, message: stop.description)
        case .unknownKey(let change, _):
            StopReport(reason: .unknownKey, change: change, message: stop.description)
        case .badSignature(let change):
            StopReport(reason: .badSignature, change: change, message: stop.description)
        case .keyFork(let change):
            StopReport(reason: .keyFork, change: change, message: stop.description)
        }
    }

    /// Reads and decodes the body: JSON or compact, optionally gzip, within the size limits.
    func readRequest(_ request: inout Request, type: String) async throws -> (SyncRequest, compact: Bool) {
        // The body is read into one buffer of its declared size (no doubling as it grows), and
        // decoded from there.
        let tooLarge = Refusal(.contentTooLarge, "too_large", "the request body is over \(SyncProtocol.maxRequestBytes) bytes: send smaller batches")
        let declared = request.headers[.contentLength].flatMap { Int($0) }
        if let declared, declared > SyncProtocol.maxRequestBytes { throw tooLarge }
        var data = Data()
        data.reserveCapacity(declared ?? 64 * 1024)
        do {
            for try await chunk in request.body {
                guard data.count + chunk.readableBytes <= SyncProtocol.maxRequestBytes else { throw tooLarge }
                data.append(contentsOf: chunk.readableBytesView)
            }
        } catch let refusal as Refusal {
            throw refusal
        } catch {
            throw Refusal(.badRequest, "malformed", "the request body could not be read whole: send it again")
        }
        // (any other encoding than gzip was refused by bodyType before the body was read)
        if let encoding = request.headers[.contentEncoding]?.lowercased(), encoding != "identity" {
            var compressed = ByteBuffer(data: data)
            data = Data()
            let inflated: ByteBuffer
            do {
                inflated = try compressed.decompress(with: .gzip(), maxSize: SyncProtocol.maxInflatedBytes)
            } catch let error as CompressNIOError where error == .bufferOverflow {
                throw Refusal(.contentTooLarge, "too_large", "the gzip body inflates past \(SyncProtocol.maxInflatedBytes) bytes: send smaller batches")
            } catch {
                throw Refusal(.badRequest, "malformed", "the gzip body could not be inflated (\(error)): send it again, compressed whole")
            }
            guard inflated.readableBytes <= SyncProtocol.maxInflatedBytes else {
                throw Refusal(.contentTooLarge, "too_large", "the gzip body inflates past \(SyncProtocol.maxInflatedBytes) bytes: send smaller batches")
            }
            data = Data(buffer: inflated)
        }
        let tooMany = Refusal(
            .contentTooLarge, "too_large", "a request carries at most \(SyncProtocol.maxChangesPerRequest) changes: send smaller batches")
        do {
            if type == SyncProtocol.compactType {
                let bytes = [UInt8](data)
                data = Data()
                var (header, changes) = try CompactCodec.decode(SyncRequest.self, from: bytes, maxChanges: SyncProtocol.maxChangesPerRequest)
                header.changes = changes
                return (header, true)
            }
            let count = try data.withUnsafeBytes { raw throws(StrictJSON.Violation) in try StrictJSON.check(raw.bindMemory(to: UInt8.self)) }
            guard count <= SyncProtocol.maxChangesPerRequest else { throw tooMany }
            return (try JSONDecoder().decode(SyncRequest.self, from: data), false)
        } catch is CompactCodec.TooManyChanges {
            throw tooMany
        } catch let violation as StrictJSON.Violation {
            throw Refusal(.badRequest, "malformed", "the request is malformed: \(violation.message)")
        } catch let error as ValidationError {
            // A change too large for the format is an invalid change; any other damage to the
            // body's framing is malformed.
            if error.code == .changeTooLarge { throw Refusal(.unprocessableContent, "invalid_change", error.message + "; nothing of this batch was applied") }
            throw Refusal(.badRequest, "malformed", "the request is malformed: \(error.message)")
        } catch let error as DecodingError {
            throw Refusal(.badRequest, "malformed", "the request is malformed: \(Self.describe(error))")
        } catch {
            throw Refusal(.badRequest, "malformed", "the request is not valid JSON: \(error.localizedDescription)")
        }
    }

    /// The answer in the body format asked for, gzip-compressed when the client accepts it and
    /// the body is worth compressing.
    func encode(_ response: SyncResponse, encoded: [[UInt8]], compact: Bool, gzip: Bool) throws -> Response {
        var data: Data
        let type: String
        if compact {
            var header = response
            header.changes = []
            data = try CompactCodec.encode(header, changes: encoded, signatures: response.changes.map(\.signature))
            type = SyncProtocol.compactType
        } else {
            data = try JSONEncoder().encode(response)
            type = SyncProtocol.jsonType
        }
        var headers: HTTPFields = [.contentType: type]
        if gzip, data.count > 1024 {
            var buffer = ByteBuffer(bytes: data)
            if let compressed = try? buffer.compress(with: .gzip()) {
                data = Data(compressed.readableBytesView)
                headers[.contentEncoding] = "gzip"
            }
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let p = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            return p.isEmpty ? "" : " at \(p)"
        }
        switch error {
        case .dataCorrupted(let c): return c.debugDescription + path(c)
        case .keyNotFound(let key, let c): return "'\(key.stringValue)' is missing" + path(c)
        case .typeMismatch(let type, let c): return "expected \(type)" + path(c)
        case .valueNotFound(let type, let c): return "expected \(type), found null" + path(c)
        @unknown default: return "\(error)"
        }
    }

    // MARK: Chain hashes

    func chain(_ request: Request, _ context: SyncRequestContext) async -> Response {
        let peer: PeerNode
        switch await authenticate(request, context) {
        case .success(let p): peer = p
        case .failure(let refusal):
            logger.info("chain refused: \(refusal.code) from \(context.clientAddress)")
            return refuse(refusal)
        }
        guard let raw = context.parameters.get("origin"), let origin = try? NodeID(raw) else {
            return refuse(.badRequest, "malformed", "the origin in the path is not a node id (a-z, 0-9 and '-')")
        }
        let limit = UInt64(Int64.max)
        let query = request.uri.queryParameters
        func seq(_ name: String) -> UInt64?? {
            guard let raw = query.get(name) else { return .some(nil) }
            guard !raw.isEmpty, raw.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let n = UInt64(raw), n >= 1, n <= limit else { return nil }
            return .some(n)
        }
        guard let fromParameter = seq("from"), let toParameter = seq("to") else {
            return refuse(.badRequest, "malformed", "from and to are seqs: whole numbers from 1, as in ?from=1&to=1000")
        }
        let from = fromParameter ?? 1
        let to = toParameter ?? min(limit, from &+ 9_999)
        guard to >= from, to - from < 100_000 else {
            return refuse(.badRequest, "malformed", "ask for 1 to 100000 seqs, from no more than to: ?from=1&to=1000")
        }
        let store = self.store
        let hashes: [UInt64: ContentHash]
        do {
            // Only changes of scopes the client may read: a hash of another scope's change would
            // confirm a guessed header (PROTOCOL.md, "Format 2: choices", 7).
            hashes = try await blocking {
                let scopes = try store.scopes(readableBy: peer.node)
                return try store.chainHashes(of: origin, in: from...to) { scopes.readable($0) }
            }
        } catch let error as StoreError where error.code == .locked {
            return refuse(.serviceUnavailable, "locked", "the server's store is busy: try again in a few seconds", retryAfter: 2)
        } catch {
            logger.error("chain of \(origin): failed: \(error)")
            return refuse(.internalServerError, "internal", "reading the chain failed: try again")
        }
        return json(.ok, ChainHashes(origin: origin, hashes: Dictionary(uniqueKeysWithValues: hashes.map { (String($0.key), $0.value) })))
    }
}

/// What a server tells a client of scopes: those it takes from it, and the root it knows.
struct ScopeView: Sendable {
    var taken: [Scope]
    var root: NodeID?
    var pushed: [Scope]
    var digests: KnowledgeDigests?
    var rootKey: String?
    var forkRuns: [SignedRun] = []
    var forkProofs: [ForkProof] = []
}
