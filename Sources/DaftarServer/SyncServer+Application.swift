import DaftarStore
public import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL

extension SyncServer {
    /// Certificate and key files for serving TLS.
    public struct TLSFiles: Sendable {
        public var certificate: String
        public var key: String

        public init(certificate: String, key: String) {
            self.certificate = certificate
            self.key = key
        }

        func configuration() throws -> TLSConfiguration {
            let chain = try NIOSSLCertificate.fromPEMFile(certificate).map { NIOSSLCertificateSource.certificate($0) }
            let key = try NIOSSLPrivateKey(file: key, format: .pem)
            var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
            // TLS 1.0 and 1.1 are deprecated (RFC 8996): refused.
            configuration.minimumTLSVersion = .tlsv12
            return configuration
        }
    }

    /// The server as a Hummingbird application, listening on `host:port` (port 0 picks a free
    /// one); `onRunning` gets the port it listens on.
    public func application(
        host: String, port: Int, tls: TLSFiles? = nil, onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> Application<RouterResponder<SyncRequestContext>> {
        let logger = self.logger
        let limits = connectionLimits
        let registry = ConnectionRegistry(limit: limits.maxConnections)
        let http1 = HTTPServerBuilder.http1(
            configuration: HTTP1Channel.Configuration(
                additionalChannelHandlers: [ConnectionGuard(registry: registry, limits: limits, onEvent: { logger.info("\($0)") })]))
        let server: HTTPServerBuilder
        if let tls {
            do { server = try .tls(http1, tlsConfiguration: try tls.configuration()) } catch {
                throw StoreError(.io, "cannot use the TLS files \(tls.certificate) and \(tls.key): \(error); give a PEM certificate and its PEM private key")
            }
        } else {
            server = http1
        }
        return Application(
            router: router(),
            server: server,
            configuration: .init(address: .hostname(host, port: port), serverName: "daftar"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? port
                logger.info(
                    "serving \(store.node) on \(tls == nil ? "http" : "https")://\(host):\(port); header timeout \(limits.headerTimeout.components.seconds) s, body timeout \(limits.bodyTimeout.components.seconds) s, at most \(limits.maxConnections) connections")
                await onRunning(port)
            },
            logger: logger)
    }
}
