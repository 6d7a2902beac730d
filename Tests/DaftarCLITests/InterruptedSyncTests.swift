import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Real `daftar serve` and `daftar sync` processes killed mid-sync: the sync resumes and both
/// stores end identical, with no change applied twice.
@Suite(.timeLimit(.minutes(5)), .serialized) struct InterruptedSyncTests {
    let daftar: Executable
    let folder: TemporaryFolder
    var environment: [String: String] { ["DAFTAR_OFFICER": "Insp. Rashid", "XDG_DATA_HOME": folder.path] }

    init() throws {
        daftar = try Executable("daftar")
        folder = try TemporaryFolder()
    }

    /// A process started in the background, its output in a file.
    final class Background {
        let process = Process()
        let output: String

        init(_ url: URL, _ arguments: [String], environment: [String: String], output: String) throws {
            self.output = output
            FileManager.default.createFile(atPath: output, contents: nil)
            process.executableURL = url
            process.arguments = arguments
            var env = ProcessInfo.processInfo.environment
            for (k, v) in environment { env[k] = v }
            process.environment = env
            process.standardOutput = FileHandle(forWritingAtPath: output)
            process.standardError = FileHandle.nullDevice
            try process.run()
        }

        /// The port a `serve` process reports once it listens.
        func port(timeout: TimeInterval = 30) -> Int? {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                if let text = try? String(contentsOfFile: output, encoding: .utf8),
                    let line = text.split(separator: "\n").first(where: { $0.hasPrefix("listening on ") }),
                    let port = Int(line.dropFirst("listening on ".count))
                {
                    return port
                }
                Thread.sleep(forTimeInterval: 0.05)
            }
            return nil
        }

        func kill() {
            if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
    }

    func status(_ db: String) throws -> [String: Any] {
        let result = try daftar.run(["--db", db, "--json", "-c", "status"], environment: environment)
        return try #require(try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [String: Any])
    }

    @Test func killedClientAndKilledServer_syncResumes_noChangeTwice() throws {
        let central = folder.file("central.daftar")
        let office = folder.file("lahore.daftar")
        let entries = 20_000
        #expect(try daftar.run(["--db", central, "--node", "central", "-c", "status"], environment: environment).status == 0)
        let token = try daftar.run(["node", "add", "fia-lahore", "--db", central], environment: environment).out.trimmingCharacters(in: .whitespacesAndNewlines)
        var lines = ""
        for i in 0..<entries { lines += "{\"kind\":\"incident\",\"fields\":{\"n\":\(i),\"title\":\"entry number \(i) recorded offline\"}}\n" }
        try folder.write("entries.jsonl", lines)
        let imported = try daftar.run(["--db", office, "--node", "fia-lahore", "-c", "import jsonl \(folder.file("entries.jsonl"))"], environment: environment)
        #expect(imported.status == 0, "\(imported.err)")

        var server = try Background(daftar.url, ["serve", "--db", central, "--port", "0"], environment: environment, output: folder.file("serve1.out"))
        defer { server.kill() }
        let port = try #require(server.port())
        #expect(try daftar.run(["remote", "add", "central", "http://127.0.0.1:\(port)", "--token", token, "--db", office], environment: environment).status == 0)

        // Kill the client mid-sync.
        let client = try Background(daftar.url, ["sync", "--db", office], environment: environment, output: folder.file("sync1.out"))
        Thread.sleep(forTimeInterval: 0.4)
        client.kill()
        // Kill the server mid-sync.
        let client2 = try Background(daftar.url, ["sync", "--db", office], environment: environment, output: folder.file("sync2.out"))
        Thread.sleep(forTimeInterval: 0.3)
        server.kill()
        client2.process.waitUntilExit()
        // The server comes back on another port; the office syncs to the end.
        server = try Background(daftar.url, ["serve", "--db", central, "--port", "0"], environment: environment, output: folder.file("serve2.out"))
        let port2 = try #require(server.port())
        #expect(try daftar.run(["remote", "add", "central", "http://127.0.0.1:\(port2)", "--token", token, "--db", office], environment: environment).status == 0)
        let finished = try daftar.run(["sync", "--db", office], environment: environment)
        #expect(finished.status == 0, "\(finished.out) \(finished.err)")
        server.kill()

        let centralStatus = try status(central)
        let officeStatus = try status(office)
        #expect(centralStatus["entries"] as? Int == entries)
        #expect(centralStatus["changesHeld"] as? Int == entries)  // each change once
        #expect((centralStatus["knowledge"] as? [String: Int])?["fia-lahore"] == entries)
        #expect(officeStatus["changesNotSent"] as? Int == 0)
        for db in [central, office] {
            #expect(try daftar.run(["--db", db, "-c", "check"], environment: environment).out == "ok\n")
        }
        let a = try daftar.run(["--db", central, "--json", "-c", "find where n >= 19990 order by n"], environment: environment).out
        let b = try daftar.run(["--db", office, "--json", "-c", "find where n >= 19990 order by n"], environment: environment).out
        #expect(a == b && a.contains("19999"))
    }

    @Test func syncEvery_keepsSyncing_andBacksOffWhileTheLinkIsDown() throws {
        let central = folder.file("central.daftar")
        let office = folder.file("lahore.daftar")
        #expect(try daftar.run(["--db", central, "--node", "central", "-c", "status"], environment: environment).status == 0)
        let token = try daftar.run(["node", "add", "fia-lahore", "--db", central], environment: environment).out.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try daftar.run(["--db", office, "--node", "fia-lahore", "-c", "add case title=first"], environment: environment).status == 0)
        let server = try Background(daftar.url, ["serve", "--db", central, "--port", "0"], environment: environment, output: folder.file("serve.out"))
        defer { server.kill() }
        let port = try #require(server.port())
        #expect(try daftar.run(["remote", "add", "central", "http://127.0.0.1:\(port)", "--token", token, "--db", office], environment: environment).status == 0)
        // The console's own sync and remotes commands.
        let console = try daftar.run(["--db", office], input: "remotes\nsync central\nstatus\n", environment: environment)
        #expect(console.status == 0, "\(console.err)")
        #expect(console.out.contains("synced with central: sent 1, received 0"), "\(console.out)")
        #expect(console.out.contains("0 not yet sent anywhere"))
        #expect(try daftar.run(["--db", office, "-c", "sync nowhere"], environment: environment).err.contains("no remote named nowhere"))
        let every = try Background(daftar.url, ["sync", "--every", "1s", "--db", office], environment: environment, output: folder.file("every.out"))
        defer { every.kill() }
        // An entry recorded while it runs reaches the central node by itself.
        #expect(try daftar.run(["--db", office, "-c", "add case title=second"], environment: environment).status == 0)
        var held = 0
        let deadline = Date().addingTimeInterval(20)
        while held < 2, Date() < deadline {
            Thread.sleep(forTimeInterval: 0.3)
            held = Int(try daftar.run(["--db", central, "-c", "count"], environment: environment).out.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        }
        #expect(held == 2)
        // The link goes down: it reports the failure and keeps running.
        server.kill()
        // The client gives up on a connection after its connect timeout (10 s), then says so.
        var said = ""
        let until = Date().addingTimeInterval(25)
        while !said.contains("failed"), Date() < until {
            Thread.sleep(forTimeInterval: 0.5)
            said = (try? String(contentsOfFile: folder.file("every.out"), encoding: .utf8)) ?? ""
        }
        #expect(every.process.isRunning)
        #expect(said.contains("synced with central"))
        #expect(said.contains("sync with central failed: cannot reach central"), "\(said)")
    }
}
