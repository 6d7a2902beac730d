public import DaftarModel
import Foundation
internal import GRDB

/// A node registered with this store's sync server.
public struct PeerNode: Sendable, Hashable {
    public enum Role: String, Sendable, Hashable, Codable {
        /// May send only changes it made itself.
        case office
        /// May also pass on changes of other origins (a hub, or an office registered for
        /// office-to-office sync).
        case relay
    }

    public var node: NodeID
    public var role: Role
    public var createdAt: Int64
    public var revokedAt: Int64?
    public var lastSeen: Int64?
    /// What the node held when it last synced here.
    public var lastKnowledge: Knowledge?
}

/// A server this store syncs with as a client.
public struct Remote: Sendable, Hashable {
    public var name: String
    public var url: String
    public var token: String
    public var caFile: String?
    public var lastSync: Int64?
    /// What the server held after the last exchange.
    public var lastKnowledge: Knowledge?
    /// What this node said it held in its last exchange the server answered: the base the next
    /// request's knowledge is sent against (only what changed since, and a digest per scope).
    public var sentKnowledge: Knowledge?
    /// The root's fingerprint (64 lower-case hex digits) the operator pinned: a server whose root
    /// key has another fingerprint is refused.
    public var pin: String?

    public init(
        name: String, url: String, token: String, caFile: String? = nil, lastSync: Int64? = nil, lastKnowledge: Knowledge? = nil,
        sentKnowledge: Knowledge? = nil, pin: String? = nil
    ) {
        self.pin = pin
        self.name = name
        self.url = url
        self.token = token
        self.caFile = caFile
        self.lastSync = lastSync
        self.lastKnowledge = lastKnowledge
        self.sentKnowledge = sentKnowledge
    }
}

/// Bearer tokens: 32 bytes from the system's cryptographic random source, shown once; the
/// store keeps only their SHA-256.
public enum Token {
    public static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let base64 = Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        return "dft1_" + base64
    }

    public static func hash(_ token: String) -> [UInt8] { SHA256.hash(Array(token.utf8)) }

    /// Compares two byte strings in time that depends only on their length.
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in a.indices { difference |= a[i] ^ b[i] }
        return difference == 0
    }
}

extension Store {
    /// Registers `node` with this store's sync server and returns its new token; the token is
    /// not kept and cannot be shown again. A revoked node may be registered anew.
    public func registerPeer(_ node: NodeID, role: PeerNode.Role) throws(StoreError) -> String {
        guard node != self.node else {
            throw StoreError(.badRequest, "\(node) is this node's own id: a node cannot register itself; register the offices and hubs that sync with it")
        }
        let token = Token.make()
        let now = Int64(options.wallClock())
        try writeTransaction { db in
            if let revoked = try Row.fetchOne(db, sql: "SELECT revoked_at FROM peer_node WHERE node = ?", arguments: [node.rawValue]) {
                guard (revoked["revoked_at"] as Int64?) != nil else {
                    throw StoreError(.badRequest, "\(node) is already registered: revoke it first (node revoke \(node)) to issue a new token")
                }
                try db.execute(sql: "DELETE FROM peer_node WHERE node = ?", arguments: [node.rawValue])
            }
            try db.execute(
                sql: "INSERT INTO peer_node (node, role, token_hash, created_at) VALUES (?, ?, ?, ?)",
                arguments: [node.rawValue, role.rawValue, Data(Token.hash(token)), now])
        }
        return token
    }

    /// Ends a node's token at once.
    public func revokePeer(_ node: NodeID) throws(StoreError) {
        let now = Int64(options.wallClock())
        let changed: Int = try writeTransaction { db in
            try db.execute(sql: "UPDATE peer_node SET revoked_at = ? WHERE node = ? AND revoked_at IS NULL", arguments: [now, node.rawValue])
            return db.changesCount
        }
        guard changed == 1 else { throw StoreError(.badRequest, "\(node) is not a registered node with a live token: see node list") }
    }

    /// Every registered node.
    public func peers() throws(StoreError) -> [PeerNode] {
        try read { db in try Row.fetchAll(db, sql: "SELECT * FROM peer_node ORDER BY node").map(Self.peer) }
    }

