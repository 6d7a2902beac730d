import Foundation
public import HummingbirdCore
import HTTPTypes
import NIOCore
import NIOHTTPTypes
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// How long a connection may take to say what it wants, and how many may be open at once. A
/// connection that holds the server without sending (idle, or a header a byte at a time) is
/// closed; a slow body that keeps moving is not.
public struct ConnectionLimits: Sendable, Hashable {
    /// A connection must deliver a request's line and headers within this time of opening, or of
    /// the end of its previous answer (which also closes idle keep-alive connections).
    public var headerTimeout: Duration
    /// While a body arrives, the connection is closed when no byte of it arrives for this long.
    public var bodyTimeout: Duration
    /// Open connections at most. At the limit the connection that has waited longest for a
    /// request head is closed to make room; when every one is busy with a request, the new one
    /// is answered 503 `over_capacity` with `Retry-After` and closed.
    public var maxConnections: Int

    public static let defaultHeaderTimeout: Duration = .seconds(15)
    public static let defaultBodyTimeout: Duration = .seconds(30)
    public static let defaultMaxConnections = 1024

    public init(headerTimeout: Duration = defaultHeaderTimeout, bodyTimeout: Duration = defaultBodyTimeout, maxConnections: Int? = nil) {
        self.headerTimeout = headerTimeout
        self.bodyTimeout = bodyTimeout
        self.maxConnections = max(1, maxConnections ?? Self.fittingMaxConnections())
    }

    /// The default cap: 1,024, or less where the process may open fewer files (each connection
    /// is one, and the store, its index and their journals need some).
    public static func fittingMaxConnections() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return defaultMaxConnections }
        let available = Int(clamping: limit.rlim_cur) - 64
        return max(16, min(defaultMaxConnections, available))
    }

    /// Raises the process's soft limit on open files to its hard limit, as far as allowed.
    public static func raiseFileLimit() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
}

/// The open connections of one server, shared by every connection's guard.
final class ConnectionRegistry: Sendable {
    struct Entry {
        var channel: any Channel
        /// Since when the connection waits for a request head; nil while it has a request.
        var waitingSince: ContinuousClock.Instant?
    }

    let limit: Int
    private let state = Mutex<(next: Int, entries: [Int: Entry])>((0, [:]))

    init(limit: Int) { self.limit = limit }

    /// Takes in a new connection: its id, and whether there was room for it. At the limit, the
    /// connection that has waited longest for a request head makes room.
    func open(_ channel: any Channel) -> (id: Int, admitted: Bool) {
        let now = ContinuousClock.now
        let (id, admitted, victim) = state.withLock { state -> (Int, Bool, (any Channel)?) in
            let id = state.next
            state.next += 1
            var victim: (any Channel)?
            if state.entries.count >= limit {
                var oldest: (key: Int, since: ContinuousClock.Instant)?
                for (key, entry) in state.entries {
                    guard let since = entry.waitingSince else { continue }
                    if oldest == nil || since < oldest!.since { oldest = (key, since) }
                }
                // Every connection is busy with a request: this one is refused, and not counted
                // (it is closed once it has been told so, or by the header timeout).
                guard let oldest else { return (id, false, nil) }
                victim = state.entries.removeValue(forKey: oldest.key)?.channel
            }
            state.entries[id] = Entry(channel: channel, waitingSince: now)
            return (id, true, victim)
        }
        victim?.close(promise: nil)
        return (id, admitted)
    }

    func close(_ id: Int) {
        _ = state.withLock { $0.entries.removeValue(forKey: id) }
    }

    func setWaiting(_ id: Int, _ waiting: Bool) {
        let now = ContinuousClock.now
        state.withLock { state in
            guard state.entries[id] != nil else { return }
            state.entries[id]!.waitingSince = waiting ? now : nil
        }
    }
}

