import ArgumentParser
import DaftarModel
import DaftarStore
import Foundation

struct NodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node", abstract: "Register, list and revoke the nodes that may sync with this node's server.",
        subcommands: [Add.self, List.self, Revoke.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Register a node and print its token (shown once).")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The node id, for example fia-karachi.") var id: String
        @Flag(help: "A relay (a hub, or an office for office-to-office sync) may pass on other origins' changes.") var relay = false
        @OptionGroup var output: OutputOptions
    var json: Bool { output.json }

        func run() throws {
            do {
                let s = try store.openOrCreate(askIfMissing: false)
                let token = try s.registerPeer(try NodeID(id), role: relay ? .relay : .office)
                say(token, json: json, ["node": id, "role": relay ? "relay" : "office", "token": token])
                FileHandle.standardError.write(Data("registered \(id) as \(relay ? "a relay" : "an office"); give it this token once, it is not kept here\n".utf8))
            } catch { throw fail(error, json: json) }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The registered nodes, their roles, when last seen and what they held.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var output: OutputOptions
    var json: Bool { output.json }

        func run() throws {
            do {
                let s = try store.open()
                let peers = try s.peers()
                if json {
                    struct PeerJSON: Encodable {
                        var node: String
                        var role: String
                        var revoked: Bool
                        var lastSeen: String?
                        /// How many chains (an origin in a scope) the node said it held when last seen.
                        var chains: Int?
                    }
                    func iso(_ ms: Int64?) -> String? { ms.map { Date(timeIntervalSince1970: Double($0) / 1000).formatted(.iso8601) } }
                    print(
                        encodeJSON([
                            "nodes": peers.map {
                                PeerJSON(node: $0.node.rawValue, role: $0.role.rawValue, revoked: $0.revokedAt != nil, lastSeen: iso($0.lastSeen), chains: $0.lastKnowledge?.entries.count)
                            }
                        ]))
                    return
                }
                if peers.isEmpty { print("no nodes registered: daftar node add ID"); return }
                let format = DateFormatter()
                format.dateFormat = "yyyy-MM-dd HH:mm"
                func time(_ ms: Int64?) -> String { ms.map { format.string(from: Date(timeIntervalSince1970: Double($0) / 1000)) } ?? "never" }
                for p in peers {
                    let held = p.lastKnowledge.map { "holds \($0.entries.count) chain(s)" } ?? ""
                    print(
                        "\(p.node.rawValue.padding(toLength: 24, withPad: " ", startingAt: 0)) \(p.role.rawValue.padding(toLength: 6, withPad: " ", startingAt: 0)) \(p.revokedAt != nil ? "REVOKED " : "")last seen \(time(p.lastSeen))  \(held)"
                    )
                }
            } catch { throw fail(error, json: json) }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "End a node's token at once.")
        @OptionGroup var store: StoreOptions
        @Argument var id: String
        @OptionGroup var output: OutputOptions
    var json: Bool { output.json }

        func run() throws {
            do {
                try store.open().revokePeer(try NodeID(id))
                say("revoked \(id)", json: json, ["revoked": id])
            } catch { throw fail(error, json: json) }
        }
    }
}