    /// The live (not revoked) node a bearer token belongs to, or nil.
    public func peer(forToken token: String) throws(StoreError) -> PeerNode? {
        let hash = Token.hash(token)
        return try read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM peer_node WHERE token_hash = ? AND revoked_at IS NULL", arguments: [Data(hash)]) else { return nil }
            // The look-up found it by hash; compare again in constant time all the same.
            guard Token.constantTimeEqual([UInt8](row["token_hash"] as Data), hash) else { return nil }
            return try Self.peer(row)
        }
    }

    /// What a node's last exchange here said it held, whole, and when that was: the base its
    /// next request's knowledge may be sent against.
    public struct PeerSeen: Sendable {
        public var knowledge: Knowledge?
        public var lastSeen: Int64?

        public init(knowledge: Knowledge? = nil, lastSeen: Int64? = nil) {
            self.knowledge = knowledge
            self.lastSeen = lastSeen
        }
    }

    /// What ``notePeerSeen(_:knowledge:previous:)`` last recorded for `node`.
    public func peerSeen(_ node: NodeID) throws(StoreError) -> PeerSeen {
        try read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT last_seen, last_knowledge FROM peer_node WHERE node = ?", arguments: [node.rawValue]) else {
                return PeerSeen()
            }
            return PeerSeen(knowledge: (row["last_knowledge"] as Data?).flatMap { try? JSONDecoder().decode(Knowledge.self, from: $0) }, lastSeen: row["last_seen"])
        }
    }

    /// Notes that a node synced, and what it held (whole: the next request's knowledge may be
    /// sent against it). Written when what it holds changed, or at most once a minute otherwise,
    /// so that a pull with nothing new takes no write lock. `previous` is what
    /// ``peerSeen(_:)`` read for this exchange, if it was read.
    public func notePeerSeen(_ node: NodeID, knowledge: Knowledge, previous: PeerSeen? = nil) throws(StoreError) {
        let now = Int64(options.wallClock())
        let current: PeerSeen
        if let previous { current = previous } else { current = try peerSeen(node) }
        if let seen = current.lastSeen, now - seen < 60_000, now >= seen, current.knowledge == knowledge {
            return
        }
        let blob = try? JSONEncoder().encode(knowledge)
        try writeTransaction { db in
            try db.execute(sql: "UPDATE peer_node SET last_seen = ?, last_knowledge = ? WHERE node = ?", arguments: [now, blob, node.rawValue])
        }
    }

    private static func peer(_ row: Row) throws -> PeerNode {
        PeerNode(
            node: try NodeID(row["node"] as String), role: PeerNode.Role(rawValue: row["role"]) ?? .office, createdAt: row["created_at"],
            revokedAt: row["revoked_at"], lastSeen: row["last_seen"],
            lastKnowledge: (row["last_knowledge"] as Data?).flatMap { try? JSONDecoder().decode(Knowledge.self, from: $0) })
    }

    /// Remembers a server to sync with (replacing one of the same name).
    public func saveRemote(_ remote: Remote) throws(StoreError) {
        try writeTransaction { db in
            try db.execute(
                sql: """
                    INSERT INTO remote (name, url, token, ca_file, pin) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (name) DO UPDATE SET url = excluded.url, token = excluded.token, ca_file = excluded.ca_file, pin = excluded.pin,
                      last_knowledge = NULL, sent_knowledge = NULL, last_sync = NULL
                    """,
                arguments: [remote.name, remote.url, remote.token, remote.caFile, remote.pin])
        }
    }

    public func removeRemote(named name: String) throws(StoreError) {
        let changed: Int = try writeTransaction { db in
            try db.execute(sql: "DELETE FROM remote WHERE name = ?", arguments: [name])
            return db.changesCount
        }
        guard changed == 1 else { throw StoreError(.badRequest, "no remote named \(name): see remote list") }
    }

    public func remotes() throws(StoreError) -> [Remote] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM remote ORDER BY name").map { row in
                Remote(
                    name: row["name"], url: row["url"], token: row["token"], caFile: row["ca_file"], lastSync: row["last_sync"],
                    lastKnowledge: (row["last_knowledge"] as Data?).flatMap { try? JSONDecoder().decode(Knowledge.self, from: $0) },
                    sentKnowledge: (row["sent_knowledge"] as Data?).flatMap { try? JSONDecoder().decode(Knowledge.self, from: $0) },
                    pin: row["pin"])
            }
        }
    }

    /// Notes what a server held after an exchange, and what this node said it held in the last
    /// exchange the server answered (nil: none is known, and the next request sends it whole).
    public func noteRemoteSynced(_ name: String, knowledge: Knowledge, sent: Knowledge?) throws(StoreError) {
        let now = Int64(options.wallClock())
        let blob = try? JSONEncoder().encode(knowledge)
        let sentBlob = sent.flatMap { try? JSONEncoder().encode($0) }
        try writeTransaction { db in
            try db.execute(
                sql: "UPDATE remote SET last_sync = ?, last_knowledge = ?, sent_knowledge = ? WHERE name = ?", arguments: [now, blob, sentBlob, name])
        }
    }
}
