import DaftarModel
import DaftarStore
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A console fed one `add` after another, killed with SIGKILL at random moments: every entry
/// whose id it printed (the write had committed) is there after the restart, nothing is
/// half-written, and SQLite's integrity check passes.
@Suite(.timeLimit(.minutes(3)), .serialized) struct KillDuringWritesTests {
    let daftar: Executable
    let folder: TemporaryFolder

    init() throws {
        daftar = try Executable("daftar")
        folder = try TemporaryFolder()
    }

    /// Starts a console on `db` reading `add` commands from a pipe, kills it after `delay`, and
    /// returns the ids it printed on complete lines (each one acknowledged after its commit).
    func writeUntilKilled(db: String, round: Int, delay: TimeInterval) throws -> [String] {
        let process = Process()
        process.executableURL = daftar.url
        process.arguments = ["--db", db]
        var env = ProcessInfo.processInfo.environment
        env["DAFTAR_OFFICER"] = "Insp. Rashid"
        process.environment = SignInFile.environment(env)
        let output = folder.file("round-\(round).out")
        FileManager.default.createFile(atPath: output, contents: nil)
        let input = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle(forWritingAtPath: output)
        process.standardError = FileHandle.nullDevice
        try spawn(process)
        // Feed commands from another thread until the pipe breaks (the process is gone).
        let writer = input.fileHandleForWriting
        let fd = writer.fileDescriptor
        signal(SIGPIPE, SIG_IGN)
        let feeding = Thread {
            var i = 0
            while true {
                let line = "add seizure round=\(round) n=\(i) item=\"diesel drums, batch \(i) of round \(round)\"\n"
                let ok = line.utf8CString.withUnsafeBufferPointer { buffer in
                    Glibc.write(fd, buffer.baseAddress, buffer.count - 1) == buffer.count - 1
                }
                if !ok { break }
                i += 1
            }
        }
        feeding.start()
        Thread.sleep(forTimeInterval: delay)
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try? writer.close()
        let text = try String(contentsOfFile: output, encoding: .utf8)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines.removeLast()  // after the last newline: empty, or a line cut off by the kill
        return lines
    }

    @Test func killedAtRandomMoments_everyAcknowledgedWriteSurvives() throws {
        let db = folder.file("office.daftar")
        #expect(try daftar.run(["--db", db, "--node", "fia-quetta", "-c", "status"], environment: ["DAFTAR_OFFICER": "Insp. Rashid"]).status == 0)
        var rng = SplitMix(state: 20261125)
        var acknowledged: [String] = []
        let rounds = 12
        for round in 0..<rounds {
            // Between 0.15 and 0.9 s: some kills land while the store is still opening.
            let delay = 0.15 + Double(rng.next() % 750) / 1000
            let ids = try writeUntilKilled(db: db, round: round, delay: delay)
            acknowledged += ids
            let store = try Store.open(at: db)
            #expect(try store.integrityCheck() == [], "round \(round): the integrity check failed")
            for id in ids {
                let parsed = try RecordID(id)
                #expect(try store.record(parsed) != nil, "round \(round): \(id) was acknowledged but is missing")
            }
            // No half-writes: every change in the log has its entry, and the log has no gaps.
            let held = try store.knowledge()[Chain(store.node, .general)]
            #expect(try store.count(Query()) == Int(held), "round \(round): \(held) changes but a different number of entries")
        }
        #expect(acknowledged.count > rounds, "the console acknowledged too few writes for the test to mean anything")
        #expect(Set(acknowledged).count == acknowledged.count)
    }
}
