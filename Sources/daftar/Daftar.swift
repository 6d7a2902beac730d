import ArgumentParser
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
        subcommands: [Serve.self, NodeCommand.self, RemoteCommand.self, SyncCommand.self, BackupCommand.self, RestoreCommand.self]
    )

    @OptionGroup var store: StoreOptions

    @Option(name: .customShort("c"), help: "Run one console command and exit, for example: daftar -c 'find person where city = Lahore'")
    var command: String?

    @Flag(help: "Print results as JSON documents, one per result.")
    var json = false

    func run() async throws {
        try runConsole()
    }

    func runConsole() throws {
        let interactive = command == nil && isatty(STDIN_FILENO) == 1
        let opened: Store
        do { opened = try store.openOrCreate(askIfMissing: interactive) } catch { throw fail(error) }
        var officer = store.officerName
        if officer.isEmpty, interactive {
            officer = ask("Officer on duty (your name, recorded with every change): ") { $0.isEmpty ? "a name is needed" : nil } ?? ""
        }
        let session = Session(store: opened, officer: officer, json: json)
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
            while let line = readLine(strippingNewline: true) {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
                let output = session.run(line)
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
        print("Daftar — \(s.node), officer \(session.officer.isEmpty ? "(none: give --officer)" : session.officer), \(entries) entries. Type help, or quit.")
        let kinds = (try? s.kinds().map(\.rawValue)) ?? []
        let fields = (try? s.fieldNames().map(\.rawValue)) ?? []
        try? FileManager.default.createDirectory(atPath: StoreOptions.dataFolder, withIntermediateDirectories: true)
        let editor = LineEditor(historyPath: store.historyPath) { line, word in
            Completion.candidates(line: line, word: word, kinds: kinds, fields: fields)
        }
        while let line = editor.readLine(prompt: "\(s.node)> ") {
            let output = session.run(line)
            emit(output)
            if output.quit { break }
        }
        if !editor.isEditing { print("") }
    }
}

func emit(_ output: Session.Output) {
    // Written straight to the file descriptors, unbuffered, so that output and errors keep
    // their order in a terminal and in a pipe.
    if !output.text.isEmpty { FileHandle.standardOutput.write(Data((output.text + "\n").utf8)) }
    if let error = output.error { FileHandle.standardError.write(Data("error: \(error)\n".utf8)) }
}

/// Asks at the terminal until `problem` finds nothing wrong; nil at end of input.
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

/// Options every use of a store takes.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: "The store file (default: $DAFTAR_DB, else ~/.local/share/daftar/register.daftar).")
    var db: String?

    @Option(name: .long, help: "This office's node id, used when the store is created (default: $DAFTAR_NODE, else asked).")
    var node: String?

    @Option(name: .long, help: "The officer on duty, recorded with every change (default: $DAFTAR_OFFICER, else $USER).")
    var officer: String?

    static var dataFolder: String {
        let env = ProcessInfo.processInfo.environment
        let base = env["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? (NSHomeDirectory() + "/.local/share")
        return base + "/daftar"
    }

    var path: String {
        if let db { return db }
        if let db = ProcessInfo.processInfo.environment["DAFTAR_DB"], !db.isEmpty { return db }
        return Self.dataFolder + "/register.daftar"
    }

    var historyPath: String { Self.dataFolder + "/history" }

    var officerName: String {
        let env = ProcessInfo.processInfo.environment
        return (officer ?? env["DAFTAR_OFFICER"] ?? env["USER"] ?? "").trimmingCharacters(in: .whitespaces)
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
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let store = try Store.create(at: path, node: id, options: options)
        FileHandle.standardError.write(Data("created a new store for \(store.node) at \(path)\n".utf8))
        return store
    }
}

/// Reports an error as one line on standard error and gives exit status 1; never a stack trace.
func fail(_ error: any Error) -> ExitCode {
    let message: String
    switch error {
    case let error as StoreError: message = error.message
    case let error as DaftarModel.ValidationError: message = error.message
    default: message = "\(error)"
    }
    FileHandle.standardError.write(Data("error: \(message)\n".utf8))
    return ExitCode(1)
}
