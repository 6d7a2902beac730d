public import DaftarModel
import Foundation
internal import GRDB

#if canImport(Glibc)
    import Glibc
#endif

/// The node's Ed25519 key (DESIGN promise 16). The private key is a file beside the store, the
/// store's path with `.key` added, made with the store, readable by its owner alone (mode 0600),
/// and never in a backup: `backup` copies the database, and a restore under a new id makes a new
/// key. The store records the public key, so that a key file of another store is never taken
/// for its own.
///
/// The file is text: `daftar node key 1`, then `node ID`, then `private BASE64` (the 32 bytes of
/// the Ed25519 private key), one per line.
extension Store {
    /// Where the key file of the store at `path` is.
    public static func keyPath(forStore path: String) -> String { path + ".key" }

    /// This store's key file.
    public var keyPath: String { Self.keyPath(forStore: path) }

    /// The node's public key, when the store has made its key.
    public func publicKey() throws(StoreError) -> PublicKey? {
        let raw = try read { db -> Data? in try Data.fetchOne(db, sql: "SELECT public_key FROM store WHERE id = 1") }
        guard let raw else { return nil }
        do { return try PublicKey(raw: [UInt8](raw)) } catch {
            throw StoreError(.corrupt, "the store's public key is not a key (\(error.message)): restore the store from a backup")
        }
    }

    /// The node's private key, read from its file and checked against the store.
    public func signingKey() throws(StoreError) -> SigningKey {
        guard let recorded = try publicKey() else {
            throw StoreError(.badRequest, "this store has no key yet: open it once for writing (daftar --db \(path) status) and it makes one")
        }
        var (node, key) = try Self.readKey(at: keyPath)
        // A rotation that stopped after the store recorded the new key, before its file took the
        // old one's place: it is put in place now.
        let rotating = keyPath + ".rotating"
        if node == self.node, key.publicKey != recorded, FileManager.default.fileExists(atPath: rotating),
            let (owner, found) = try? Self.readKey(at: rotating), owner == self.node, found.publicKey == recorded
        {
            try Self.finishRotation(rotating, into: keyPath)
            (node, key) = (owner, found)
        }
        guard node == self.node, key.publicKey == recorded else {
            throw StoreError(
                .inconsistent,
                "\(keyPath) is not this store's key (it was made for \(node), fingerprint \(key.publicKey.fingerprint.prefix(16))…): put this store's own key file back, or move that one away")
        }
        return key
    }

    /// Makes the node's key, for a store that has none (made before keys, or just restored). A
    /// key file already beside the store, left by a make that stopped before recording it, is
    /// taken when it was made for this node.
    func makeKeyIfMissing() throws(StoreError) {
        guard try publicKey() == nil else { return }
        let key: SigningKey
        if FileManager.default.fileExists(atPath: keyPath) {
            let (owner, found) = try Self.readKey(at: keyPath)
            guard owner == node else {
                throw StoreError(
                    .storeExists,
                    "\(keyPath) is the key of another node (\(owner)), and this store (\(node)) has no key of its own yet: move that file away and open the store again")
            }
            key = found
        } else {
            do { key = try Self.writeNewKey(at: keyPath, node: node) } catch {
                // Another process opening this store at the same moment made it first: take it
                // when it is this node's.
                guard error.code == .storeExists, let (owner, found) = try? Self.readKey(at: keyPath), owner == node else { throw error }
                key = found
            }
        }
        try writeTransaction { db in
            try db.execute(sql: "UPDATE store SET public_key = ? WHERE id = 1 AND public_key IS NULL", arguments: [Data(key.publicKey.raw)])
        }
    }

    /// Forgets the public key of the store the file was copied from (a restore under a new id).
    func forgetPublicKey() throws(StoreError) {
        try writeTransaction { db in try db.execute(sql: "UPDATE store SET public_key = NULL WHERE id = 1") }
    }

    /// Writes a new key file: made whole under a temporary name (mode 0600 from the start), put
    /// on the disk, then linked to its name, which fails if a file is there already, so that no
    /// other process ever reads half a key and none is overwritten.
    static func writeNewKey(at path: String, node: NodeID) throws(StoreError) -> SigningKey {
        let key = SigningKey()
        let temporary = try writeKeyFile(key, node: node, beside: path)
        defer { unlink(temporary) }
        guard link(temporary, path) == 0 else {
            if errno == EEXIST {
                throw StoreError(.storeExists, "\(path) already exists: it is the key of another store; move it away, or choose another path for this store")
            }
            throw StoreError(.readOnly, "cannot write the node's key beside the store (\(path)): \(String(cString: strerror(errno)))")
        }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let dirfd = Glibc.open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dirfd >= 0 {
            fsync(dirfd)
            close(dirfd)
        }
        return key
    }

    /// Writes `key`'s file for `node` whole under a temporary name beside `path` (mode 0600
    /// from the start) and puts it on the disk; returns the temporary name, for the caller to
    /// link or rename into place.
    static func writeKeyFile(_ key: SigningKey, node: NodeID, beside path: String) throws(StoreError) -> String {
        let text = "daftar node key 1\nnode \(node.rawValue)\nprivate \(Data(key.raw).base64EncodedString())\n"
        let temporary = path + ".new-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = Glibc.open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw StoreError(.readOnly, "cannot write the node's key beside the store (\(path)): \(String(cString: strerror(errno))); check the folder's permissions")
        }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd) == 0
        fchmod(fd, 0o600)
        close(fd)
        guard written == bytes.count, synced else {
            unlink(temporary)
            throw StoreError(.io, "cannot write the node's key beside the store (\(path)): the disk may be full; free space and try again")
        }
        return temporary
    }

    /// Names `node` in the key file, for a store that took a new id (a fork recovery): the same
    /// key, its file written whole beside it and renamed over it.
    func renameKeyFile(to node: NodeID) throws(StoreError) {
        let (_, key) = try Self.readKey(at: keyPath)
        let temporary = try Self.writeKeyFile(key, node: node, beside: keyPath)
        do { try Self.finishRotation(temporary, into: keyPath) } catch {
            unlink(temporary)
            throw error
        }
    }

    /// Reads a key file, refusing one that others than its owner may read.
    static func readKey(at path: String) throws(StoreError) -> (NodeID, SigningKey) {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw StoreError(
                .noStore,
                "the node's key file \(path) is missing: this node cannot sign without it; put it back from where it was kept (it is never in a backup)")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw StoreError(
                .badRequest,
                "the node's key file \(path) may be read by others (mode \(String(info.st_mode & 0o777, radix: 8))): make it readable by its owner alone (chmod 600 \(path))")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw StoreError(.readOnly, "cannot read the node's key file \(path): check its permissions")
        }
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
        guard lines.count == 3, lines[0] == "daftar node key 1", lines[1].hasPrefix("node "), lines[2].hasPrefix("private "),
            let node = try? NodeID(String(lines[1].dropFirst(5))),
            let raw = Data(base64Encoded: String(lines[2].dropFirst(8))), let key = try? SigningKey(raw: [UInt8](raw))
        else {
            throw StoreError(.corrupt, "\(path) is not a Daftar node key: put the node's own key file back (it is never in a backup)")
        }
        return (node, key)
    }
}
