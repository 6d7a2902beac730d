import ArgumentParser
import DaftarModel
import DaftarStore
import Foundation

struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup", abstract: "Write a consistent copy of the store, while it stays in use.")
    @OptionGroup var location: StorePath
    @Argument(help: "The new backup file.") var path: String
    @OptionGroup var output: OutputOptions
    var json: Bool { output.json }

    func run() throws {
        do {
            try Store.open(at: location.path).backup(to: path)
            say("backed up \(location.path) to \(path)", json: json, ["store": location.path, "backup": path])
        } catch { throw fail(error, json: json) }
    }
}

struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore", abstract: "Bring a backup back as a new store under a new node id.",
        discussion:
            "The new id keeps the restored store from reusing seqs its old identity used after the backup; the old identity's later changes come back by sync. Register the new id at the servers this office syncs with."
    )
    @OptionGroup var location: StorePath
    @Argument(help: "The backup file.") var backup: String
    @Option(name: .customLong("as"), help: "The new node id, never used before, for example fia-lahore-2.") var newNode: String
    @OptionGroup var output: OutputOptions
    var json: Bool { output.json }

    func run() throws {
        do {
            guard FileManager.default.fileExists(atPath: backup) else {
                throw StoreError(.noStore, "no backup file at \(backup): check the path (a backup is made with daftar backup FILE)")
            }
            let restored = try Store.restore(backup: backup, to: location.path, as: try NodeID(newNode))
            say(
                "restored \(backup) to \(location.path) as \(restored.node); register \(restored.node) at the servers it syncs with (daftar node add \(restored.node))",
                json: json, ["restored": backup, "store": location.path, "node": restored.node.rawValue])
        } catch { throw fail(error, json: json) }
    }
}
