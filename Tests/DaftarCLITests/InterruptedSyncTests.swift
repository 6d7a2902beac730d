import DaftarModel
import DaftarStore
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Real `daftar serve` and `daftar sync` processes killed mid-sync: the sync resumes, sends only
/// what the server lacks, and both stores end identical.
@Suite(.timeLimit(.minutes(8)), .serialized) struct InterruptedSyncTests {
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

        init(_ url: URL, _ arguments: [String], environment: [String: String], output: String, errors: String? = nil) throws {
            self.output = output
            FileManager.default.createFile(atPath: output, contents: nil)
            if let errors { _ = FileManager.default.createFile(atPath: errors, contents: nil) }
            process.executableURL = url
            process.arguments = arguments
            var env = ProcessInfo.processInfo.environment
            for (k, v) in environment { env[k] = v }
            process.environment = SignInFile.environment(env)
            process.standardOutput = FileHandle(forWritingAtPath: output)
            process.standardError = errors.flatMap { FileHandle(forWritingAtPath: $0) } ?? FileHandle.nullDevice
            try spawn(process)
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

    /// How many of `origin`'s changes the store at `db` holds, read as another process would.
    /// A read-only open can meet the writing process's lock for a moment (SQLite's busy answer
    /// while it resets its log): the poll then reads again, as the message says to.
    func held(_ db: String, of origin: String) throws -> UInt64 {
        var attempts = 0
        while true {
            do {
                return try Store.open(at: db, options: Store.Options(readOnly: true)).knowledge()[Chain(try NodeID(origin), .general)]
            } catch let error as StoreError where error.code == .locked && attempts < 100 {
                attempts += 1
                Thread.sleep(forTimeInterval: 0.01)
            }
        }
    }

    /// Polls `db` until it holds more than `count` of `origin`'s changes; the count then, or nil
    /// after `timeout`.
    func waitForMore(_ db: String, of origin: String, than count: UInt64, timeout: TimeInterval = 60) throws -> UInt64? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let now = try held(db, of: origin)
            if now > count { return now }
            Thread.sleep(forTimeInterval: 0.005)
        }
        return nil
    }

    /// Polls `db` until what it holds of `origin` has not changed for `quiet` seconds (a request
    /// that was under way when its client died is applied all the same), at most `timeout`.
    func settled(_ db: String, of origin: String, quiet: TimeInterval = 3, timeout: TimeInterval = 60) throws -> UInt64 {
        var last = try held(db, of: origin)
        var since = Date()
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline, Date().timeIntervalSince(since) < quiet {
            Thread.sleep(forTimeInterval: 0.1)
            let now = try held(db, of: origin)
            if now != last {
                last = now
                since = Date()
            }
        }
        return last
    }

    /// How many exchanges a server logged for `node`, and the sums of their `in N (applied M)`.
    func exchanges(logged log: String, for node: String) -> (count: Int, received: Int, applied: Int) {
        var count = 0
        var received = 0
        var applied = 0
        let prefix = "sync \(node): in "
        for line in log.split(separator: "\n") {
            guard let range = line.range(of: prefix) else { continue }
            let rest = line[range.upperBound...]
            let numbers = rest.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
            guard numbers.count == 2, rest.contains("(applied ") else { continue }
            count += 1
            received += numbers[0]
            applied += numbers[1]
        }
        return (count, received, applied)
    }

    /// A server killed while an office pulls from it: the office's error says how many changes it
    /// had received and applied (and kept), not only that the server cannot be reached, and the
    /// number is what the office holds.
    @Test func serverKilledMidPull_theErrorSaysHowManyWereApplied() async throws {
        // Off the shared threads: it waits on processes, and servers of other suites run there.
        try await offThePool { [self] () throws -> Void in
            // Three answers of 5,000: the kill lands after the first is applied, before the last.
            let entries = 15_000
            var lines = ""
            for i in 0..<entries { lines += "{\"kind\":\"incident\",\"fields\":{\"n\":\(i),\"title\":\"entry number \(i) at central\"}}\n" }
            try folder.write("central.jsonl", lines)
            let pristine = folder.file("central-made.daftar")
            let imported = try daftar.run(["--db", pristine, "--node", "central", "-c", "import jsonl \(folder.file("central.jsonl"))"], environment: environment)
            #expect(imported.status == 0, "\(imported.err)")
            var misses: [String] = []
            for attempt in 0..<4 {
                let central = folder.file("pull-central-\(attempt).daftar")
                let office = folder.file("pull-office-\(attempt).daftar")
                try FileManager.default.copyItem(atPath: pristine, toPath: central)
                let token = try daftar.run(["node", "add", "fia-lahore", "--db", central], environment: environment).out.trimmingCharacters(in: .whitespacesAndNewlines)
                #expect(try daftar.run(["--db", office, "--node", "fia-lahore", "-c", "status"], environment: environment).status == 0)
                let server = try Background(daftar.url, ["serve", "--db", central, "--port", "0"], environment: environment, output: folder.file("pull-serve-\(attempt).out"))
                defer { server.kill() }
                let port = try #require(server.port())
                #expect(try daftar.run(["remote", "add", "central", "http://127.0.0.1:\(port)", "--token", token, "--db", office], environment: environment).status == 0)
                let errors = folder.file("pull-\(attempt).err")
                let client = try Background(daftar.url, ["sync", "--db", office], environment: environment, output: folder.file("pull-\(attempt).out"), errors: errors)
                let seen = try waitForMore(office, of: "central", than: 0)
                server.kill()
                client.process.waitUntilExit()
                let held = try held(office, of: "central")
                guard seen != nil, held > 0, held < UInt64(entries), client.process.terminationStatus == 1 else {
                    misses.append("attempt \(attempt): the kill left the office holding \(held) of \(entries) (status \(client.process.terminationStatus))")
                    continue
                }
                let said = try String(contentsOfFile: errors, encoding: .utf8)
                #expect(said.contains("cannot reach central"), "\(said)")
                #expect(said.contains("before that, \(held) changes were received and applied here, and kept"), "the office holds \(held): \(said)")
                return
            }
            Issue.record("no attempt killed the server mid-pull: \(misses)")
        }
    }

    /// A client killed, then a server killed, each after some of the office's changes reached the server but before all did; the resumed sync sends exactly the changes the server lacked, and both stores end identical.
    @Test func killedClientAndKilledServer_midSync_resumedSyncSendsOnlyWhatWasMissing() async throws {
        // Off the shared threads: it waits on processes, and servers of other suites run there.
        try await offThePool { [self] () throws -> Void in
            let entries = 30_000
            let total = UInt64(entries)
            // One office's register, made once; every attempt starts from a copy of it.
            let pristine = folder.file("pristine.daftar")
            var lines = ""
            for i in 0..<entries { lines += "{\"kind\":\"incident\",\"fields\":{\"n\":\(i),\"title\":\"entry number \(i) recorded offline\"}}\n" }
            try folder.write("entries.jsonl", lines)
            let made = folder.file("made.daftar")
            let imported = try daftar.run(["--db", made, "--node", "fia-lahore", "-c", "import jsonl \(folder.file("entries.jsonl"))"], environment: environment)
            #expect(imported.status == 0, "\(imported.err)")
            #expect(try daftar.run(["backup", pristine, "--db", made], environment: environment).status == 0)
    
            // Each kill must land mid-sync: after some changes reached the server, before all did.
            // When one lands before or after, the attempt starts again from fresh stores.
            var landed: (central: String, office: String, token: String, afterServerKill: UInt64)?
            var misses: [String] = []
            for attempt in 1...3 where landed == nil {
                let central = folder.file("central-\(attempt).daftar")
                let office = folder.file("lahore-\(attempt).daftar")
                try FileManager.default.copyItem(atPath: pristine, toPath: office)
                #expect(try daftar.run(["--db", central, "--node", "central", "-c", "status"], environment: environment).status == 0)
                let token = try daftar.run(["node", "add", "fia-lahore", "--db", central], environment: environment).out.trimmingCharacters(in: .whitespacesAndNewlines)
                let server = try Background(daftar.url, ["serve", "--db", central, "--port", "0"], environment: environment, output: folder.file("serve-\(attempt).out"))
                defer { server.kill() }
                let port = try #require(server.port())
                #expect(try daftar.run(["remote", "add", "central", "http://127.0.0.1:\(port)", "--token", token, "--db", office], environment: environment).status == 0)
    
                // Kill the client once the server has taken its first batch.
                let client = try Background(daftar.url, ["sync", "--db", office], environment: environment, output: folder.file("sync-\(attempt)a.out"))
                let seen = try waitForMore(central, of: "fia-lahore", than: 0)
                client.kill()
                let afterClientKill = try held(central, of: "fia-lahore")
                guard seen != nil, afterClientKill > 0, afterClientKill < total else {
                    misses.append("attempt \(attempt): the client's kill left the server holding \(afterClientKill) of \(total)")
                    continue
                }
                let before = try settled(central, of: "fia-lahore")
                guard before < total else {
                    misses.append("attempt \(attempt): requests under way when the client died brought the server to all \(total)")
                    continue
                }
                // Kill the server once it has taken a batch of the next sync.
                let client2 = try Background(daftar.url, ["sync", "--db", office], environment: environment, output: folder.file("sync-\(attempt)b.out"))
                let seen2 = try waitForMore(central, of: "fia-lahore", than: before)
                server.kill()
                client2.process.waitUntilExit()
                // The server is gone: what it holds now is final.
                let afterServerKill = try held(central, of: "fia-lahore")
                guard seen2 != nil, afterServerKill > before, afterServerKill < total else {
                    misses.append("attempt \(attempt): the server's kill left it holding \(afterServerKill) of \(total) (\(before) before that sync)")
                    continue
                }
                landed = (central, office, token, afterServerKill)
            }
            let run = try #require(landed, "no attempt had both kills land mid-sync: \(misses)")
            let (central, office, token, heldAfterKills) = run
            let missing = Int(total - heldAfterKills)
    
            // The server comes back on another port, its log kept; the office syncs to the end.
            let serverLog = folder.file("serve-resumed.err")
            let server = try Background(
                daftar.url, ["serve", "--db", central, "--port", "0"], environment: environment, output: folder.file("serve-resumed.out"), errors: serverLog)
            defer { server.kill() }
            let port = try #require(server.port())
            #expect(try daftar.run(["remote", "add", "central", "http://127.0.0.1:\(port)", "--token", token, "--db", office], environment: environment).status == 0)
            let finished = try daftar.run(["sync", "--db", office], environment: environment)
            #expect(finished.status == 0, "\(finished.out) \(finished.err)")
            server.kill()
    
            // The resumed sync sent exactly what the server lacked: by its own report, by the
            // server's log of what it applied, and by what the server holds now. (The wire may carry
            // more: with two batches in flight the server can take the later one first, refuse it as
            // waiting for the earlier one, and get it again.)
            #expect(finished.out.contains("sent \(missing), received 0,"), "\(missing) were missing; the sync said: \(finished.out)")
            let log = (try? String(contentsOfFile: serverLog, encoding: .utf8)) ?? ""
            let logged = exchanges(logged: log, for: "fia-lahore")
            #expect(logged.count > 0)
            #expect(logged.applied == missing, "\(missing) were missing; the server applied \(logged.applied): \(log)")
            #expect(try held(central, of: "fia-lahore") == heldAfterKills + UInt64(missing))
    
            let centralStatus = try status(central)
            let officeStatus = try status(office)
            #expect(centralStatus["entries"] as? Int == entries)
            #expect((centralStatus["knowledge"] as? [String: [String: Int]])?["general"]?["fia-lahore"] == entries)
            #expect(officeStatus["changesNotSent"] as? Int == 0)
            for db in [central, office] {
                #expect(try daftar.run(["--db", db, "-c", "check"], environment: environment).out == "ok\n")
            }
            let a = try daftar.run(["--db", central, "--json", "-c", "find where n >= \(entries - 10) order by n"], environment: environment).out
            let b = try daftar.run(["--db", office, "--json", "-c", "find where n >= \(entries - 10) order by n"], environment: environment).out
            #expect(a == b && a.contains("\(entries - 1)"))
        }
    }

    @Test func syncEvery_keepsSyncing_andBacksOffWhileTheLinkIsDown() async throws {
        // Off the shared threads: it waits on processes, and servers of other suites run there.
        try await offThePool { [self] () throws -> Void in
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
            #expect(console.out.contains("synced with central (central): sent 1, received 0"), "\(console.out)")
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
}
