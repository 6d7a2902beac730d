import ArgumentParser
import DaftarModel
import DaftarStore
import Foundation

struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup", abstract: "Write a consistent copy of the store, while it stays in use.")
    @OptionGroup var store: StoreOptions
    @Argument(help: "The new backup file.") var path: String

    func run() throws {
        do {
            try store.open().backup(to: path)
            print("backed up \(store.path) to \(path)")
        } catch { throw fail(error) }
    }
}

struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore", abstract: "Bring a backup back as a new store under a new node id.",
        discussion:
            "The new id keeps the restored store from reusing seqs its old identity used after the backup; the old identity's later changes come back by sync. Register the new id at the servers this office syncs with."
    )
    @OptionGroup var store: StoreOptions
    @Argument(help: "The backup file.") var backup: String
    @Option(name: .customLong("as"), help: "The new node id, never used before, for example fia-lahore-2.") var newNode: String

    func run() throws {
        do {
            let restored = try Store.restore(backup: backup, to: store.path, as: try NodeID(newNode))
            print("restored \(backup) to \(store.path) as \(restored.node); register \(restored.node) at the servers it syncs with (daftar node add \(restored.node))")
        } catch { throw fail(error) }
    }
}
