import ArgumentParser
import DaftarClient
import DaftarModel
import DaftarREPL
import DaftarStore
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

@main
struct Daftar: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "daftar",
        abstract: "An offline-first register for field offices.",
        discussion: """
            With no command, opens the console on the store (created on first use). In a terminal it has
            line editing, history and tab completion; from a pipe it reads one command per line with no
            prompt, and exits non-zero if any command failed. Type `help` in the console for the commands.

            The default store is $DAFTAR_DB, else $XDG_DATA_HOME/daftar/register.daftar, else
            ~/.local/share/daftar/register.daftar.
            """,
        subcommands: [Serve.self, NodeCommand.self, RemoteCommand.self, SyncCommand.self, BackupCommand.self, RestoreCommand.self, KeyCommand.self, OfficerCommand.self, AuditCommand.self]
    )

    @OptionGroup var store: StoreOptions

    @Option(name: .customShort("c"), help: "Run one console command and exit, for example: daftar -c 'find person where city = Lahore'")
    var command: String?

    @OptionGroup var output: OutputOptions
    var json: Bool { output.json }

    /// `daftar --json SUBCOMMAND ...` means the subcommand's --json: the flag is moved after the
    /// subcommand's name, where the subcommand reads it.
    static func main() async {
        var arguments = Array(CommandLine.arguments.dropFirst())
        let names = Set(configuration.subcommands.map { $0._commandName })
        if let sub = arguments.firstIndex(where: { names.contains($0) }), let flag = arguments[..<sub].firstIndex(of: "--json") {
            arguments.remove(at: flag)
            arguments.insert("--json", at: sub)
        }
        do {
            var command = try parseAsRoot(arguments)
            if var asynchronous = command as? any AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }

    func run() async throws {
        try runConsole()
    }

    func runConsole() throws {
        let interactive = command == nil && isatty(STDIN_FILENO) == 1
        let opened: Store
        do { opened = try store.openOrCreate(askIfMissing: interactive) } catch { throw fail(error) }
        let officer: SignedIn
        // At a terminal the passphrase is asked, for `-c` too; piped, it comes from the file.
        do { officer = try store.signIn(opened, interactive: isatty(STDIN_FILENO) == 1) } catch { throw fail(error, json: json) }
        let session = Session(store: opened, officer: officer.name, json: json)
        session.administrator = officer.administrator
        // `source FILE` shows each command's result as it comes.
        session.printer = { emit($0) }
        session.terminalWidth = Terminal.size()?.columns
        if let command {
            let output = session.run(command)
            emit(output)
            if !output.ok { throw ExitCode(1) }
            return
        }
        if interactive {
            console(session)
        } else {
            var failed = false
            var number = 0
            while let line = readLine(strippingNewline: true) {
                number += 1
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
                var output = session.run(line)
                // Which input line failed, so that a long script can be fixed.
                if let error = output.error { output.error = "line \(number): \(error)" }
                emit(output)
                failed = failed || !output.ok
                if output.quit { break }
            }
            if failed { throw ExitCode(1) }
        }
    }

    /// The interactive console: banner, prompt, editing, completion.
    func console(_ session: Session) {
        let s = session.store
        let entries = (try? s.count(Query())) ?? 0
        print("Daftar — \(s.node), officer \(session.officer) (signed in), \(entries) entries. Type help, or quit.")
        try? FileManager.default.createDirectory(atPath: StoreOptions.dataFolder, withIntermediateDirectories: true)
        // Completion reads the store as it is at each Tab, not as it was when the session began.
        let source = Completion.Source(
            kinds: { (try? s.kinds().map(\.rawValue)) ?? [] },
            fields: { kind in
                if let kind, let k = try? Kind(kind) { return (try? s.fieldNames(of: k).map(\.rawValue)) ?? [] }
                return (try? s.fieldNames().map(\.rawValue)) ?? []
            },
            ids: { prefix in (try? s.ids(startingWith: prefix)) ?? [] },
            kindOf: { id in (try? s.resolveID(id)).flatMap { try? s.record($0) }?.kind.rawValue },
            remotes: { (try? s.remotes().map(\.name)) ?? [] })
        let editor = LineEditor(historyPath: store.historyPath) { line, word in
            Completion.candidates(line: line, word: word, source: source)
        }
        while let line = editor.readLine(prompt: "\(s.node)> ") {
            let size = Terminal.size()
            session.terminalWidth = size?.columns
            let output = session.run(line)
            if session.pager, let size, output.error == nil, output.text.count > size.rows,
                output.text.reduce(into: 0, { n, c in if c == "\n" { n += 1 } }) >= size.rows - 1, Terminal.page(output.text)
            {
                if output.quit { break }
                continue
            }
            emit(output)
            if output.quit { break }
        }
        if !editor.isEditing { print("") }
    }
}

