import ArgumentParser
import DaftarModel
import DaftarStore
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

struct OfficerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "officer", abstract: "The officers who sign in at this office (the administrator adds and disables them).",
        subcommands: [Add.self, List.self, Disable.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add an officer (the administrator signs in); their passphrase is asked twice, or read from --new-passphrase-file.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The new officer's name, as changes will record it, for example \"SI Aslam\".") var name: String
        @Option(name: .customLong("new-passphrase-file"), help: "For scripts: a file whose first line is the new officer's passphrase.")
        var newPassphraseFile: String?
        @OptionGroup var output: OutputOptions
        var json: Bool { output.json }

        func run() throws {
            do {
                let s = try store.open()
                let interactive = isatty(STDIN_FILENO) == 1
                // A store with no officers yet: the one named here becomes its administrator.
                if try !s.hasOfficers() {
                    let passphrase = try newPassphrase(interactive: interactive)
                    let admin = try s.addOfficer(name, passphrase: passphrase, by: nil)
                    say("\(admin.name) is this office's administrator", json: json, Added(officer: admin.name, administrator: true))
                    return
                }
                let admin = try store.signIn(s, interactive: interactive, administrator: true)
                let passphrase = try newPassphrase(interactive: interactive)
                let added = try s.addOfficer(name, passphrase: passphrase, by: admin)
                say("added \(added.name); they sign in with their own passphrase", json: json, Added(officer: added.name, administrator: false))
            } catch { throw fail(error, json: json) }
        }

        struct Added: Encodable {
            var officer: String
            var administrator: Bool
        }

        func newPassphrase(interactive: Bool) throws -> String {
            if let path = newPassphraseFile { return try store.passphraseFromFile(path) }
            guard interactive else {
                throw StoreError(.badRequest, "give the new officer's passphrase with --new-passphrase-file FILE (at least \(Store.minimumPassphrase) characters)")
            }
            return try store.choosePassphrase(for: name)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the officers, with failed sign-ins of the last 24 hours.")
        @OptionGroup var location: StorePath
        @OptionGroup var output: OutputOptions
        var json: Bool { output.json }

        func run() throws {
            do {
                let s = try Store.open(at: location.path)
                let officers = try s.officers()
                let unknown = try s.unknownNameFailures()
                struct Row: Encodable {
                    var name: String
                    var administrator: Bool
                    var addedAt: Int64
                    var addedBy: String?
                    var disabledAt: Int64?
                    var failedSignIns24h: Int
                    var lastSignIn: Int64?
                }
                struct Document: Encodable {
                    var officers: [Row]
                    var unknownNameFailures24h: Int
                }
                let rows = officers.map {
                    Row(
                        name: $0.name, administrator: $0.administrator, addedAt: $0.addedAt, addedBy: $0.addedBy, disabledAt: $0.disabledAt,
                        failedSignIns24h: $0.recentFailures, lastSignIn: $0.lastSignIn)
                }
                func time(_ ms: Int64) -> String {
                    let f = DateFormatter()
                    f.dateFormat = "yyyy-MM-dd HH:mm"
                    return f.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
                }
                var lines = officers.isEmpty ? ["no officers yet: the first, daftar officer add NAME, becomes the administrator"] : []
                for o in officers {
                    var line = o.name + (o.administrator ? "  (administrator)" : "")
                    line += "  added \(time(o.addedAt))" + (o.addedBy.map { " by \($0)" } ?? "")
                    if let off = o.disabledAt { line += "  DISABLED \(time(off))" + (o.disabledBy.map { " by \($0)" } ?? "") }
                    if let last = o.lastSignIn { line += "  last sign-in \(time(last))" }
                    if o.recentFailures > 0 { line += "  \(o.recentFailures) failed sign-in(s) in 24 h" }
                    lines.append(line)
                }
                if unknown > 0 { lines.append("\(unknown) failed sign-in(s) in 24 h with names that are no officer's") }
                say(lines.joined(separator: "\n"), json: json, Document(officers: rows, unknownNameFailures24h: unknown))
            } catch { throw fail(error, json: json) }
        }
    }

    struct Disable: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Disable an officer (the administrator signs in): they can no longer sign in; what they recorded stays theirs.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The officer's name.") var name: String
        @OptionGroup var output: OutputOptions
        var json: Bool { output.json }

        func run() throws {
            do {
                let (s, admin) = try store.openAsAdministrator()
                try s.disableOfficer(name, by: admin)
                struct Disabled: Encodable { var disabled: String }
                say("disabled \(name)", json: json, Disabled(disabled: name))
            } catch { throw fail(error, json: json) }
        }
    }
}
