public import DaftarServer
public import DaftarStore
import Hummingbird
public import Logging

/// Why a live server could not be started.
public struct LiveServerError: Error, CustomStringConvertible {
    public var description: String { "the sync server did not start" }
}

/// A real sync server for `store` on a loopback port the system picks, for the duration of
/// `body`, which gets its base URL; the server is stopped when `body` ends, even when it throws.
public func withLiveServer<T>(_ store: Store, tls: SyncServer.TLSFiles? = nil, logger given: Logger? = nil, _ body: (String) async throws -> T) async throws -> T {
    var logger = Logger(label: "daftar-live-server")
    logger.logLevel = .critical
    if let given { logger = given }
    let (ports, continuation) = AsyncStream<Int>.makeStream()
    let app = try SyncServer(store: store, logger: logger).application(host: "127.0.0.1", port: 0, tls: tls) { port in
        continuation.yield(port)
    }
    let task = Task { try await app.runService(gracefulShutdownSignals: []) }
    var iterator = ports.makeAsyncIterator()
    guard let port = await iterator.next() else {
        task.cancel()
        throw LiveServerError()
    }
    let url = "\(tls == nil ? "http" : "https")://127.0.0.1:\(port)"
    do {
        let result = try await body(url)
        task.cancel()
        _ = await task.result
        return result
    } catch {
        task.cancel()
        _ = await task.result
        throw error
    }
}
