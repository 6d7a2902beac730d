import CompressNIO
public import DaftarModel
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
    /// Refused tokens per address; too many in a minute lock the address out for a while.
    let failedLogins: FailedLogins

    public init(store: Store, logger: Logger, failedLoginLimit: Int = 10) {
        self.store = store
        self.logger = logger
        self.failedLogins = FailedLogins(limit: failedLoginLimit)
    }

    public func router() -> Router<SyncRequestContext> {
        let router = Router(context: SyncRequestContext.self)
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

    func refuse(_ status: HTTPResponse.Status, _ code: String, _ message: String) -> Response {
        json(status, ErrorBody(error: code, message: message))
    }

    /// The peer a request's bearer token belongs to, or the refusal to send.
    func authenticate(_ request: Request, _ context: SyncRequestContext) async -> Result<PeerNode, Refusal> {
        let address = context.clientAddress
        if failedLogins.isLockedOut(address) {
            return .failure(Refusal(.tooManyRequests, "too_many_failures", "too many refused tokens from this address: wait a minute, then use the token the server's operator gave this node"))
        }
        let result = await check(request)
        if case .failure = result { failedLogins.fail(address) }
        return result
    }

    private func check(_ request: Request) async -> Result<PeerNode, Refusal> {
        guard let token = Self.bearerToken(request) else {
            return .failure(Refusal(.unauthorized, "unauthenticated", "this server needs a token: send Authorization: Bearer TOKEN (register the node with `daftar node add ID` on the server)"))
        }
        guard let peer = try? await blocking({ [store] in try store.peer(forToken: token) }) else {
            return .failure(Refusal(.unauthorized, "unauthenticated", "the token is unknown or was revoked: ask the server's operator for a new one (`daftar node add ID`)"))
        }
        return .success(peer)
    }

    /// The token of an `Authorization: Bearer TOKEN` header, or nil.
    static func bearerToken(_ request: Request) -> String? {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer "), header.count > 7 else { return nil }
        return String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
    }

    struct Refusal: Error {
        var status: HTTPResponse.Status
        var code: String
        var message: String
        init(_ status: HTTPResponse.Status, _ code: String, _ message: String) {
            self.status = status
            self.code = code
            self.message = message
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
            return refuse(refusal.status, refusal.code, refusal.message)
        }
        do {
            let (syncRequest, compact) = try await readRequest(&request)
            guard syncRequest.node == peer.node else {
                throw Refusal(.forbidden, "wrong_node", "this token belongs to \(peer.node), but the request says it comes from \(syncRequest.node): use the token issued to this node")
            }
            let store = self.store
            let role = peer.role
            // maxChanges 0: the client only sends this time (a push over a slow link).
            let limit = min(max(0, syncRequest.maxChanges ?? maxChangesPerAnswer), maxChangesPerAnswer)
            let token = Self.bearerToken(request) ?? ""
            let (report, outgoing, knowledge) = try await blocking {
                // The token is checked again when the exchange reaches the store: a node revoked
                // while its request was still arriving or waiting gets nothing applied or sent.
                guard let current = try? store.peer(forToken: token), current.node == peer.node else {
                    throw Refusal(.unauthorized, "unauthenticated", "the token was revoked while this request was under way: ask the server's operator for a new one")
                }
                let report = try store.apply(syncRequest.changes, senderKnowledge: syncRequest.knowledge) { origin in
                    role == .relay || origin == peer.node
                }
                let outgoing =
                    limit == 0
                    ? OutgoingBatch()
                    : try store.changes(
                        missingFrom: syncRequest.knowledge, limits: BatchLimits(maxCount: limit),
                        vouchesFor: { origin in role == .relay || origin == peer.node })
                try store.notePeerSeen(peer.node, knowledge: syncRequest.knowledge)
                return (report, outgoing, try store.knowledge())
            }
            var response = SyncResponse(
                node: store.node, role: role.rawValue, knowledge: knowledge, changes: outgoing.changes, hasMore: outgoing.hasMore,
                applied: report.applied, duplicates: report.duplicates, stop: report.stop.map(Self.stopReport),
                forks: report.forks + outgoing.forks.filter { fork in !report.forks.contains { $0.dot == fork.dot } }, skews: report.skews)
            response.heldBack = outgoing.heldBack.isEmpty ? nil : outgoing.heldBack
            let elapsed = ContinuousClock.now - started
            var line = "sync \(peer.node): in \(syncRequest.changes.count) (applied \(report.applied)), out \(outgoing.changes.count), \(Self.milliseconds(elapsed)) ms, ok"
            if let stop = report.stop { line += ", stopped: \(stop)" }
            for skew in report.skews { line += ", clock of \(skew.dot.origin) ahead by \(skew.skewMilliseconds) ms past the allowed drift" }
            for fork in response.forks { line += ", FORK \(fork.dot)" }
            logger.info("\(line)")
            let gzip = request.headers[.acceptEncoding]?.contains("gzip") ?? false
            return try encode(response, encoded: outgoing.encoded, compact: compact || Self.accepts(request, SyncProtocol.compactType), gzip: gzip)
        } catch let refusal as Refusal {
            logger.info("sync \(peer.node): refused \(refusal.status.code) \(refusal.code)")
            return refuse(refusal.status, refusal.code, refusal.message)
        } catch let error as StoreError {
            let status: HTTPResponse.Status = error.code == .invalid ? .unprocessableContent : (error.code == .locked ? .serviceUnavailable : .internalServerError)
            let code = error.code == .invalid ? "invalid_change" : error.code.rawValue
            logger.info("sync \(peer.node): refused \(status.code) \(code): \(error.message)")
            return refuse(status, code, error.message + (error.code == .invalid ? "; nothing of this batch was applied" : ""))
        } catch {
            logger.error("sync \(peer.node): failed: \(error)")
            return refuse(.internalServerError, "internal", "the server failed to handle the exchange; nothing of it was applied: try again")
        }
    }

    static func milliseconds(_ d: Duration) -> Int { Int(d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000) }

    static func accepts(_ request: Request, _ type: String) -> Bool {
        request.headers[.accept]?.contains(type) ?? false
    }

    static func stopReport(_ stop: ApplyStop) -> StopReport {
        switch stop {
        case .missingDependency(let change, let missing):
            StopReport(reason: .missingDependency, change: change, missing: missing, message: stop.description)
        case .fork(let fork):
            StopReport(reason: .fork, change: fork.dot, fork: fork, message: stop.description)
        case .originNotAllowed(let change):
            StopReport(reason: .originNotAllowed, change: change, message: stop.description)
        case .invalid(let change, _):
            StopReport(reason: .invalid, change: change, message: stop.description)
        }
    }

    /// Reads and decodes the body: JSON or compact, optionally gzip, within the size limits.
    func readRequest(_ request: inout Request) async throws -> (SyncRequest, compact: Bool) {
        let type = request.headers[.contentType]?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        guard type == SyncProtocol.jsonType || type == SyncProtocol.compactType else {
            throw Refusal(.unsupportedMediaType, "unsupported_media_type", "send the body as \(SyncProtocol.jsonType) (or \(SyncProtocol.compactType)), not '\(type)'")
        }
        var body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: SyncProtocol.maxRequestBytes)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw Refusal(.contentTooLarge, "too_large", "the request body is over \(SyncProtocol.maxRequestBytes) bytes: send smaller batches")
        } catch {
            throw Refusal(.badRequest, "malformed", "the request body could not be read: \(error)")
        }
        if let encoding = request.headers[.contentEncoding]?.lowercased(), encoding != "identity" {
            guard encoding == "gzip" else {
                throw Refusal(.unsupportedMediaType, "unsupported_encoding", "the body's Content-Encoding '\(encoding)' is not supported: use gzip or none")
            }
            do {
                body = try body.decompress(with: .gzip(), maxSize: SyncProtocol.maxInflatedBytes)
            } catch {
                throw Refusal(.badRequest, "malformed", "the gzip body could not be inflated within \(SyncProtocol.maxInflatedBytes) bytes: \(error)")
            }
        }
        let data = Data(buffer: body)
        do {
            if type == SyncProtocol.compactType {
                var (header, changes) = try CompactCodec.decode(SyncRequest.self, from: data)
                header.changes = changes
                return (header, true)
            }
            return (try JSONDecoder().decode(SyncRequest.self, from: data), false)
        } catch let error as ValidationError {
            throw Refusal(error.code == .changeTooLarge ? .contentTooLarge : .badRequest, "malformed", "the request is malformed: \(error.message)")
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
            data = try CompactCodec.encode(header, changes: encoded)
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
        if case .failure(let refusal) = await authenticate(request, context) {
            logger.info("chain refused: \(refusal.code) from \(context.clientAddress)")
            return refuse(refusal.status, refusal.code, refusal.message)
        }
        guard let raw = context.parameters.get("origin"), let origin = try? NodeID(raw) else {
            return refuse(.badRequest, "malformed", "the origin in the path is not a node id (a-z, 0-9 and '-')")
        }
        let limit = UInt64(Int64.max)
        let from = request.uri.queryParameters.get("from").flatMap { UInt64($0) } ?? 1
        let to = request.uri.queryParameters.get("to").flatMap { UInt64($0) } ?? min(limit, from &+ 9_999)
        guard from >= 1, from <= limit, to <= limit, to >= from, to - from < 100_000 else {
            return refuse(.badRequest, "malformed", "ask for 1 to 100000 seqs: ?from=1&to=1000")
        }
        let store = self.store
        guard let hashes = try? await blocking({ try store.chainHashes(of: origin, in: from...to) }) else {
            return refuse(.internalServerError, "internal", "reading the chain failed: try again")
        }
        return json(.ok, ChainHashes(origin: origin, hashes: Dictionary(uniqueKeysWithValues: hashes.map { (String($0.key), $0.value) })))
    }
}