/// The terminal the console runs in.
enum Terminal {
    /// Columns and rows of the terminal on standard output; nil when it is not one.
    /// A terminal that does not know its size (a serial console) goes by $COLUMNS and $LINES.
    static func size() -> (columns: Int, rows: Int)? {
        guard isatty(STDOUT_FILENO) == 1 else { return nil }
        var size = winsize()
        if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return (Int(size.ws_col), Int(size.ws_row)) }
        let environment = ProcessInfo.processInfo.environment
        guard let columns = environment["COLUMNS"].flatMap({ Int($0) }), columns > 0 else { return nil }
        return (columns, environment["LINES"].flatMap { Int($0) } ?? 24)
    }

    /// Shows `text` through the pager ($PAGER, else `less -S`); false when there is none to run
    /// (then the caller prints it). Ctrl-C belongs to the pager while it runs.
    static func page(_ text: String) -> Bool {
        let environment = ProcessInfo.processInfo.environment
        let command = environment["PAGER"] ?? "less -S"
        guard !command.trimmingCharacters(in: .whitespaces).isEmpty else { return false }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        var env = environment
        if env["LESS"] == nil { env["LESS"] = "-FRX" }  // leave at once when it fits; keep what was shown
        process.environment = env
        let pipe = Pipe()
        process.standardInput = pipe
        // Ctrl-C is the pager's while it runs.
        return Interrupt.ignored {
            // A pager left before the end (`q` on the first screen), or one that never started,
            // closes the pipe: the write fails, it must not stop the console.
            let previousPipe = signal(SIGPIPE, SIG_IGN)
            defer { signal(SIGPIPE, previousPipe) }
            do { try process.run() } catch { return false }
            try? pipe.fileHandleForWriting.write(contentsOf: Data((text + "\n").utf8))
            try? pipe.fileHandleForWriting.close()
            process.waitUntilExit()
            // A pager that could not start (`sh: less: not found`) has shown nothing.
            return process.terminationStatus != 127
        }
    }
}

func emit(_ output: Session.Output) {
    // Written straight to the file descriptors, unbuffered, so that output and errors keep
    // their order in a terminal and in a pipe.
    if !output.text.isEmpty { FileHandle.standardOutput.write(Data((output.text + "\n").utf8)) }
    if let error = output.error { FileHandle.standardError.write(Data("error: \(error)\n".utf8)) }
}

/// Asks at the terminal until `problem` finds nothing wrong; nil at end of input.
/// Reads a line from the terminal without showing it (a passphrase); nil at end of input.
func readSecret(_ prompt: String) -> String? {
    // Echo off before the prompt is shown, so that nothing typed after it is ever echoed.
    let isTerminal = tcgetattr(STDIN_FILENO, &echoSaved) == 0
    if isTerminal {
        var quiet = echoSaved
        quiet.c_lflag &= ~tcflag_t(ECHO)
        // Ctrl-C while the passphrase is asked: the echo comes back, then the process ends.
        signal(SIGINT) { _ in
            tcsetattr(STDIN_FILENO, TCSANOW, &echoSaved)
            _exit(130)
        }
        tcsetattr(STDIN_FILENO, TCSANOW, &quiet)
    }
    defer {
        if isTerminal {
            tcsetattr(STDIN_FILENO, TCSANOW, &echoSaved)
            signal(SIGINT, SIG_DFL)
            FileHandle.standardError.write(Data("\n".utf8))
        }
    }
    // On the error stream: standard output may be a JSON document.
    FileHandle.standardError.write(Data(prompt.utf8))
    return readLine(strippingNewline: true)
}

/// The terminal's settings while a passphrase is read, for the Ctrl-C handler to put back.
nonisolated(unsafe) var echoSaved = termios()

func ask(_ prompt: String, default fallback: String? = nil, problem: (String) -> String?) -> String? {
    while true {
        FileHandle.standardOutput.write(Data(prompt.utf8))
        guard let line = readLine(strippingNewline: true) else { return nil }
        var answer = line.trimmingCharacters(in: .whitespaces)
        if answer.isEmpty, let fallback { answer = fallback }
        if let why = problem(answer) {
            print(why)
            continue
        }
        return answer
    }
}

/// How results are printed; every command takes it.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print results as JSON documents, one per result (a command's summary as one document).")
    var json = false
}

/// Where the store is, for commands that only read or copy the file.
struct StorePath: ParsableArguments {
    @Option(name: .long, help: "The store file (default: $DAFTAR_DB, else ~/.local/share/daftar/register.daftar).")
    var db: String?

    var path: String { StoreOptions.path(db: db) }
}

