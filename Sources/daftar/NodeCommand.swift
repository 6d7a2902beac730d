import ArgumentParser
import DaftarModel
import DaftarStore
import Foundation

struct NodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node", abstract: "Register, list and revoke the nodes that may sync with this node's server, and grant them scopes.",
        subcommands: [Add.self, Grant.self, Withdraw.self, Delegate.self, List.self, Revoke.self])

    /// The scopes a grant names: `--read` and `--write`.
    struct ScopeOptions: ParsableArguments {
        @Option(help: "Scopes it may hold, comma-separated (with node add: default general, or those of --write).") var read: String?
        @Option(help: "Scopes it may write (and hold), comma-separated.") var write: String?

        /// The scopes named, checked.
        func parsed() throws -> (read: Set<Scope>, write: Set<Scope>) {
            (try NodeCommand.scopes(read, option: "read"), try NodeCommand.scopes(write, option: "write"))
        }
    }

    /// Scope names from a comma-separated option (`punjab,national`).
    static func scopes(_ text: String?, option: String) throws -> Set<Scope> {
        guard let text else { return [] }
        var out: Set<Scope> = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let name = part.trimmingCharacters(in: .whitespaces)
            let scope: Scope
            do { scope = try Scope(name) } catch {
                throw ValidationError(.invalidScope, "--\(option): \(error.message)")
            }
            guard scope != .registry else {
                throw ValidationError(.invalidScope, "--\(option): registry is the reserved scope every node holds; it cannot be granted")
            }
            out.insert(scope)
        }
        return out
    }

    /// Node ids from a comma-separated option (`fia-kasur,fia-okara`).
    static func nodes(_ text: String?, option: String) throws -> Set<NodeID> {
        guard let text else { return [] }
        var out: Set<NodeID> = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            do { out.insert(try NodeID(part.trimmingCharacters(in: .whitespaces))) } catch {
                throw ValidationError(.invalidNodeID, "--\(option): \(error.message)")
            }
        }
        return out
    }

    struct Delegate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Let a hub vouch for more offices' keys (the central node only).",
            discussion: "Writes a delegation into the registry: when one of these offices first syncs with the hub, with a token the hub issued, the hub binds its key. A hub never vouches for the central node or another hub.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The hub, for example punjab-hub.") var hub: String
        @Option(name: .customLong("may-vouch"), help: "The offices, comma-separated.") var mayVouch: String
        @OptionGroup var output: OutputOptions
        var json: Bool { output.json }

        func run() throws {
            do {
                let vouched = try NodeCommand.nodes(mayVouch, option: "may-vouch")
                let hubID = try NodeID(hub)
                let (s, admin) = try store.openAsAdministrator(create: false)
                guard try s.grant(of: hubID) != nil else {
                    throw ValidationError(.invalidNodeID, "\(hub) is not registered here: daftar node add \(hub) --relay --may-vouch \(mayVouch)")
                }
                let seq = try s.writeDelegation(hub: hubID, nodes: vouched, as: admin.name)
                struct Delegated: Encodable {
                    var hub: String
                    var mayVouch: [String]
                    var statement: String
                }
                let names = vouched.map(\.rawValue).sorted()
                say(
                    "\(hub) may vouch for the keys of \(names.joined(separator: ", ")) (registry statement \(s.node):\(seq))", json: json,
                    Delegated(hub: hub, mayVouch: names, statement: "\(s.node):\(seq)"))
            } catch { throw fail(error, json: json) }
        }
    }

    /// A key fork in JSON.
    struct KeyForkJSON: Encodable {
        struct Statement: Encodable {
            var statement: String
            var fingerprint: String
            var delegation: UInt64?
        }
        var node: String
        var first: Statement
        var second: Statement
        var revoked: Bool

        init(_ fork: KeyFork) {
            func make(_ s: KeyFork.Statement) -> Statement { Statement(statement: s.dot.description, fingerprint: s.key.fingerprint, delegation: s.delegation) }
            node = fork.node.rawValue
            first = make(fork.first)
            second = make(fork.second)
            revoked = fork.revoked
        }
    }

    /// One grant as a line: what the node may read and write.
    static func describe(_ grant: DaftarModel.Grant) -> String {
        let read = grant.read.map(\.rawValue).sorted().joined(separator: ",")
        let write = grant.write.keys.sorted().map { scope in "\(scope) (seqs \(grant.write[scope]!.map(\.description).joined(separator: ", ")))" }
        return "read \(read.isEmpty ? "nothing" : read); write \(write.isEmpty ? "nothing" : write.joined(separator: ", "))"
            + (grant.via.map { "; via \($0)" } ?? "")
            + (grant.revokedThrough.map { "; KEY REVOKED: its changes after seq \($0) count nowhere" } ?? "")
    }

    struct Grant: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Grant a registered node more scopes (the central node only).",
            discussion: "Reading starts with the scope's beginning at the node's next sync; writing counts from the node's next change.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The node id, for example fia-kasur.") var id: String
        @OptionGroup var scopes: ScopeOptions
        @OptionGroup var output: OutputOptions
        var json: Bool { output.json }

        func run() throws {
            do {
                let (reads, writes) = try scopes.parsed()
                guard !reads.isEmpty || !writes.isEmpty else {
                    throw ValidationError(.invalidScope, "name the scopes to grant: --read punjab,national and/or --write punjab")
                }
                let (s, admin) = try store.openAsAdministrator()
                let grant = try s.writeGrant(for: try NodeID(id), .grant(read: reads, write: writes), as: admin.name)
                say("\(id): \(NodeCommand.describe(grant))", json: json, GrantJSON(grant))
            } catch { throw fail(error, json: json) }
        }
    }

    struct Withdraw: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Withdraw a scope from a node (the central node only).",
            discussion: "The node stops holding the scope; its writes in it count up to its last change this node holds, and what it writes there later is void.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The node id, for example fia-kasur.") var id: String
        @Argument(help: "The scope, for example punjab.") var scope: String
        @OptionGroup var output: OutputOptions
        var json: Bool { output.json }

        func run() throws {
            do {
                let (s, admin) = try store.openAsAdministrator()
                let grants = try s.writeGrants(for: try NodeID(id), .withdraw(try Scope(scope)), as: admin.name)
                let lines = ["\(id): \(NodeCommand.describe(grants[0]))"]
                    + grants.dropFirst().map { "\($0.node) (registered via \(id)): \(NodeCommand.describe($0))" }
                struct Withdrawn: Encodable {
                    var node: String
                    var read: [String]
                    var write: [String: [String]]
                    var via: String?
                    /// The nodes registered via this one that lost the scope with it.
                    var alsoWithdrawn: [GrantJSON]
                }
                let first = GrantJSON(grants[0])
                say(
                    lines.joined(separator: "\n"), json: json,
                    Withdrawn(node: first.node, read: first.read, write: first.write, via: first.via, alsoWithdrawn: grants.dropFirst().map(GrantJSON.init)))
            } catch { throw fail(error, json: json) }
        }
    }

    /// A grant in JSON: `{"node", "read": [SCOPE], "write": {SCOPE: ["1-", "3-40"]}}`.
    struct GrantJSON: Encodable {
        var node: String
        var read: [String]
        var write: [String: [String]]
        var via: String?
        var revokedThrough: UInt64?
        init(_ grant: DaftarModel.Grant) {
            node = grant.node.rawValue
            via = grant.via?.rawValue
            revokedThrough = grant.revokedThrough
            read = grant.read.map(\.rawValue).sorted()
            write = Dictionary(uniqueKeysWithValues: grant.write.map { ($0.key.rawValue, $0.value.map(\.description)) })
        }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Register a node and print its token (shown once).")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The node id, for example fia-karachi.") var id: String
        @Flag(help: "A relay (a hub, or an office for office-to-office sync) may pass on other origins' changes.") var relay = false
        @OptionGroup var scopes: ScopeOptions
        @Option(help: "The hub the node syncs through (the central node only): it gets only scopes the hub reads, and loses a scope when the hub does.")
        var via: String?
        @Option(
            name: .customLong("may-vouch"),
            help: "With --relay (the central node only): the offices, comma-separated, whose keys this hub may bind in the registry when they first sync with it.")
        var mayVouch: String?
        @OptionGroup var output: OutputOptions
    var json: Bool { output.json }

        func run() throws {
            do {
                let (reads, writes) = try scopes.parsed()
                let hub = try via.map { try NodeID($0) }
                let vouched = try NodeCommand.nodes(mayVouch, option: "may-vouch")
                if !vouched.isEmpty, !relay {
                    throw ValidationError(.invalidNodeID, "--may-vouch names the offices a hub vouches for: register the hub with --relay too")
                }
                let (s, admin) = try store.openAsAdministrator(create: true)
                let node = try NodeID(id)
                // A grant is written when scopes are named, or when this node already writes the
                // registry (it is the central node). Without either, the node holds general, as
                // every node registered before grants does.
                let root = try s.root()
                if (!reads.isEmpty || !writes.isEmpty || hub != nil || !vouched.isEmpty), let root, root != s.node {
                    throw ValidationError(.invalidScope, "grants are written by the central node (\(root)) alone: register \(id) there with --read/--write, or here without them")
                }
                let token = try s.registerPeer(node, role: relay ? .relay : .office)
                var grant: DaftarModel.Grant?
                if !reads.isEmpty || !writes.isEmpty || hub != nil || root == s.node {
                    let read = reads.isEmpty && writes.isEmpty ? [Scope.general] : reads
                    let write = reads.isEmpty && writes.isEmpty ? [Scope.general] : writes
                    do {
                        grant = try s.writeGrant(for: node, .register(read: read, write: write, via: hub), as: admin.name)
                        if !vouched.isEmpty { try s.writeDelegation(hub: node, nodes: vouched, as: admin.name) }
                    } catch {
                        // No grant, no registration: the token just made is revoked again.
                        try? s.revokePeer(node)
                        throw error
                    }
                }
                struct Registered: Encodable {
                    var node: String
                    var role: String
                    var token: String
                    var grant: GrantJSON?
                    var rootFingerprint: String?
                    var mayVouch: [String]?
                }
                // The root's fingerprint goes with the token: the node pins it (remote add --pin).
                let rootKey = try s.root() == s.node ? try s.rootKey() : nil
                say(
                    token, json: json,
                    Registered(node: id, role: relay ? "relay" : "office", token: token, grant: grant.map(GrantJSON.init), rootFingerprint: rootKey?.fingerprint,
                        mayVouch: vouched.isEmpty ? nil : vouched.map(\.rawValue).sorted()))
                if let grant { FileHandle.standardError.write(Data("\(id): \(NodeCommand.describe(grant))\n".utf8)) }
                if !vouched.isEmpty {
                    FileHandle.standardError.write(
                        Data("\(id) may vouch for the keys of \(vouched.map(\.rawValue).sorted().joined(separator: ", ")) (a delegation in the registry)\n".utf8))
                }
                if let rootKey {
                    FileHandle.standardError.write(
                        Data("the central node's key fingerprint, to give with the token (daftar remote add ... --pin): \(rootKey.groupedFingerprint)\n".utf8))
                }
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
                let grants = try s.grants()
                let root = try s.root()
                let delegations = try s.delegations()
                let keyForks = try s.keyForks()
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
                    struct ListJSON: Encodable {
                        var nodes: [PeerJSON]
                        /// The registry's grants, by node (the central node's statements, as held here).
                        var grants: [GrantJSON]
                        var root: String?
                        /// The hubs and the offices whose keys each may bind.
                        var delegations: [String: [String]]
                        var keyForks: [KeyForkJSON]
                    }
                    print(
                        encodeJSON(
                            ListJSON(
                                nodes: peers.map {
                                    PeerJSON(
                                        node: $0.node.rawValue, role: $0.role.rawValue, revoked: $0.revokedAt != nil, lastSeen: iso($0.lastSeen),
                                        chains: $0.lastKnowledge?.entries.count)
                                },
                                grants: grants.keys.sorted().map { GrantJSON(grants[$0]!) }, root: root?.rawValue,
                                delegations: Dictionary(uniqueKeysWithValues: delegations.map { ($0.key.rawValue, $0.value.map(\.rawValue).sorted()) }),
                                keyForks: keyForks.map(KeyForkJSON.init))))
                    return
                }
                if peers.isEmpty && grants.isEmpty { print("no nodes registered: daftar node add ID"); return }
                let format = DateFormatter()
                format.dateFormat = "yyyy-MM-dd HH:mm"
                func time(_ ms: Int64?) -> String { ms.map { format.string(from: Date(timeIntervalSince1970: Double($0) / 1000)) } ?? "never" }
                for p in peers {
                    let held = p.lastKnowledge.map { "holds \($0.entries.count) chain(s)" } ?? ""
                    print(
                        "\(p.node.rawValue.padding(toLength: 24, withPad: " ", startingAt: 0)) \(p.role.rawValue.padding(toLength: 6, withPad: " ", startingAt: 0)) \(p.revokedAt != nil ? "REVOKED " : "")last seen \(time(p.lastSeen))  \(held)"
                    )
                }
                if !grants.isEmpty {
                    print("grants (the registry\(root.map { ", written by \($0)" } ?? "")):")
                    for node in grants.keys.sorted() {
                        print("  \(node.rawValue.padding(toLength: 24, withPad: " ", startingAt: 0)) \(NodeCommand.describe(grants[node]!))")
                    }
                }
                if !delegations.isEmpty {
                    print("delegations (hubs that bind offices' keys):")
                    for hub in delegations.keys.sorted() {
                        print("  \(hub.rawValue.padding(toLength: 24, withPad: " ", startingAt: 0)) may vouch for \(delegations[hub]!.map(\.rawValue).sorted().joined(separator: ", "))")
                    }
                }
                for fork in keyForks { print(fork.description) }
            } catch { throw fail(error, json: json) }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "End a node's token at once; with --keep-through, revoke its key too (the central node only).",
            discussion:
                "--keep-through SEQ writes a revocation into the registry: the node's changes after seq SEQ (a stolen laptop's, say) are void everywhere, kept and shown, and the node never writes again under this id. SEQ is the last change that stands: see `daftar node list` and `history` for what the node sent."
        )
        @OptionGroup var store: StoreOptions
        @Argument var id: String
        @Option(name: .customLong("keep-through"), help: "Revoke the node's key: its changes after this seq count nowhere.") var keepThrough: UInt64?
        @OptionGroup var output: OutputOptions
    var json: Bool { output.json }

        func run() throws {
            do {
                let (s, admin) = try store.openAsAdministrator()
                let node = try NodeID(id)
                guard let keepThrough else {
                    try s.revokePeer(node)
                    say("revoked \(id)", json: json, ["revoked": id])
                    return
                }
                guard try s.root() == s.node else {
                    throw StoreError(.badRequest, "a key is revoked by the central node alone: run this there (this node is not the central node)")
                }
                let grant = try s.writeGrant(for: node, .revoke(keepThrough: keepThrough), as: admin.name)
                // The token too, when this node issued one.
                try? s.revokePeer(node)
                let void = try s.voidChains().filter { $0.chain.origin == node }.reduce(0) { $0 + $1.count }
                struct Revoked: Encodable {
                    var revoked: String
                    var keepThrough: UInt64
                    var voidHere: Int
                    var grant: GrantJSON
                }
                say(
                    "revoked \(id): its token ended, and its changes after seq \(grant.revokedThrough ?? keepThrough) count nowhere (\(void) held here are now void, kept and shown)",
                    json: json, Revoked(revoked: id, keepThrough: grant.revokedThrough ?? keepThrough, voidHere: void, grant: GrantJSON(grant)))
            } catch { throw fail(error, json: json) }
        }
    }
}
