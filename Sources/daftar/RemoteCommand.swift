import ArgumentParser
import DaftarClient
import DaftarModel
import DaftarStore
import Foundation

struct RemoteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remote", abstract: "Remember the servers this node syncs with.", subcommands: [Add.self, List.self, Remove.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remember a server: daftar remote add central http://127.0.0.1:7420 --token TOKEN")
        @OptionGroup var store: StoreOptions
        @Argument(help: "A short name, for example central.") var name: String
        @Argument(help: "The server's address, http://HOST:PORT or https://HOST:PORT.") var url: String
        @Option(help: "The token the server's operator gave this node.") var token: String
        @Option(help: "A CA certificate (PEM) to trust for an https server.") var ca: String?
        @Option(help: "The central node's key fingerprint, as `daftar node add` printed it there: a server whose root key differs is refused.")
        var pin: String?
        @OptionGroup var output: OutputOptions
    var json: Bool { output.json }

        func run() throws {
            do {
                let pinned = try pin.map { text in
                    guard let digits = PublicKey.normalizedFingerprint(text) else {
                        throw StoreError(
                            .badRequest,
                            "--pin '\(text)' is not a key fingerprint: give the 64 hex digits `daftar node add` printed at the central node (spaces between groups are fine)")
                    }
                    return digits
                }
                let s = try store.openOrCreate(askIfMissing: false)
                try RemoteCommand.check(name: name, url: url, token: token)
                try s.saveRemote(Remote(name: name, url: url, token: token, caFile: ca.map { URL(fileURLWithPath: $0).standardizedFileURL.path }, pin: pinned))
                let pinText = pinned.map { ", root key pinned to \(PublicKey.groupedFingerprintText($0))" } ?? ""
                var answer = ["remembered": name, "url": url]
                if let pinned { answer["pin"] = pinned }
                say("remembered \(name) at \(url)\(pinText)", json: json, answer)
            } catch { throw fail(error, json: json) }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The remembered servers (tokens not shown).")
        @OptionGroup var store: StoreOptions
        @OptionGroup var output: OutputOptions
    var json: Bool { output.json }

        func run() throws {
            do {
                let remotes = try store.open().remotes()
                if json {
                    print(
                        encodeJSON([
                            "remotes": remotes.map {
                                ["name": $0.name, "url": $0.url, "ca": $0.caFile, "lastSync": $0.lastSync.map { Date(timeIntervalSince1970: Double($0) / 1000).formatted(.iso8601) }]
                            }
                        ]))
                    return
                }
                if remotes.isEmpty { print("no remotes: daftar remote add NAME URL --token TOKEN") }
                for r in remotes { print("\(r.name)  \(r.url)\(r.caFile.map { "  ca \($0)" } ?? "")  \(r.lastKnowledge.map { "server held \($0.entries.count) chain(s) at last sync" } ?? "never synced")") }
            } catch { throw fail(error, json: json) }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Forget a server.")
        @OptionGroup var store: StoreOptions
        @Argument var name: String
        @OptionGroup var output: OutputOptions
    var json: Bool { output.json }

        func run() throws {
            do {
                try store.open().removeRemote(named: name)
                say("forgot \(name)", json: json, ["forgot": name])
            } catch { throw fail(error, json: json) }
        }
    }

    static func check(name: String, url: String, token: String) throws {
        guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
            throw StoreError(.badRequest, "'\(name)' is not a remote name: use letters, digits, '-' and '_'")
        }
        guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil else {
            throw StoreError(.badRequest, "'\(url)' is not a server address: write http://HOST:PORT or https://HOST:PORT")
        }
        guard !token.isEmpty, !token.contains(where: \.isWhitespace) else { throw StoreError(.badRequest, "the token is empty or has spaces: paste it as `daftar node add` printed it") }
    }
}
