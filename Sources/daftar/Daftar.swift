import ArgumentParser
import DaftarModel
import DaftarStore
import Foundation

@main
struct Daftar: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "daftar",
        abstract: "An offline-first register for field offices.",
        discussion: """
            With no command, opens the default store (creating it on first use) and shows what it holds.
            The default store is $DAFTAR_DB, or $XDG_DATA_HOME/daftar/register.daftar, or
            ~/.local/share/daftar/register.daftar.
            """,
        subcommands: [Status.self, Init.self, Add.self, SetCommand.self, Unset.self, Delete.self, Restore.self, Show.self, History.self, Conflicts.self, Check.self, Fork.self],
        defaultSubcommand: Status.self
    )
}

/// Options every command that works on a store takes.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: "The store file (default: $DAFTAR_DB or ~/.local/share/daftar/register.daftar).")
    var db: String?

    @Option(name: .long, help: "This office's node id, used when the store is created (default: $DAFTAR_NODE, else from the host name).")
    var node: String?

    @Option(name: .long, help: "The officer on duty, recorded with every change (default: $DAFTAR_OFFICER, else $USER).")
    var officer: String?

    var path: String {
        if let db { return db }
        let env = ProcessInfo.processInfo.environment
        if let db = env["DAFTAR_DB"], !db.isEmpty { return db }
        let base = env["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? (NSHomeDirectory() + "/.local/share")
        return base + "/daftar/register.daftar"
    }

    var officerName: String {
        let env = ProcessInfo.processInfo.environment
        return officer ?? env["DAFTAR_OFFICER"] ?? env["USER"] ?? ""
    }

    func nodeID() throws -> NodeID {
        if let node { return try NodeID(node) }
        if let node = ProcessInfo.processInfo.environment["DAFTAR_NODE"], !node.isEmpty { return try NodeID(node) }
        let host = ProcessInfo.processInfo.hostName.lowercased()
        let cleaned = String(host.map { ($0.isASCII && ($0.isLetter || $0.isNumber)) ? $0 : "-" }.prefix(Limits.nodeIDLength))
            .trimmingCharacters(in: CharacterSet(charactersIn: "-"))
        if let id = try? NodeID(cleaned) { return id }
        return try NodeID("office")
    }

    /// Opens the store, creating it (and its folder) when it does not exist yet.
    func openOrCreate() throws -> Store {
        let path = self.path
        if FileManager.default.fileExists(atPath: path) { return try Store.open(at: path) }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let store = try Store.create(at: path, node: try nodeID())
        FileHandle.standardError.write(Data("created a new store for \(store.node) at \(path)\n".utf8))
        return store
    }

    func open() throws -> Store { try Store.open(at: path) }
}

/// Reports an error as one line on standard error and exits non-zero; never a stack trace.
func fail(_ error: any Error) -> ExitCode {
    let message: String
    switch error {
    case let error as StoreError: message = error.message
    case let error as DaftarModel.ValidationError: message = error.message
    default: message = "\(error)"
    }
    FileHandle.standardError.write(Data("daftar: \(message)\n".utf8))
    return ExitCode(1)
}

/// Runs a command body, turning Daftar's errors into a clear line and exit status 1.
func run(_ body: () throws -> Void) throws {
    do { try body() } catch let error as ExitCode { throw error } catch { throw fail(error) }
}
