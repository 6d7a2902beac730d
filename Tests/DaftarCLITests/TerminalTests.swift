import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// One console session through a pseudo-terminal, as an officer at the keyboard: the banner and
/// prompt, a command, tab completion, the up arrow recalling history, and history kept on disk.
@Suite struct TerminalTests {
    /// A program run in a pseudo-terminal by util-linux `script`: what the test types arrives
    /// at the program as keystrokes at a terminal, and the screen comes back.
    final class PseudoTerminal {
        let process = Process()
        let input = Pipe()
        let output = Pipe()
        var screen = ""

        init(_ command: String, environment: [String: String]) throws {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
            process.arguments = ["-qfec", command, "/dev/null"]
            process.environment = environment
            process.standardInput = input
            process.standardOutput = output
            process.standardError = output
            try spawn(process)
        }

        func type(_ text: String) {
            input.fileHandleForWriting.write(Data(text.utf8))
        }

        /// Reads until the screen holds `text` (counting from `after` characters in), or the time is up.
        @discardableResult
        func waitFor(_ text: String, after start: Int = 0, timeout: TimeInterval = 20) -> Bool {
            let fd = output.fileHandleForReading.fileDescriptor
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                if screen.count > start, screen.dropFirst(start).contains(text) { return true }
                var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                if poll(&pfd, 1, 100) > 0 {
                    var buffer = [UInt8](repeating: 0, count: 4096)
                    let n = read(fd, &buffer, buffer.count)
                    if n <= 0 { break }
                    screen += String(decoding: buffer[0..<n], as: UTF8.self)
                }
            }
            return screen.count > start && screen.dropFirst(start).contains(text)
        }

        func finish(timeout: TimeInterval = 20) -> Int32? {
            let deadline = Date().addingTimeInterval(timeout)
            while process.isRunning, Date() < deadline {
                waitFor("\u{0}", timeout: 0.1)
            }
            if process.isRunning {
                process.terminate()
                return nil
            }
            return process.terminationStatus
        }
    }

    struct CommandError: Error { let message: String; init(_ m: String) { message = m } }

    @Test func promptEditingCompletionAndHistory() throws {
        let daftar = try Executable("daftar")
        let folder = try TemporaryFolder()
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else {
            Issue.record("util-linux `script` is needed to drive a terminal session")
            return
        }
        var env = ProcessInfo.processInfo.environment
        env["XDG_DATA_HOME"] = folder.path
        env["TERM"] = "xterm"
        let terminal = try PseudoTerminal(
            "\(daftar.url.path) --db \(folder.file("t.daftar")) --node fia-lahore --officer Rashid", environment: env)
        defer { if terminal.process.isRunning { terminal.process.terminate() } }

        #expect(terminal.waitFor("Daftar — fia-lahore"), "\(terminal.screen)")
        #expect(terminal.waitFor("fia-lahore> "), "no prompt: \(terminal.screen)")
        terminal.type("add incident title=\"Raid on call centre\" city=Lahore\r")
        #expect(terminal.waitFor("fia-lahore-1"), "\(terminal.screen)")

        // Tab completes a command name.
        var mark = terminal.screen.count
        terminal.type("conf\t")  // `conf` alone is no command: only completion makes it one
        #expect(terminal.waitFor("licts", after: mark), "no completion: \(terminal.screen)")
        terminal.type("\r")
        #expect(terminal.waitFor("no conflicts", after: mark), "\(terminal.screen)")
        mark = terminal.screen.count
        terminal.type("history fia-lahore-1\r")
        #expect(terminal.waitFor("Raid on call centre", after: mark), "\(terminal.screen)")

        // The up arrow brings back the last line; Enter runs it again.
        mark = terminal.screen.count
        terminal.type("\u{1B}[A")
        #expect(terminal.waitFor("fia-lahore-1", after: mark), "no history recall: \(terminal.screen)")
        terminal.type("\r")
        #expect(terminal.waitFor("Rashid", after: mark))

        // Editing: type, move left, insert, run.
        mark = terminal.screen.count
        terminal.type("count incdent\u{1B}[D\u{1B}[D\u{1B}[D\u{1B}[Di\r")
        #expect(terminal.waitFor("\n1", after: mark) || terminal.waitFor("\r\n1", after: mark), "\(terminal.screen)")

        // A bad command: one line, the session goes on.
        mark = terminal.screen.count
        terminal.type("bogus\r")
        #expect(terminal.waitFor("unknown command 'bogus'", after: mark))
        #expect(terminal.waitFor("fia-lahore> ", after: mark))

        terminal.type("quit\r")
        #expect(terminal.finish() == 0)
        let history = try String(contentsOfFile: folder.file("daftar/history"), encoding: .utf8)
        #expect(history.contains("fia-lahore-1"))

        // History survives: in a new session the up arrow brings back the last session's `quit`.
        let again = try PseudoTerminal(
            "\(daftar.url.path) --db \(folder.file("t.daftar")) --officer Rashid", environment: env)
        defer { if again.process.isRunning { again.process.terminate() } }
        #expect(again.waitFor("fia-lahore> "))
        mark = again.screen.count
        again.type("\u{1B}[A")
        #expect(again.waitFor("quit", after: mark), "\(again.screen)")
        again.type("\r")
        #expect(again.finish() == 0)
    }
}
