@_exported import DaftarTesting
import Foundation
import Testing

/// Runs one of the package's built executables, as a person or a script would.
struct Executable: Sendable {
    let url: URL

    /// The built product `name`, next to the test bundle.
    init(_ name: String) throws {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        let candidates = [bundle.appendingPathComponent(name), bundle.deletingLastPathComponent().appendingPathComponent(name)]
        url = try #require(candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }, "build the package first: \(name) not found beside \(bundle.path)")
    }

    struct Result: Sendable {
        var status: Int32
        var out: String
        var err: String
    }

    /// Runs with `arguments`, feeding `input` to standard input; gives up after `timeout`.
    func run(_ arguments: [String], input: String = "", environment: [String: String] = [:], timeout: TimeInterval = 60) throws -> Result {
        let process = Process()
        process.executableURL = url
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "DAFTAR_DB")
        for (k, v) in environment { env[k] = v }
        process.environment = env
        // Output goes to files, so that a chatty process never blocks on a full pipe.
        let outPath = NSTemporaryDirectory() + "daftar-out-\(UUID().uuidString)"
        let errPath = NSTemporaryDirectory() + "daftar-err-\(UUID().uuidString)"
        FileManager.default.createFile(atPath: outPath, contents: nil)
        FileManager.default.createFile(atPath: errPath, contents: nil)
        defer {
            try? FileManager.default.removeItem(atPath: outPath)
            try? FileManager.default.removeItem(atPath: errPath)
        }
        let stdin = Pipe()
        process.standardInput = stdin
        process.standardOutput = FileHandle(forWritingAtPath: outPath)
        process.standardError = FileHandle(forWritingAtPath: errPath)
        try spawn(process)
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try stdin.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        if process.isRunning {
            process.terminate()
            Issue.record("\(url.lastPathComponent) \(arguments) did not finish within \(timeout) s")
        }
        process.waitUntilExit()
        let outData = FileManager.default.contents(atPath: outPath) ?? Data()
        let errData = FileManager.default.contents(atPath: errPath) ?? Data()
        return Result(status: process.terminationStatus, out: String(decoding: outData, as: UTF8.self), err: String(decoding: errData, as: UTF8.self))
    }
}

/// A suite that drives `daftar` against stores in its own folder, as an officer's script would.
protocol ConsoleScripts {
    var daftar: Executable { get }
    var folder: TemporaryFolder { get }
}

extension ConsoleScripts {
    var environment: [String: String] { ["DAFTAR_OFFICER": "Insp. Rashid", "XDG_DATA_HOME": folder.path, "TZ": "Asia/Karachi"] }

    /// Runs commands one per line through a pipe against store `name`.
    func script(_ name: String, node: String = "fia-lahore", _ lines: [String], json: Bool = false) throws -> Executable.Result {
        try daftar.run(["--db", folder.file(name), "--node", node] + (json ? ["--json"] : []), input: lines.joined(separator: "\n") + "\n", environment: environment)
    }

    /// Runs one command with `-c` against store `name`.
    func command(_ name: String, _ line: String, json: Bool = false) throws -> Executable.Result {
        try daftar.run(["--db", folder.file(name), "-c", line] + (json ? ["--json"] : []), environment: environment)
    }
}
