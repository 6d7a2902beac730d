import Crypto
import CryptoExtras
public import DaftarModel
import Foundation
internal import GRDB

/// An officer of this office (DESIGN promise 18).
public struct Officer: Sendable, Hashable {
    public var name: String
    public var administrator: Bool
    public var addedAt: Int64
    public var addedBy: String?
    public var disabledAt: Int64?
    public var disabledBy: String?
    /// Failed sign-ins in the last 24 hours, and when the last sign-in (of either kind) was.
    public var recentFailures: Int
    public var lastSignIn: Int64?
}

/// An officer who gave the right passphrase. Only ``Store/signIn(_:passphrase:)`` and
/// ``Store/addOfficer(_:passphrase:by:)`` (for the first officer) make one.
public struct SignedIn: Sendable, Hashable {
    public let name: String
    public let administrator: Bool
    fileprivate init(name: String, administrator: Bool) {
        self.name = name
        self.administrator = administrator
    }
}

/// Officers sign in with a passphrase, hashed with scrypt: memory-hard, so that a copied store
/// does not give its passphrases up to a graphics card. The parameters are kept with each hash.
extension Store {
    /// scrypt's cost: N = 2^16 rounds (``Options/scryptRounds``), block size 8, parallelism 1,
    /// which takes 128 × 8 × 2^16 bytes = 64 MiB of memory per sign-in (see README, Officers, for
    /// the time it takes).
    public static let scryptBlockSize = 8
    public static let scryptParallelism = 1
    /// The shortest passphrase taken.
    public static let minimumPassphrase = 8

    var kdfName: String { "scrypt N=\(options.scryptRounds) r=\(Self.scryptBlockSize) p=\(Self.scryptParallelism)" }

    /// scrypt's N in a kept parameter string (`scrypt N=65536 r=8 p=1`).
    static func rounds(of kdf: String) -> Int {
        kdf.split(separator: " ").first { $0.hasPrefix("N=") }.flatMap { Int($0.dropFirst(2)) } ?? 0
    }

    static func passphraseHash(_ passphrase: String, salt: [UInt8], kdf: String) throws(StoreError) -> [UInt8] {
        // The parameters the hash was made with, read back from its record.
        var n = 1 << 16
        var r = scryptBlockSize
        var p = scryptParallelism
        for part in kdf.split(separator: " ").dropFirst() {
            let pair = part.split(separator: "=")
            guard pair.count == 2, let value = Int(pair[1]) else { continue }
            switch pair[0] {
            case "N":
                guard (1 << 10...1 << 20).contains(value) else {
                    throw StoreError(.corrupt, "an officer's passphrase hash names scrypt N=\(value), outside 1,024 to 1,048,576: the store was altered; restore it from a backup")
                }
                n = value
            case "r" where (1...32).contains(value): r = value
            case "p" where (1...16).contains(value): p = value
            default: continue
            }
        }
        do {
            let key = try KDF.Scrypt.deriveKey(
                from: Array(TextForm.normalized(passphrase).utf8), salt: salt, outputByteCount: 32, rounds: n, blockSize: r, parallelism: p)
            return key.withUnsafeBytes { Array($0) }
        } catch {
            throw StoreError(.io, "the passphrase could not be hashed (\(error)): the machine may be short of memory (a sign-in takes 64 MiB)")
        }
    }

    /// An officer's name as changes record it: trimmed, NFC, 1 to 128 bytes, no control characters.
    static func officerName(_ raw: String) throws(StoreError) -> String {
        let name = TextForm.normalized(raw.trimmingCharacters(in: .whitespaces))
        guard !name.isEmpty, name.utf8.count <= Limits.officerBytes,
            !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else {
            throw StoreError(.badRequest, "an officer's name is 1 to \(Limits.officerBytes) bytes of text without control characters, for example \"Insp. Rashid\"")
        }
        return name
    }

    /// Whether the store has any officer yet (a store made before officers has none).
    public func hasOfficers() throws(StoreError) -> Bool {
        try read { db in try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM officer)") ?? false }
    }

