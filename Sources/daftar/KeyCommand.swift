import ArgumentParser
import DaftarModel
import DaftarStore
import Foundation

struct KeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key", abstract: "The node's signing key (Ed25519): made with the store, kept beside it, never in a backup.",
        subcommands: [Show.self, Rotate.self])

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

    struct Rotate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a new key for this node, signed by the old one; the central node binds it at the next sync.",
            discussion:
                "The old key signs the new key and this node's next seq; from that seq on the new key signs. The central node binds the new key when this node next syncs with it (the old key's signatures then cover this node's earlier changes alone); until then this node's new changes wait at other nodes. The old private key is gone. For a key that was lost or stolen, revoke it at the central node instead (daftar node revoke ID --keep-through SEQ) and register the office under a new id."
        )
        @OptionGroup var store: StoreOptions
        @OptionGroup var output: OutputOptions
        var json: Bool { output.json }

        func run() throws {
            do {
                let (s, _) = try store.openAsAdministrator()
                let (old, new, from) = try s.rotateKey()
                struct Document: Encodable {
                    var node: String
                    var previous: String
                    var fingerprint: String
                    var from: UInt64
                }
                say(
                    """
                    node         \(s.node)
                    old key      \(old.groupedFingerprint)
                    new key      \(new.groupedFingerprint)
                    signs from   seq \(from); sync with the central node to have it bound
                    """,
                    json: json, Document(node: s.node.rawValue, previous: old.fingerprint, fingerprint: new.fingerprint, from: from))
            } catch { throw fail(error, json: json) }
        }
    }
}
