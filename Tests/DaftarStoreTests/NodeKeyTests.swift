import DaftarModel
import Foundation
import Testing

@testable import DaftarStore

#if canImport(Glibc)
    import Glibc
#endif

/// Every store has an Ed25519 key (DESIGN promise 16): made with the store, in a file beside it
/// readable by its owner alone, never in a backup; a restore under a new id makes a new key.
@Suite struct NodeKeyTests {
    let folder: TemporaryFolder
    init() throws { folder = try TemporaryFolder() }

    func mode(_ path: String) -> mode_t {
        var info = stat()
        stat(path, &info)
        return info.st_mode & 0o777
    }

    func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard needle.count <= haystack.count else { return false }
        return (0...(haystack.count - needle.count)).contains { i in haystack[i..<i + needle.count].elementsEqual(needle) }
    }

    @Test func aNewStoreMakesItsKey_besideIt_readableByItsOwnerAlone() throws {
        let store = try Store.make("fia-lahore", in: folder)
        let path = folder.file("fia-lahore.daftar.key")
        #expect(store.keyPath == path)
        #expect(FileManager.default.fileExists(atPath: path))
        #expect(mode(path) == 0o600)
        #expect(mode(store.path) == 0o600, "the store file too: it holds passphrase hashes and tokens")
        let key = try store.signingKey()
        #expect(try store.publicKey() == key.publicKey)
        let message = Array("fia-lahore-1".utf8)
        let signature = try key.sign(message)
        #expect(key.publicKey.verifies(signature, of: message))
        #expect(!key.publicKey.verifies(signature, of: Array("fia-lahore-2".utf8)))
        #expect(key.publicKey.fingerprint.count == 64)
        // Two stores, two keys.
        let other = try Store.make("fia-karachi", in: folder)
        #expect(try other.publicKey() != store.publicKey())
        // Opened again, it keeps its key.
        #expect(try Store.open(at: store.path).publicKey() == key.publicKey)
    }

    @Test func theKeyIsNeverInABackup_andARestoreUnderANewIdMakesANewKey() throws {
        let store = try Store.make("fia-lahore", in: folder)
        try store.add(kind: kind("incident"), fields: [name("title"): text("raid")], as: "Rashid")
        let key = try store.signingKey()
        let backup = folder.file("lahore-backup.daftar")
        try store.backup(to: backup)
        #expect(!FileManager.default.fileExists(atPath: backup + ".key"))
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: backup)))
        #expect(!contains(bytes, key.raw), "the private key's bytes are not in the backup")
        #expect(!contains(bytes, Array(Data(key.raw).base64EncodedString().utf8)))
        let restored = try Store.restore(backup: backup, to: folder.file("lahore-2.daftar"), as: try NodeID("fia-lahore-2"))
        let newKey = try restored.signingKey()
        #expect(newKey.publicKey != key.publicKey)
        #expect(try restored.publicKey() == newKey.publicKey)
        #expect(mode(restored.keyPath) == 0o600)
        let text = try String(contentsOfFile: restored.keyPath, encoding: .utf8)
        #expect(text.contains("node fia-lahore-2\n"))
        // The old store's key is untouched.
        #expect(try store.signingKey().publicKey == key.publicKey)
    }

    @Test func aStoreMadeBeforeKeys_getsOneWhenOpenedForWriting_notWhenRead() throws {
        let store = try Store.make("fia-okara", in: folder)
        try store.forgetPublicKey()
        try FileManager.default.removeItem(atPath: store.keyPath)
        _ = try Store.open(at: store.path, options: Store.Options(readOnly: true))
        #expect(!FileManager.default.fileExists(atPath: store.keyPath))
        let opened = try Store.open(at: store.path)
        #expect(FileManager.default.fileExists(atPath: store.keyPath))
        #expect(try opened.publicKey() == opened.signingKey().publicKey)
    }

    @Test func aKeyFileMissing_readableByOthers_orOfAnotherStore_isRefusedWithWhatToDo() throws {
        let lahore = try Store.make("fia-lahore", in: folder)
        let karachi = try Store.make("fia-karachi", in: folder)
        chmod(lahore.keyPath, 0o644)
        let open = storeError { _ = try lahore.signingKey() }
        #expect(open?.message.contains("chmod 600") == true, "\(String(describing: open))")
        chmod(lahore.keyPath, 0o600)
        #expect(throws: Never.self) { _ = try lahore.signingKey() }
        // Another store's key put in its place.
        let saved = try Data(contentsOf: URL(fileURLWithPath: lahore.keyPath))
        try FileManager.default.removeItem(atPath: lahore.keyPath)
        try FileManager.default.copyItem(atPath: karachi.keyPath, toPath: lahore.keyPath)
        let wrong = storeError { _ = try lahore.signingKey() }
        #expect(wrong?.message.contains("is not this store's key") == true, "\(String(describing: wrong))")
        // Missing.
        try FileManager.default.removeItem(atPath: lahore.keyPath)
        let missing = storeError { _ = try lahore.signingKey() }
        #expect(missing?.message.contains("is missing") == true, "\(String(describing: missing))")
        // Garbled.
        FileManager.default.createFile(atPath: lahore.keyPath, contents: Data("not a key\n".utf8), attributes: [.posixPermissions: 0o600])
        let garbled = storeError { _ = try lahore.signingKey() }
        #expect(garbled?.message.contains("is not a Daftar node key") == true, "\(String(describing: garbled))")
        try FileManager.default.removeItem(atPath: lahore.keyPath)
        FileManager.default.createFile(atPath: lahore.keyPath, contents: saved, attributes: [.posixPermissions: 0o600])
        #expect(throws: Never.self) { _ = try lahore.signingKey() }
    }

    @Test func aStoreIsNotMadeWhereAnotherStoresKeyLies() throws {
        let path = folder.file("fia-quetta.daftar")
        try folder.write("fia-quetta.daftar.key", "daftar node key 1\n")
        let refused = storeError { _ = try Store.create(at: path, node: try NodeID("fia-quetta")) }
        #expect(refused?.message.contains("move it away") == true, "\(String(describing: refused))")
        #expect(!FileManager.default.fileExists(atPath: path))
    }
}
