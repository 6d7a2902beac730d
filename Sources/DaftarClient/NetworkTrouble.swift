import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
#endif

/// What went wrong on the network, in an officer's words: the libraries' own descriptions name
/// their internals (`bind(descriptor:ptr:bytes:)`, `errno: 111`), which tell an officer nothing.
public enum NetworkTrouble {
    /// One short phrase: what happened, without what to do (the caller knows that).
    public static func describe(_ error: any Error) -> String {
        if let io = error as? IOError { return describe(errno: io.errnoCode) }
        if let connection = error as? NIOConnectionError {
            if connection.dnsAError != nil || connection.dnsAAAAError != nil, connection.connectionErrors.isEmpty {
                return "the server's name could not be looked up"
            }
            if let first = connection.connectionErrors.first { return describe(first.error) }
            return "no connection could be made"
        }
        if let http = error as? HTTPClientError {
            switch http {
            case .connectTimeout, .socksHandshakeTimeout, .tlsHandshakeTimeout: return "no connection within the time allowed (the link is down or very slow)"
            case .readTimeout, .writeTimeout, .deadlineExceeded: return "the server stopped answering part-way (the link dropped or is very slow)"
            case .remoteConnectionClosed: return "the server closed the connection part-way"
            case .cancelled: return "the request was cancelled"
            default: break
            }
        }
        if let channel = error as? ChannelError {
            switch channel {
            case .connectTimeout: return "no connection within the time allowed (the link is down or very slow)"
            case .ioOnClosedChannel, .alreadyClosed, .eof, .outputClosed, .inputClosed: return "the connection was closed part-way"
            default: break
            }
        }
        if let socket = error as? SocketAddressError {
            switch socket {
            case .unknown: return "the server's name could not be looked up"
            default: return "the address is not one a connection can be made to"
            }
        }
        let text = "\(error)"
        if text.contains("ECONNREFUSED") || text.contains("Connection refused") { return describe(errno: ECONNREFUSED) }
        return "a network error (\(String(describing: type(of: error))))"
    }

    static func describe(errno code: Int32) -> String {
        switch code {
        case ECONNREFUSED: return "nothing is listening there (the server is not running, or the port is wrong)"
        case ECONNRESET, EPIPE: return "the connection was cut part-way"
        case ETIMEDOUT: return "no answer within the time allowed (the link is down or very slow)"
        case EHOSTUNREACH, ENETUNREACH, ENETDOWN: return "there is no route to it (the network is down, or the address is wrong)"
        case EADDRINUSE: return "the address and port are already in use"
        case EADDRNOTAVAIL: return "this computer has no such address"
        case EACCES, EPERM: return "not permitted (ports below 1024 need the administrator)"
        default: return "a network error (\(String(cString: strerror(code))))"
        }
    }
}