/// Keeps one connection to the limits: the header deadline, the body's progress, and the cap.
/// It sits after the HTTP decoder, so it sees request heads, body parts and answers.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    let registry: ConnectionRegistry
    let limits: ConnectionLimits
    let onEvent: @Sendable (String) -> Void
    private var id: Int?
    private var admitted = true
    /// Requests whose head arrived and whose answer has not ended.
    private var inFlight = 0
    /// Whether a request body is arriving.
    private var readingBody = false
    private var headTimer: Scheduled<Void>?
    private var bodyTimer: Scheduled<Void>?
    private var writeTimer: Scheduled<Void>?
    /// Bytes of the answer being written.
    private var answerBytes = 0
    /// The slowest a client may take an answer in, after the body timeout: a slow link gets its
    /// answer, a client that stops reading does not hold the connection.
    static let slowestAnswerBytesPerSecond = 4096

    init(registry: ConnectionRegistry, limits: ConnectionLimits, onEvent: @escaping @Sendable (String) -> Void) {
        self.registry = registry
        self.limits = limits
        self.onEvent = onEvent
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { activate(context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelTimers()
    }

    func channelActive(context: ChannelHandlerContext) {
        activate(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelTimers()
        if let id, admitted { registry.close(id) }
        context.fireChannelInactive()
    }

    private func activate(_ context: ChannelHandlerContext) {
        guard id == nil else { return }
        let (id, admitted) = registry.open(context.channel)
        self.id = id
        self.admitted = admitted
        if !admitted { onEvent("connection refused: \(registry.limit) connections are open and busy (--max-connections)") }
        armHeadTimer(context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // A refused connection's request goes no further than this handler.
        guard admitted else {
            if case .head = unwrapInboundIn(data) {
                headTimer?.cancel()
                headTimer = nil
                refuse(context)
            }
            return
        }
        switch unwrapInboundIn(data) {
        case .head:
            headTimer?.cancel()
            headTimer = nil
            inFlight += 1
            readingBody = true
            if let id { registry.setWaiting(id, false) }
        case .body:
            bodyTimer?.cancel()
            bodyTimer = nil
        case .end:
            bodyTimer?.cancel()
            bodyTimer = nil
            readingBody = false
        }
        context.fireChannelRead(data)
    }

    func read(context: ChannelHandlerContext) {
        // The server asks for more of a body: from now on the client must send within the body
        // timeout. (While the server does not ask, a waiting body is not the client's fault.)
        if readingBody, bodyTimer == nil {
            let timeout = limits.bodyTimeout
            bodyTimer = context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(Self.nanoseconds(timeout))) { [weak self] in
                guard let self, self.readingBody else { return }
                self.onEvent("connection closed: no byte of the request body for \(timeout.components.seconds) s (--body-timeout)")
                context.close(promise: nil)
            }
        }
        context.read()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head:
            answerBytes = 0
        case .body(let buffer):
            answerBytes += buffer.readableBytes
        case .end:
            // The answer must reach the client within the body timeout plus what its size takes
            // at the slowest rate allowed; the connection waits for its next request only once
            // the answer has been sent.
            let allowed = limits.bodyTimeout + .seconds(answerBytes / Self.slowestAnswerBytesPerSecond)
            let timeout = allowed
            writeTimer?.cancel()
            writeTimer = context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(Self.nanoseconds(timeout))) { [weak self] in
                self?.onEvent("connection closed: an answer was not taken within \(timeout.components.seconds) s")
                context.close(promise: nil)
            }
            let sent = promise ?? context.eventLoop.makePromise()
            sent.futureResult.assumeIsolated().whenComplete { [weak self] _ in
                guard let self else { return }
                self.writeTimer?.cancel()
                self.writeTimer = nil
                self.inFlight = max(0, self.inFlight - 1)
                guard self.inFlight == 0 else { return }
                // An answer that ended before its request's body did: the rest is not wanted.
                self.readingBody = false
                self.bodyTimer?.cancel()
                self.bodyTimer = nil
                if let id = self.id { self.registry.setWaiting(id, true) }
                self.armHeadTimer(context)
            }
            context.write(data, promise: sent)
            return
        }
        context.write(data, promise: promise)
    }

    private func armHeadTimer(_ context: ChannelHandlerContext) {
        headTimer?.cancel()
        let timeout = limits.headerTimeout
        headTimer = context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(Self.nanoseconds(timeout))) { [weak self] in
            guard let self, self.inFlight == 0 else { return }
            context.close(promise: nil)
        }
    }

    private func cancelTimers() {
        headTimer?.cancel()
        headTimer = nil
        bodyTimer?.cancel()
        bodyTimer = nil
        writeTimer?.cancel()
        writeTimer = nil
    }

    /// Answers 503 over_capacity without passing the request on, and closes.
    private func refuse(_ context: ChannelHandlerContext) {
        let body = ByteBuffer(
            string: #"{"error":"over_capacity","message":"the server has as many connections open as it allows, all of them busy: try again in a few seconds"}"#)
        var fields = HTTPFields()
        fields[.contentType] = "application/json"
        fields[.contentLength] = String(body.readableBytes)
        fields[.retryAfter] = "2"
        fields[.connection] = "close"
        context.write(wrapOutboundOut(.head(HTTPResponse(status: .serviceUnavailable, headerFields: fields))), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }

    static func nanoseconds(_ d: Duration) -> Int64 {
        Int64(d.components.seconds) * 1_000_000_000 + Int64(d.components.attoseconds / 1_000_000_000)
    }
}
