public import DaftarServer
public import DaftarStore
import Hummingbird
public import Logging
import ServiceLifecycle

/// Why a live server could not be started.
public struct LiveServerError: Error, CustomStringConvertible {
    public var description: String { "the sync server did not start" }
}

/// A real sync server for `store` on a loopback port the system picks, for the duration of
/// `body`, which gets its base URL; the server is stopped when `body` ends, even when it throws.
public func withLiveServer<T>(
    _ store: Store, tls: SyncServer.TLSFiles? = nil, logger given: Logger? = nil, limits: ConnectionLimits = ConnectionLimits(), bodyBudgetBytes: Int = 64 * 1024 * 1024,
    _ body: (String) async throws -> T
) async throws -> T {
    var logger = Logger(label: "daftar-live-server")
    logger.logLevel = .critical
    if let given { logger = given }
    let (ports, continuation) = AsyncStream<Int>.makeStream()
    let server = SyncServer(store: store, logger: logger, connectionLimits: limits, bodyBudgetBytes: bodyBudgetBytes)
    let app = try server.application(host: "127.0.0.1", port: 0, tls: tls) { port in
        continuation.yield(port)
    }
    // Stopped gracefully: the server stops accepting, and every connection it accepted is
    // handled to its end (idle ones are closed), rather than cancelled with connections still
    // queued; bounded, in case a connection never ends.
    let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
    let task = Task { try await group.run() }
    func stop() async {
        await group.triggerGracefulShutdown()
        let stopped = Task {
            try? await Task.sleep(for: .seconds(30))
            task.cancel()
        }
        _ = await task.result
        stopped.cancel()
    }
    var iterator = ports.makeAsyncIterator()
    guard let port = await iterator.next() else {
        await stop()
        throw LiveServerError()
    }
    let url = "\(tls == nil ? "http" : "https")://127.0.0.1:\(port)"
    do {
        let result = try await body(url)
        await stop()
        return result
    } catch {
        await stop()
        throw error
    }
}
