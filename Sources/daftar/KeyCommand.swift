import ArgumentParser
import DaftarModel
import DaftarStore
import Foundation

struct KeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key", abstract: "The node's signing key (Ed25519): made with the store, kept beside it, never in a backup.",
        subcommands: [Show.self])

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the node's public key fingerprint, to read out to the central node's operator or to pin.")
        @OptionGroup var location: StorePath
        @OptionGroup var output: OutputOptions
        var json: Bool { output.json }

        func run() throws {
            do {
                let store = try Store.open(at: location.path)
                // Read from the file: a key file missing, readable by others or of another
                // store is said here rather than at the first signature.
                let key = try store.signingKey().publicKey
                struct Document: Encodable {
                    var node: String
                    var fingerprint: String
                    var publicKey: String
                    var keyFile: String
                }
                say(
                    """
                    node         \(store.node)
                    fingerprint  \(key.groupedFingerprint)
                    key file     \(store.keyPath) (readable by its owner alone; never in a backup)
                    """,
                    json: json,
                    Document(node: store.node.rawValue, fingerprint: key.fingerprint, publicKey: Data(key.raw).base64EncodedString(), keyFile: store.keyPath))
            } catch { throw fail(error, json: json) }
        }
    }
}