    /// Every officer, the administrator first, then by name.
    public func officers() throws(StoreError) -> [Officer] {
        let since = Int64(options.wallClock()) - 24 * 3_600_000
        return try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT o.*, (SELECT count(*) FROM sign_in s WHERE s.officer = o.name AND s.ok = 0 AND s.at >= ?) AS failures,
                           (SELECT max(at) FROM sign_in s WHERE s.officer = o.name) AS last
                    FROM officer o ORDER BY o.administrator DESC, o.name
                    """, arguments: [since]
            ).map { row in
                Officer(
                    name: row["name"], administrator: row["administrator"], addedAt: row["added_at"], addedBy: row["added_by"],
                    disabledAt: row["disabled_at"], disabledBy: row["disabled_by"], recentFailures: row["failures"], lastSignIn: row["last"])
            }
        }
    }

    /// Failed sign-ins with names that are no officer's, in the last 24 hours.
    public func unknownNameFailures() throws(StoreError) -> Int {
        let since = Int64(options.wallClock()) - 24 * 3_600_000
        return try read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM sign_in WHERE ok = 0 AND at >= ? AND officer NOT IN (SELECT name FROM officer)", arguments: [since]) ?? 0
        }
    }

    /// Adds an officer. The first officer of a store is its administrator and needs no one
    /// signed in (whoever makes the store makes them); every later one is added by the
    /// administrator, signed in.
    @discardableResult
    public func addOfficer(_ rawName: String, passphrase: String, by admin: SignedIn?) throws(StoreError) -> SignedIn {
        let name = try Self.officerName(rawName)
        guard passphrase.count >= Self.minimumPassphrase else {
            throw StoreError(.badRequest, "a passphrase has at least \(Self.minimumPassphrase) characters: choose a longer one (a few words are easy to remember)")
        }
        var salt = [UInt8](repeating: 0, count: 16)
        var generator = SystemRandomNumberGenerator()
        for i in salt.indices { salt[i] = UInt8.random(in: 0...255, using: &generator) }
        let kdf = kdfName
        let hash = try Self.passphraseHash(passphrase, salt: salt, kdf: kdf)
        let now = Int64(options.wallClock())
        return try writeTransaction { db in
            let first = !(try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM officer)") ?? false)
            if !first {
                guard let admin else {
                    throw StoreError(.signInFailed, "only the office's administrator adds officers: sign in as the administrator (--officer NAME, with the passphrase)")
                }
                let current = try Row.fetchOne(db, sql: "SELECT administrator, disabled_at FROM officer WHERE name = ?", arguments: [admin.name])
                guard let current, current["administrator"] as Bool, (current["disabled_at"] as Int64?) == nil else {
                    throw StoreError(.signInFailed, "\(admin.name) is not this office's administrator: only the administrator adds officers")
                }
            }
            guard try Row.fetchOne(db, sql: "SELECT 1 FROM officer WHERE name = ?", arguments: [name]) == nil else {
                throw StoreError(.badRequest, "there is already an officer named \(name) here: choose another name (an officer is never removed, only disabled)")
            }
            try db.execute(
                sql: "INSERT INTO officer (name, administrator, kdf, salt, passphrase_hash, added_at, added_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
                arguments: [name, first, kdf, Data(salt), Data(hash), now, admin?.name])
            return SignedIn(name: name, administrator: first)
        }
    }

    /// Signs an officer in. A wrong name or passphrase, or a disabled officer, is logged, and the
    /// answer waits longer after each failure with that name in the last ten minutes (0.5 s,
    /// 1 s, 2 s, ... at most 8 s), on top of scrypt's own time.
    public func signIn(_ rawName: String, passphrase: String) throws(StoreError) -> SignedIn {
        let name = (try? Self.officerName(rawName)) ?? String(rawName.prefix(64))
        let row = try read { db in
            try Row.fetchOne(db, sql: "SELECT administrator, kdf, salt, passphrase_hash, disabled_at FROM officer WHERE name = ?", arguments: [name])
        }
        var ok = false
        var disabled = false
        if let row {
            let hash = try Self.passphraseHash(passphrase, salt: [UInt8](row["salt"] as Data), kdf: row["kdf"])
            ok = Token.constantTimeEqual(hash, [UInt8](row["passphrase_hash"] as Data))
            disabled = (row["disabled_at"] as Int64?) != nil
        } else {
            // As long as a real check, so that the time does not tell which names exist: at the
            // cost of the costliest hash kept here.
            let costliest = try read { db in
                try String.fetchAll(db, sql: "SELECT kdf FROM officer").max { Self.rounds(of: $0) < Self.rounds(of: $1) }
            }
            _ = try Self.passphraseHash(passphrase, salt: [UInt8](repeating: 0, count: 16), kdf: costliest ?? kdfName)
        }
        let now = Int64(options.wallClock())
        let recent = try writeTransaction { db -> Int in
            try db.execute(sql: "INSERT INTO sign_in (at, officer, ok) VALUES (?, ?, ?)", arguments: [now, name, ok && !disabled])
            return try Int.fetchOne(db, sql: "SELECT count(*) FROM sign_in WHERE officer = ? AND ok = 0 AND at >= ?", arguments: [name, now - 600_000]) ?? 0
        }
        if ok, !disabled, let row { return SignedIn(name: name, administrator: row["administrator"]) }
        if recent > 0 { Thread.sleep(forTimeInterval: min(8, 0.5 * pow(2, Double(min(recent, 5) - 1)))) }
        if ok, disabled {
            throw StoreError(.signInFailed, "\(name) is disabled at this office: ask the office's administrator")
        }
        throw StoreError(
            .signInFailed,
            "no officer \(name) with that passphrase here: check both and try again (failed sign-ins are logged, and each makes the next wait longer)")
    }

    /// Disables an officer: they can no longer sign in; what they recorded stays theirs. The
    /// administrator cannot disable themselves.
    public func disableOfficer(_ rawName: String, by admin: SignedIn) throws(StoreError) {
        let name = try Self.officerName(rawName)
        let now = Int64(options.wallClock())
        try writeTransaction { db in
            let current = try Row.fetchOne(db, sql: "SELECT administrator, disabled_at FROM officer WHERE name = ?", arguments: [admin.name])
            guard let current, current["administrator"] as Bool, (current["disabled_at"] as Int64?) == nil else {
                throw StoreError(.signInFailed, "\(admin.name) is not this office's administrator: only the administrator disables officers")
            }
            guard name != admin.name else {
                throw StoreError(.badRequest, "the administrator cannot disable themselves: the office would be left without one")
            }
            guard let target = try Row.fetchOne(db, sql: "SELECT disabled_at FROM officer WHERE name = ?", arguments: [name]) else {
                throw StoreError(.badRequest, "no officer named \(name) here: see daftar officer list")
            }
            guard (target["disabled_at"] as Int64?) == nil else { throw StoreError(.badRequest, "\(name) is already disabled") }
            try db.execute(sql: "UPDATE officer SET disabled_at = ?, disabled_by = ? WHERE name = ?", arguments: [now, admin.name, name])
        }
    }
}
