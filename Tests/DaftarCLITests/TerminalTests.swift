import DaftarModel
import DaftarStore
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
            process.environment = SignInFile.environment(environment)
            process.standardInput = input
            process.standardOutput = output
            process.standardError = output
            try spawn(process)
        }

        /// Types `text`; false if the program no longer reads (it has ended).
        @discardableResult
        func type(_ text: String) -> Bool {
            (try? input.fileHandleForWriting.write(contentsOf: Data(text.utf8))) != nil
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

        /// Waits until the program reads keys one by one (libedit has the terminal: canonical
        /// mode off), so that a control key typed next is the console's, not the terminal
        /// driver's; false after `timeout`.
        func waitUntilEditing(timeout: TimeInterval = 20) -> Bool { waitForLineMode(editing: true, timeout: timeout) }

        /// Waits until the program reads keys one by one (`editing`: libedit has the terminal)
        /// or line by line (a command runs, the terminal driver has the keys); false after `timeout`.
        func waitForLineMode(editing: Bool, timeout: TimeInterval = 20) -> Bool {
            let deadline = Date().addingTimeInterval(timeout)
            let me = process.processIdentifier
            while Date() < deadline {
                let children = (try? String(contentsOfFile: "/proc/\(me)/task/\(me)/children", encoding: .utf8)) ?? ""
                if let child = children.split(separator: " ").first {
                    let fd = open("/proc/\(child)/fd/0", O_RDONLY | O_NOCTTY | O_NONBLOCK)
                    if fd >= 0 {
                        var modes = termios()
                        let read = tcgetattr(fd, &modes)
                        close(fd)
                        if read == 0, (modes.c_lflag & tcflag_t(ICANON) == 0) == editing { return true }
                    }
                }
                waitFor("\u{0}", timeout: 0.02)
            }
            return false
        }

        /// The exit status once the program ends; nil if it is still running after `timeout`
        /// (then it is stopped, unless `stop` is false).
        func finish(timeout: TimeInterval = 20, stop: Bool = true) -> Int32? {
            let deadline = Date().addingTimeInterval(timeout)
            while process.isRunning, Date() < deadline {
                waitFor("\u{0}", timeout: 0.1)
            }
            if process.isRunning {
                if stop { process.terminate() }
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

    /// Starts a console on `db` in a pseudo-terminal with `extra` environment.
    func console(_ db: String, _ folder: TemporaryFolder, extra: [String: String] = [:]) throws -> PseudoTerminal {
        let daftar = try Executable("daftar")
        var env = ProcessInfo.processInfo.environment
        env["XDG_DATA_HOME"] = folder.path
        env["TERM"] = "xterm"
        // As on a machine where no locale is set: the console must not depend on one.
        env["LANG"] = nil
        env["LC_ALL"] = nil
        env["LC_CTYPE"] = nil
        for (k, v) in extra { env[k] = v }
        // `exec`: the console is the terminal's only process, so Ctrl-C reaches it alone (a shell
        // in between would take the signal too, and end with status 130 after the console).
        return try PseudoTerminal("exec \(daftar.url.path) --db \(db) --node fia-lahore --officer Rashid", environment: env)
    }

    /// The console asks the officer's passphrase at the terminal without showing it; a wrong one
    /// is refused with a message and asked again; the first officer of a new store chooses one,
    /// typed twice.
    @Test func thePassphraseIsAskedAtTheTerminal_andNeverShown() async throws {
        try await offThePool { [self] () throws -> Void in
            let folder = try TemporaryFolder()
            let db = folder.file("p.daftar")
            // No passphrase file: asked.
            let first = try console(db, folder, extra: ["DAFTAR_PASSPHRASE_FILE": ""])
            defer { if first.process.isRunning { first.process.terminate() } }
            #expect(first.waitFor("Choose a passphrase for Rashid"), "\(first.screen)")
            first.type("sindh coast 7731\r")
            #expect(first.waitFor("The same again: "), "\(first.screen)")
            first.type("sindh coast 7731\r")
            #expect(first.waitFor("fia-lahore> "), "\(first.screen)")
            #expect(first.screen.contains("officer Rashid (signed in)"))
            first.type("add incident title=first\r")
            #expect(first.waitFor("fia-lahore-1"), "\(first.screen)")
            first.type("quit\r")
            #expect(first.finish() == 0)
            #expect(!first.screen.contains("sindh coast"), "the passphrase was shown: \(first.screen)")

            let second = try console(db, folder, extra: ["DAFTAR_PASSPHRASE_FILE": ""])
            defer { if second.process.isRunning { second.process.terminate() } }
            #expect(second.waitFor("Passphrase for Rashid: "), "\(second.screen)")
            let mark = second.screen.count
            second.type("sindh coast 7732\r")
            #expect(second.waitFor("no officer Rashid with that passphrase", after: mark), "\(second.screen)")
            #expect(second.waitFor("Passphrase for Rashid: ", after: mark), "\(second.screen)")
            second.type("sindh coast 7731\r")
            #expect(second.waitFor("fia-lahore> "), "\(second.screen)")
            second.type("quit\r")
            #expect(second.finish() == 0)
            #expect(!second.screen.contains("sindh coast"), "the passphrase was shown: \(second.screen)")
        }
    }

    /// Items 1 and 3: Urdu, accented Latin and a pasted 1,000-character line typed at the prompt
    /// are stored as typed; Ctrl-C abandons a half-typed line and the session goes on; Ctrl-D
    /// on an empty line leaves with a newline.
    @Test func urduTypedAtThePrompt_andCtrlC() async throws {
        // Off the shared threads: it waits on processes, and servers of other suites run there.
        try await offThePool { [self] () throws -> Void in
            let folder = try TemporaryFolder()
            let db = folder.file("u.daftar")
            let terminal = try console(db, folder)
            defer { if terminal.process.isRunning { terminal.process.terminate() } }
            #expect(terminal.waitFor("fia-lahore> "), "\(terminal.screen)")
            terminal.type("add person name=\"محمد علی\" alias=\"José Müller\"\r")
            #expect(terminal.waitFor("fia-lahore-1"), "\(terminal.screen)")
            let long = String(repeating: "لاہور ", count: 160) + String(repeating: "x", count: 40)
            #expect(long.count == 1000)
            var mark = terminal.screen.count
            terminal.type("add note text=\"\(long)\"\r")
            // libedit redraws a long right-to-left line as it grows: on a loaded machine that takes a while.
            #expect(terminal.waitFor("fia-lahore-2\r\nfia-lahore> ", after: mark, timeout: 90), "\(terminal.screen.suffix(300))")
            // Half a line, then Ctrl-C: nothing of it runs, and the prompt comes back. Keys are
            // typed only once the console has the terminal (libedit prints the prompt a moment
            // before it takes the terminal: what is typed in that moment is the terminal
            // driver's, which echoes it and sends Ctrl-C as a signal between two reads).
            #expect(terminal.waitUntilEditing())
            mark = terminal.screen.count
            terminal.type("add person name=Half")
            #expect(terminal.waitFor("Half", after: mark))
            terminal.type("\u{03}")
            #expect(terminal.waitFor("^C", after: mark), "\(terminal.screen.suffix(200))")
            #expect(terminal.waitFor("fia-lahore> ", after: mark), "\(terminal.screen.suffix(200))")
            #expect(terminal.waitUntilEditing())
            mark = terminal.screen.count
            terminal.type("search علي\r")
            // The result's last column is the name; the prompt follows it. Ctrl-D only once the
            // prompt is back (typed ahead, while the command runs, the terminal is not in the
            // console's hands).
            #expect(terminal.waitFor("محمد علی\r\nfia-lahore> ", after: mark), "\(terminal.screen.suffix(300))")
            terminal.type("quit\r")
            #expect(terminal.finish() == 0, "\(terminal.screen.suffix(400).debugDescription)")
            let store = try Store.open(at: db)
            let first = try #require(try store.record(try RecordID("fia-lahore-1")))
            #expect(first.values[try FieldName("name")] == .text("محمد علی"))
            #expect(first.values[try FieldName("alias")] == .text("José Müller"))
            let second = try #require(try store.record(try RecordID("fia-lahore-2")))
            #expect(second.values[try FieldName("text")] == .text(long.precomposedStringWithCanonicalMapping))
            #expect(try store.count(Query()) == 2, "the half-typed line must not have run")
        }
    }

    /// Ctrl-C while a command runs (a sync waiting on a server that never answers) does not end
    /// the session at once: it says that a second Ctrl-C leaves, and the second leaves with 130.
    @Test func ctrlCWhileACommandRuns() async throws {
        // Off the shared threads: it waits on processes, and servers of other suites run there.
        try await offThePool { [self] () throws -> Void in
            let folder = try TemporaryFolder()
            let db = folder.file("c.daftar")
            // A loopback port that takes connections and never answers.
            let (listener, port) = boundLoopbackSocket()
            defer { close(listener) }
            #expect(listen(listener, 4) == 0)
            let daftar = try Executable("daftar")
            let added = try daftar.run(
                ["remote", "add", "central", "http://127.0.0.1:\(port)", "--token", "t", "--db", db, "--node", "fia-lahore"],
                environment: ["XDG_DATA_HOME": folder.path])
            #expect(added.status == 0, "\(added.err)")
            let terminal = try console(db, folder)
            defer { if terminal.process.isRunning { terminal.process.terminate() } }
            #expect(terminal.waitFor("fia-lahore> "))
            #expect(terminal.waitUntilEditing())
            let mark = terminal.screen.count
            terminal.type("sync\r")
            // The line is read and the command runs: the terminal is back in line mode.
            #expect(terminal.waitForLineMode(editing: false))
            terminal.type("\u{03}")
            #expect(terminal.waitFor("Ctrl-C again leaves Daftar", after: mark), "\(terminal.screen.suffix(300))")
            #expect(terminal.process.isRunning)
            terminal.type("\u{03}")
            #expect(terminal.finish() == 130, "\(terminal.screen.suffix(300).debugDescription)")
        }
    }

    /// Ctrl-D on an empty line leaves, with a newline after the prompt.
    @Test func ctrlDOnAnEmptyLineLeaves() async throws {
        // Off the shared threads: it waits on processes, and servers of other suites run there.
        try await offThePool { [self] () throws -> Void in
            let folder = try TemporaryFolder()
            let terminal = try console(folder.file("d.daftar"), folder)
            defer { if terminal.process.isRunning { terminal.process.terminate() } }
            #expect(terminal.waitFor("fia-lahore> "))
            // libedit prints the prompt a moment before it takes the terminal: a Ctrl-D typed in
            // that moment would be the terminal driver's.
            #expect(terminal.waitUntilEditing())
            terminal.type("\u{04}")
            let finished = terminal.finish()
            #expect(finished == 0, "\(terminal.screen.suffix(300).debugDescription)")
            #expect(terminal.screen.unicodeScalars.last == "\n", "\(terminal.screen.suffix(100).debugDescription)")
        }
    }

    /// Items 5, 9 and 14: tables fit the terminal (show wraps a long value whole), completion
    /// offers the kind's own fields, and a result taller than the terminal goes through the pager.
    @Test func widthCompletionAndPager() async throws {
        // Off the shared threads: it waits on processes, and servers of other suites run there.
        try await offThePool { [self] () throws -> Void in
            let folder = try TemporaryFolder()
            let db = folder.file("w.daftar")
            let pager = folder.file("pager.sh")
            try "#!/bin/sh\nsed 's/^/PAGED: /'\n".write(toFile: pager, atomically: true, encoding: .utf8)
            chmod(pager, 0o755)
            let terminal = try console(db, folder, extra: ["COLUMNS": "60", "LINES": "10", "PAGER": pager])
            defer { if terminal.process.isRunning { terminal.process.terminate() } }
            #expect(terminal.waitFor("fia-lahore> "))
            let words = (1...30).map { "word\($0)" }.joined(separator: " ")
            terminal.type("add vehicle plate=LEA-1 colour=white\r")
            terminal.type("add person name=Ali note=\"\(words)\"\r")
            #expect(terminal.waitFor("fia-lahore-2"))
            var mark = terminal.screen.count
            terminal.type("show fia-lahore-2\r")
            #expect(terminal.waitFor("vector", after: mark), "\(terminal.screen.suffix(600))")
            let shown = String(terminal.screen.dropFirst(mark)).replacingOccurrences(of: "\r", with: "").replacingOccurrences(of: "PAGED: ", with: "")
            for line in shown.split(separator: "\n") where !line.contains("fia-lahore> ") {
                #expect(line.count <= 60, "wider than the terminal: \(line)")
            }
            // Every word of the value is shown, none cut.
            for i in 1...30 { #expect(shown.contains("word\(i)"), "word\(i) missing: \(shown)") }
            // Completion: the fields of persons, not of vehicles.
            mark = terminal.screen.count
            terminal.type("add person \t\t")
            #expect(terminal.waitFor("note", after: mark), "\(terminal.screen.suffix(300))")
            #expect(!terminal.screen.dropFirst(mark).contains("colour"))
            terminal.type("\u{15}")  // Ctrl-U: the line is emptied
            // Taller than 10 rows: through the pager.
            for i in 1...12 { terminal.type("add case n=\(i)\r") }
            #expect(terminal.waitFor("fia-lahore-14"))
            mark = terminal.screen.count
            terminal.type("find case\r")
            #expect(terminal.waitFor("PAGED: fia-lahore-14", after: mark), "\(terminal.screen.suffix(400))")
            mark = terminal.screen.count
            terminal.type("pager off\r")
            terminal.type("find case\r")
            #expect(terminal.waitFor("fia-lahore-14", after: mark))
            #expect(!terminal.screen.dropFirst(mark).contains("PAGED"))
            terminal.type("quit\r")
            #expect(terminal.finish() == 0)
        }
    }
}
