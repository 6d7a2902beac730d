public import Hummingbird
public import NIOCore

/// The request context of the sync server: Hummingbird's core context and the address the
/// request came from, for logs and for slowing down guessed tokens.
public struct SyncRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// The client's address without its port, for logs and the failure count.
    var clientAddress: String { remoteAddress?.ipAddress ?? "unknown" }
}
