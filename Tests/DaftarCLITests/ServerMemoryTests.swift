import DaftarModel
import DaftarStore
import DaftarSync
import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A real `daftar serve` process sent sixteen maximal request bodies at once stays within the
/// memory target: bodies are read, inflated and decoded within a budget, the rest wait in the
/// network's buffers.
@Suite(.timeLimit(.minutes(8)), .serialized) struct ServerMemoryTests {
    let daftar: Executable
    let folder: TemporaryFolder

    init() throws {
        daftar = try Executable("daftar")
        folder = try TemporaryFolder()
    }

    @Test func sixteenMaximalBodiesAtOnce_stayUnder200MB() async throws {
        let central = folder.file("central.daftar")
        let environment = ["DAFTAR_OFFICER": "Insp. Rashid", "XDG_DATA_HOME": folder.path]
        #expect(try daftar.run(["--db", central, "--node", "central", "-c", "status"], environment: environment).status == 0)
        let token = try daftar.run(["node", "add", "fia-lahore", "--db", central], environment: environment).out.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(token.hasPrefix("dft1_"))

        // The largest request a server reads: as many changes as one may carry, each as large as
        // it must be for them to fill 32 MiB (the same change again and again: each after the
        // first is a duplicate, but every one is read, decoded and checked).
        let prefix = Data(#"{"node":"fia-lahore","knowledge":{},"changes":["#.utf8)
        let room = SyncProtocol.maxRequestBytes - prefix.count - 2
        func change(_ textBytes: Int) throws -> Data {
            let office = try Store.create(at: folder.file("office-\(textBytes).daftar"), node: try NodeID("fia-lahore"))
            try office.add(kind: try Kind("seizure"), fields: [try FieldName("note"): .text(String(repeating: "d", count: textBytes))], as: "Insp. Rashid")
            return try JSONEncoder().encode(try #require(try office.changes(missingFrom: Knowledge()).changes.first))
        }
        let overhead = try change(1).count - 1
        let one = try change(min(Limits.textBytes, room / SyncProtocol.maxChangesPerRequest - 1 - overhead))
        let copies = min(SyncProtocol.maxChangesPerRequest, room / (one.count + 1))
        var body = prefix
        body.reserveCapacity(SyncProtocol.maxRequestBytes)
        for i in 0..<copies {
            if i > 0 { body.append(UInt8(ascii: ",")) }
            body.append(one)
        }
        body.append(contentsOf: Array("]}".utf8))
        #expect(copies == SyncProtocol.maxChangesPerRequest)
        #expect(body.count <= SyncProtocol.maxRequestBytes && body.count > SyncProtocol.maxRequestBytes - 2 * SyncProtocol.maxChangesPerRequest - 64, "\(body.count)")

        let server = Process()
        server.executableURL = daftar.url
        server.arguments = ["serve", "--db", central, "--port", "0"]
        let output = folder.file("serve.out")
        FileManager.default.createFile(atPath: output, contents: nil)
        server.standardOutput = FileHandle(forWritingAtPath: output)
        server.standardError = FileHandle.nullDevice
        try spawn(server)
        defer {
            if server.isRunning { kill(server.processIdentifier, SIGKILL) }
            server.waitUntilExit()
        }
        var port: Int?
        for _ in 0..<300 where port == nil {
            let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
            port = text.split(separator: "\n").first { $0.hasPrefix("listening on ") }.flatMap { Int($0.dropFirst("listening on ".count)) }
            if port == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        let listening = try #require(port, "daftar serve did not start")
        let before = try #require(peakResidentMegabytes(of: server.processIdentifier))

        // Sixteen clients, each on a thread of its own, send the whole body and read the answer.
        let statuses = Mutex<[Int]>([])
        let bytes = [UInt8](body)
        let threads = (0..<16).map { _ in
            Thread {
                var status = 0
                if let connection = try? RawHTTP(port: listening, timeout: 400) {
                    if connection.send(RawHTTP.postHead(path: "/v1/sync", token: token, contentType: SyncProtocol.jsonType, length: bytes.count)), connection.send(bytes) {
                        status = (try? connection.response().status) ?? -1
                    }
                }
                statuses.withLock { $0.append(status) }
            }
        }
        for thread in threads { thread.start() }
        while threads.contains(where: { !$0.isFinished }) { try await Task.sleep(for: .milliseconds(100)) }

        let answered = statuses.withLock { $0 }
        let peak = try #require(peakResidentMegabytes(of: server.processIdentifier))
        // Each is taken (200) or, having waited its turn too long, told to come back (503).
        #expect(answered.count == 16 && answered.allSatisfy { $0 == 200 || $0 == 503 }, "\(answered)")
        #expect(answered.contains(200))
        #expect(peak < 200, "peak resident memory \(peak) MB (\(before) MB before the bodies)")
        // The server still answers, and kept the one change once.
        let health = try await offThePool { () -> Int in
            let connection = try RawHTTP(port: listening)
            _ = connection.send(Array("GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8))
            return try connection.response().status
        }
        #expect(health == 200)
        kill(server.processIdentifier, SIGTERM)
        server.waitUntilExit()
        let held = try daftar.run(["--db", central, "--json", "-c", "status"], environment: environment)
        let status = try #require(try JSONSerialization.jsonObject(with: Data(held.out.utf8)) as? [String: Any])
        #expect((status["knowledge"] as? [String: [String: Int]])?["general"]?["fia-lahore"] == 1)
        print("16 bodies of \(bytes.count) bytes (\(copies) changes each): peak \(Int(peak)) MB, \(Int(before)) MB before; answers \(answered.sorted())")
    }
}
