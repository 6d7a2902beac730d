@_exported import DaftarTesting
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Runs one of the package's built executables, as a person or a script would.
struct Executable: Sendable {
    let url: URL

    /// The built product `name`, next to the test bundle.
    init(_ name: String) throws {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        let candidates = [bundle.appendingPathComponent(name), bundle.deletingLastPathComponent().appendingPathComponent(name)]
        url = try #require(candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }, "build the package first: \(name) not found beside \(bundle.path)")
    }

    /// A system program at `path` (`/bin/mount`), started the same way.
    init(path: String) { url = URL(fileURLWithPath: path) }

    struct Result: Sendable {
        var status: Int32
        var out: String
        var err: String
    }

    /// Runs with `arguments`, feeding `input` to standard input; gives up after `timeout`.
    ///
    /// Started with posix_spawn rather than Foundation's Process, which crashed (in its copying
    /// of the arguments and environment) when hundreds of processes were started from several
    /// test threads; standard input comes from a file, standard output and error go to files.
    func run(_ arguments: [String], input: String = "", environment: [String: String] = [:], timeout: TimeInterval = 60) throws -> Result {
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "DAFTAR_DB")
        for (k, v) in environment { env[k] = v }
        env = SignInFile.environment(env)
        let base = NSTemporaryDirectory() + "daftar-run-\(UUID().uuidString)"
        let (inPath, outPath, errPath) = (base + ".in", base + ".out", base + ".err")
        FileManager.default.createFile(atPath: inPath, contents: Data(input.utf8))
        defer { for path in [inPath, outPath, errPath] { try? FileManager.default.removeItem(atPath: path) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, inPath, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        // Other tests' pipes stay out of the child, so their readers still see the end.
        Self.closeFrom?(&actions, 3)
        let argv = ([url.path] + arguments).map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for p in argv + envp { free(p) } }
        var pid: pid_t = 0
        let spawned = whileSpawning { posix_spawn(&pid, url.path, &actions, nil, argv, envp) }
        guard spawned == 0 else { throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EIO) }
        var status: Int32 = 0
        let deadline = Date().addingTimeInterval(timeout)
        while waitpid(pid, &status, WNOHANG) == 0 {
            if Date() > deadline {
                kill(pid, SIGTERM)
                _ = waitpid(pid, &status, 0)
                Issue.record("\(url.lastPathComponent) \(arguments) did not finish within \(timeout) s")
                break
            }
            Thread.sleep(forTimeInterval: 0.005)
        }
        // Exit status, or 128 + the signal that ended it, as a shell reports it.
        let signal = status & 0x7F
        let code = signal == 0 ? (status >> 8) & 0xFF : 128 + signal
        let outData = FileManager.default.contents(atPath: outPath) ?? Data()
        let errData = FileManager.default.contents(atPath: errPath) ?? Data()
        return Result(status: code, out: String(decoding: outData, as: UTF8.self), err: String(decoding: errData, as: UTF8.self))
    }

    /// glibc's posix_spawn_file_actions_addclosefrom_np (2.34 and later), found at run time.
    nonisolated(unsafe) static let closeFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
    }()
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

/// A TCP socket bound to a free loopback port, not yet listening (connections to it are refused
/// until `listen`), and the port. The caller closes it.
func boundLoopbackSocket() -> (socket: Int32, port: Int) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
    _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
    return (fd, Int(UInt16(bigEndian: address.sin_port)))
}
