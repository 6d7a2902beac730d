import DaftarSync
import Foundation
import Hummingbird
import NIOCore

/// Answers every error the router itself raises (an unknown path, a method a path does not
/// take, a request Hummingbird refused) as the protocol's JSON error, so that a client never
/// meets a body it cannot read: 404 `not_found`, 405 `method_not_allowed` with `Allow`.
struct JSONErrors: RouterMiddleware {
    typealias Context = SyncRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        if let route = SyncServer.routes.first(where: { route in route.path.hasSuffix("/") ? path.hasPrefix(route.path) && path.count > route.path.count : path == route.path }),
            !route.methods.contains(request.method)
        {
            var response = Self.body(.methodNotAllowed, "method_not_allowed", "\(path) takes \(route.methods.map(\.rawValue).joined(separator: " or ")), not \(request.method.rawValue)")
            response.headers[.allow] = route.methods.map(\.rawValue).joined(separator: ", ")
            return response
        }
        do {
            return try await next(request, context)
        } catch let error as any HTTPResponseError {
            switch error.status {
            case .notFound:
                return Self.body(.notFound, "not_found", "nothing at \(path.prefix(200)): this server answers /v1/health, /v1/sync and /v1/chain/ORIGIN (see docs/PROTOCOL.md)")
            case .contentTooLarge:
                return Self.body(.contentTooLarge, "too_large", "the request body is over the limit: send smaller batches")
            case let status where status.code >= 500:
                return Self.body(status, "internal", "the server failed to handle the request: try again")
            case let status:
                return Self.body(status, "malformed", "the request was refused (\(status.code) \(status.reasonPhrase)): check it against docs/PROTOCOL.md")
            }
        }
    }

    static func body(_ status: HTTPResponse.Status, _ code: String, _ message: String) -> Response {
        let data = (try? JSONEncoder().encode(ErrorBody(error: code, message: message))) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: SyncProtocol.jsonType], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
