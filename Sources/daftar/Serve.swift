import ArgumentParser
import DaftarServer
import DaftarStore
import DaftarClient
import Foundation
import NIOCore
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// Log lines on standard error: one per exchange, never a token.
func makeLogger(_ label: String) -> Logger {
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = .info
        return handler
    }
    return Logger(label: label)
}

#if canImport(Glibc)
    /// glibc's `mallopt(3)` (malloc.h is not part of the Glibc module).
    @_silgen_name("mallopt")
    func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run this node as a sync server until SIGINT or SIGTERM.",
        discussion: "Offices, hubs and other nodes sync with it over HTTP(S). Register each with `daftar node add ID` first.")

    @OptionGroup var store: StoreOptions
    @Option(help: "The address to listen on.") var host = "127.0.0.1"
    @Option(help: "The port to listen on; 0 picks a free one (printed when listening).") var port = 7420
    @Option(name: .customLong("tls-cert"), help: "A PEM certificate (chain) to serve HTTPS with.") var tlsCert: String?
    @Option(name: .customLong("tls-key"), help: "The PEM private key of --tls-cert.") var tlsKey: String?
    @Option(
        name: .customLong("header-timeout"),
        help: "Seconds a connection has to send a request's line and headers, from opening or from its previous answer (also ends idle connections).")
    var headerTimeout = Int(ConnectionLimits.defaultHeaderTimeout.components.seconds)
    @Option(name: .customLong("body-timeout"), help: "Seconds without a byte of a request body before the connection is closed (a slow body that moves is never cut).")
    var bodyTimeout = Int(ConnectionLimits.defaultBodyTimeout.components.seconds)
    @Option(
        name: .customLong("max-connections"),
        help: "Open connections at most (default 1024, or fewer if the open-file limit is lower); at the limit the longest-idle one is closed, or a new one is answered 503.")
    var maxConnections: Int?
    @Option(help: "At the central node: seconds between heartbeats written into the registry (every node shows how old the newest is); 0 writes none.")
    var heartbeat = 300

    func validate() throws {
        if (tlsCert == nil) != (tlsKey == nil) { throw ValidationError("give both --tls-cert and --tls-key, or neither") }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard (1...3600).contains(headerTimeout) else { throw ValidationError("--header-timeout must be 1 to 3600 seconds") }
        guard (1...3600).contains(bodyTimeout) else { throw ValidationError("--body-timeout must be 1 to 3600 seconds") }
        if let maxConnections, !(1...1_000_000).contains(maxConnections) { throw ValidationError("--max-connections must be 1 to 1000000") }
        guard (0...86400).contains(heartbeat) else { throw ValidationError("--heartbeat must be 0 (none) to 86400 seconds") }
    }

    func run() async throws {
        let logger = makeLogger("daftar.serve")
        let opened: Store
        do {
            opened = try store.openOrCreate(askIfMissing: false, onBackgroundError: { message in logger.error("\(message)") })
        } catch { throw fail(error) }
        ConnectionLimits.raiseFileLimit()
        #if canImport(Glibc)
            // Request bodies come and go in large blocks: served from their own mappings, given
            // back to the system when freed, instead of kept in one heap per thread (which made
            // a server that read sixteen large bodies keep the memory of several).
            _ = glibcMallopt(-3, 256 * 1024)  // M_MMAP_THRESHOLD
            _ = glibcMallopt(-8, 4)  // M_ARENA_MAX
        #endif
        let limits = ConnectionLimits(headerTimeout: .seconds(headerTimeout), bodyTimeout: .seconds(bodyTimeout), maxConnections: maxConnections)
        let server = SyncServer(store: opened, logger: logger, connectionLimits: limits)
        let tls = tlsCert.map { SyncServer.TLSFiles(certificate: $0, key: tlsKey!) }
        do {
            let app = try server.application(host: host, port: port, tls: tls) { port in
                // One line on standard output, for scripts that start the server on port 0.
                FileHandle.standardOutput.write(Data("listening on \(port)\n".utf8))
            }
            let beats = heartbeat > 0 ? Task { await server.heartbeat(every: .seconds(heartbeat)) } : nil
            defer { beats?.cancel() }
            try await app.runService()
            logger.info("stopped")
        } catch let error as IOError {
            let extra = error.errnoCode == EADDRINUSE ? " (another server, perhaps another daftar serve, runs there): stop it, or give another --port" : ""
            throw fail(StoreError(.badRequest, "cannot listen on \(host):\(port): \(NetworkTrouble.describe(error))\(extra)"))
        } catch {
            throw fail(error)
        }
    }
}
