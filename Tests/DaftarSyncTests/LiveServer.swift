import AsyncHTTPClient
import DaftarClient
import DaftarModel
import DaftarSync
@_exported import DaftarTesting
import Foundation
import Hummingbird
import Logging
import NIOHTTP1
import Synchronization
import Testing

@testable import DaftarServer
@testable import DaftarStore

/// A real sync server on a loopback port chosen by the system, stopped at the end of `body`.
func withServer<T>(_ store: Store, tls: SyncServer.TLSFiles? = nil, limits: ConnectionLimits = ConnectionLimits(), _ body: (String) async throws -> T) async throws -> T {
    try await withLiveServer(store, tls: tls, limits: limits, body)
}

/// One HTTP request as a foreign client would send it: any method, path, headers and body.
/// Returns the status, the headers (names in lower case) and the body, parsed as JSON when it is.
func http(
    _ url: String, _ method: HTTPMethod = .POST, _ path: String = "/v1/sync", headers: [(String, String)] = [], body: Data? = nil
) async throws -> (status: Int, headers: [String: String], json: [String: Any], raw: Data) {
    let client = HTTPClient(eventLoopGroupProvider: .singleton)
    var request = HTTPClientRequest(url: url + path)
    request.method = method
    for (name, value) in headers { request.headers.add(name: name, value: value) }
    if let body { request.body = .bytes(.init(bytes: body)) }
    do {
        let response = try await client.execute(request, timeout: .seconds(60))
        let collected = try await response.body.collect(upTo: 64 * 1024 * 1024)
        try await client.shutdown()
        let raw = Data(collected.readableBytesView)
        var fields: [String: String] = [:]
        for header in response.headers { fields[header.name.lowercased()] = header.value }
        return (Int(response.status.code), fields, (try? JSONSerialization.jsonObject(with: raw)) as? [String: Any] ?? [:], raw)
    } catch {
        try? await client.shutdown()
        throw error
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

func makeStore(_ node: String, in folder: TemporaryFolder) throws -> Store {
    try Store.create(at: folder.file("\(node).daftar"), node: try NodeID(node))
}

func name(_ s: String) -> FieldName { try! FieldName(s) }
func kind(_ s: String) -> Kind { try! Kind(s) }

/// Registers `client` at `server` and remembers the server at the client under `remoteName`.
@discardableResult
func register(_ client: Store, at server: Store, url: String, as remoteName: String, relay: Bool = false, ca: String? = nil) throws -> Remote {
    let token = try server.registerPeer(client.node, role: relay ? .relay : .office)
    let remote = Remote(name: remoteName, url: url, token: token, caFile: ca)
    try client.saveRemote(remote)
    return remote
}

/// One sync of `store` with its remote `remoteName`.
@discardableResult
func sync(_ store: Store, _ remoteName: String, encoding: SyncClient.Encoding = .compact, gzip: Bool = false) async throws -> SyncSummary {
    guard let remote = try store.remotes().first(where: { $0.name == remoteName }) else { throw TestFailure("no remote \(remoteName)") }
    let client = try SyncClient(store: store, remote: remote, encoding: encoding, gzip: gzip)
    do {
        let summary = try await client.sync()
        await client.shutdown()
        return summary
    } catch {
        await client.shutdown()
        throw error
    }
}

/// Raw HTTP, for requests the client would never send.
func post(_ url: String, token: String?, contentType: String = "application/json", body: Data) async throws -> (status: Int, body: [String: Any]) {
    let http = HTTPClient(eventLoopGroupProvider: .singleton)
    defer { Task { try? await http.shutdown() } }
    var request = HTTPClientRequest(url: url + "/v1/sync")
    request.method = .POST
    if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
    request.headers.add(name: "Content-Type", value: contentType)
    request.body = .bytes(.init(bytes: body))
    let response = try await http.execute(request, timeout: .seconds(30))
    let collected = try await response.body.collect(upTo: 64 * 1024 * 1024)
    let json = (try? JSONSerialization.jsonObject(with: Data(collected.readableBytesView))) as? [String: Any] ?? [:]
    try await http.shutdown()
    return (Int(response.status.code), json)
}

func snapshot(_ store: Store) throws -> [RecordState] { try store.allRecords() }