/// Options every use of a store takes.
struct StoreOptions: ParsableArguments {
    @OptionGroup var location: StorePath
    var db: String? { location.db }

    @Option(name: .long, help: "This office's node id, used when the store is created (default: $DAFTAR_NODE, else asked).")
    var node: String?

    @Option(name: .long, help: "The officer who signs in, recorded with every change (default: $DAFTAR_OFFICER, else asked at a terminal).")
    var officer: String?

    @Option(
        name: .customLong("passphrase-file"),
        help: "For scripts: a file whose first line is the officer's passphrase (default: $DAFTAR_PASSPHRASE_FILE; at a terminal the passphrase is asked, not shown).")
    var passphraseFile: String?

    @Option(name: .long, help: "Where this office records new entries until its grant names a scope (used when the store is created; default general).")
    var scope: String?

    static var dataFolder: String {
        let env = ProcessInfo.processInfo.environment
        let base = env["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? (NSHomeDirectory() + "/.local/share")
        return base + "/daftar"
    }

    var path: String { Self.path(db: db) }

    static func path(db: String?) -> String {
        if let db { return db }
        if let db = ProcessInfo.processInfo.environment["DAFTAR_DB"], !db.isEmpty { return db }
        return dataFolder + "/register.daftar"
    }

    var historyPath: String { Self.dataFolder + "/history" }

    var officerName: String {
        let env = ProcessInfo.processInfo.environment
        return (officer ?? env["DAFTAR_OFFICER"] ?? "").trimmingCharacters(in: .whitespaces)
    }

    /// The passphrase file given, if any.
    var passphrasePath: String? {
        passphraseFile ?? ProcessInfo.processInfo.environment["DAFTAR_PASSPHRASE_FILE"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The first line of the passphrase file, which others than its owner may not read.
    func passphraseFromFile(_ path: String) throws -> String {
        var info = stat()
        guard stat(path, &info) == 0, let data = FileManager.default.contents(atPath: path) else {
            throw StoreError(.badRequest, "cannot read the passphrase file \(path): check the path and its permissions")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw StoreError(
                .badRequest,
                "the passphrase file \(path) may be read by others (mode \(String(info.st_mode & 0o777, radix: 8))): make it readable by its owner alone (chmod 600 \(path))")
        }
        let text = String(decoding: data, as: UTF8.self)
        return String(text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? "").trimmingCharacters(in: CharacterSet(charactersIn: "\r"))
    }

    /// Signs an officer in (DESIGN promise 18): the name from --officer or $DAFTAR_OFFICER (asked
    /// at a terminal), the passphrase from --passphrase-file or $DAFTAR_PASSPHRASE_FILE (asked at
    /// a terminal, not shown). A store with no officer yet makes this one its administrator.
    /// `administrator`: only the administrator may go on.
    func signIn(_ store: Store, interactive: Bool, administrator: Bool = false) throws -> SignedIn {
        var name = officerName
        let first = try !store.hasOfficers()
        if name.isEmpty, interactive {
            name = ask(first ? "This office has no officers yet. Your name, as its administrator: " : "Officer: ") { $0.isEmpty ? "a name is needed" : nil } ?? ""
        }
        guard !name.isEmpty else {
            throw StoreError(.signInFailed, "sign in: give the officer's name with --officer NAME (or $DAFTAR_OFFICER) and the passphrase with --passphrase-file FILE")
        }
        if first {
            let passphrase: String
            if let path = passphrasePath {
                passphrase = try passphraseFromFile(path)
            } else if interactive {
                passphrase = try choosePassphrase(for: name)
            } else {
                throw StoreError(
                    .signInFailed,
                    "this store has no officers yet: its first officer, \(name), becomes its administrator; give their passphrase with --passphrase-file FILE (at least \(Store.minimumPassphrase) characters)")
            }
            let signedIn = try store.addOfficer(name, passphrase: passphrase, by: nil)
            FileHandle.standardError.write(Data("\(signedIn.name) is this office's administrator: add other officers with daftar officer add NAME\n".utf8))
            return signedIn
        }
        var tries = 0
        while true {
            tries += 1
            let passphrase: String
            if let path = passphrasePath {
                passphrase = try passphraseFromFile(path)
            } else if interactive {
                guard let typed = readSecret("Passphrase for \(name): ") else { throw StoreError(.signInFailed, "sign-in cancelled") }
                passphrase = typed
            } else {
                throw StoreError(.signInFailed, "sign in: give \(name)'s passphrase with --passphrase-file FILE (or $DAFTAR_PASSPHRASE_FILE)")
            }
            do {
                let signedIn = try store.signIn(name, passphrase: passphrase)
                if administrator, !signedIn.administrator {
                    // Not a failed sign-in: asking the passphrase again would not help.
                    throw StoreError(.badRequest, "\(signedIn.name) is not this office's administrator: only the administrator may do this; sign in as the administrator (--officer NAME)")
                }
                return signedIn
            } catch {
                // At a terminal, three tries.
                guard interactive, passphrasePath == nil, tries < 3, let refused = error as? StoreError, refused.code == .signInFailed else { throw error }
                FileHandle.standardError.write(Data((refused.message + "\n").utf8))
            }
        }
    }

    /// Opens the store (creating it with `create`) and signs its administrator in: registering
    /// nodes and writing grants are the administrator's.
    func openAsAdministrator(create: Bool = false) throws -> (Store, SignedIn) {
        let s = create ? try openOrCreate(askIfMissing: false) : try open()
        return (s, try signIn(s, interactive: isatty(STDIN_FILENO) == 1, administrator: true))
    }

    /// Asks a new passphrase twice, not shown.
    func choosePassphrase(for name: String) throws -> String {
        while true {
            guard let first = readSecret("Choose a passphrase for \(name) (at least \(Store.minimumPassphrase) characters, not shown): ") else {
                throw StoreError(.signInFailed, "cancelled: no passphrase was chosen")
            }
            guard first.count >= Store.minimumPassphrase else {
                FileHandle.standardError.write(Data("That is \(first.count) characters; a passphrase has at least \(Store.minimumPassphrase).\n".utf8))
                continue
            }
            guard let again = readSecret("The same again: ") else { throw StoreError(.signInFailed, "cancelled: no passphrase was chosen") }
            if again == first { return first }
            FileHandle.standardError.write(Data("The two differ; once more.\n".utf8))
        }
    }

    /// Opens an existing store.
    func open() throws -> Store { try Store.open(at: path) }

    /// Opens the store, creating it (and its folder) when it does not exist yet; the node id
    /// comes from --node or $DAFTAR_NODE, or is asked for at a terminal.
    func openOrCreate(askIfMissing: Bool, onBackgroundError: (@Sendable (String) -> Void)? = nil) throws -> Store {
        let path = self.path
        let options = Store.Options(onBackgroundError: onBackgroundError)
        if FileManager.default.fileExists(atPath: path) { return try Store.open(at: path, options: options) }
        var chosen = node ?? ProcessInfo.processInfo.environment["DAFTAR_NODE"].flatMap { $0.isEmpty ? nil : $0 }
        if chosen == nil, askIfMissing {
            print("No store at \(path) yet; creating one.")
            chosen = ask("This office's node id (for example fia-lahore): ") { answer in
                (try? NodeID(answer)) == nil ? "'\(answer)' is not a node id: use a-z, 0-9 and '-', for example fia-lahore" : nil
            }
        }
        guard let chosen else {
            throw StoreError(.noStore, "no store at \(path): give --node ID (for example --node fia-lahore) to create one, or --db PATH to open another")
        }
        let id = try NodeID(chosen)
        let defaultScope = try scope.map { try Scope($0) }
        if defaultScope == .registry {
            throw ValidationError(.invalidScope, "--scope registry: the registry is the reserved scope every node holds; entries go in another scope")
        }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let store = try Store.create(at: path, node: id, options: options)
        if let defaultScope { try store.setDefaultScope(defaultScope) }
        FileHandle.standardError.write(Data("created a new store for \(store.node) at \(path)\n".utf8))
        return store
    }
}

/// Reports an error as one line on standard error and gives exit status 1; never a stack trace.
/// With `json`, standard output also gets `{"error": CODE, "message": ...}`.
func fail(_ error: any Error, json: Bool = false) -> ExitCode {
    let message: String
    var code = "error"
    switch error {
    case let error as StoreError:
        message = error.message
        code = error.code.rawValue
    case let error as DaftarModel.ValidationError:
        message = error.message
        code = error.code.rawValue
    case let error as SyncError:
        message = error.message
        code = error.code.rawValue
    default: message = "\(error)"
    }
    if json { FileHandle.standardOutput.write(Data((encodeJSON(["error": code, "message": message]) + "\n").utf8)) }
    FileHandle.standardError.write(Data("error: \(message)\n".utf8))
    return ExitCode(1)
}

/// One JSON document on one line, keys sorted.
func encodeJSON<T: Encodable>(_ value: T) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    guard let data = try? encoder.encode(value) else { return "{}" }
    return String(decoding: data, as: UTF8.self)
}

/// Prints a command's result: text, or with `json` one JSON document.
func say<T: Encodable>(_ text: @autoclosure () -> String, json: Bool, _ document: @autoclosure () -> T) {
    print(json ? encodeJSON(document()) : text())
}
