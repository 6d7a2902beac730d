import DaftarModel
import Foundation
import Testing

@testable import DaftarStore

/// Officers sign in (DESIGN promise 18): the first officer is the administrator, who adds and
/// disables the others; passphrases are kept only as scrypt hashes; failed sign-ins are logged
/// and slowed.
@Suite struct OfficerTests {
    let folder: TemporaryFolder
    init() throws { folder = try TemporaryFolder() }

    func store(_ node: String) throws -> Store {
        var options = Store.Options()
        options.scryptRounds = 1024
        return try Store.create(at: folder.file("\(node).daftar"), node: try NodeID(node), options: options)
    }

    @Test func theFirstOfficerIsTheAdministrator_whoAloneAddsOthers() throws {
        let s = try store("fia-lahore")
        #expect(try !s.hasOfficers())
        let admin = try s.addOfficer("  Insp. Rashid ", passphrase: "lahore register 2026", by: nil)
        #expect(admin.name == "Insp. Rashid" && admin.administrator)
        // Nobody signed in adds no one once there is an administrator.
        #expect(storeError { try s.addOfficer("SI Aslam", passphrase: "aslam passphrase", by: nil) }?.code == .signInFailed)
        let aslam = try s.addOfficer("SI Aslam", passphrase: "aslam passphrase", by: admin)
        #expect(!aslam.administrator)
        // An officer who is not the administrator adds no one.
        let signedIn = try s.signIn("SI Aslam", passphrase: "aslam passphrase")
        #expect(storeError { try s.addOfficer("ASI Bano", passphrase: "bano passphrase", by: signedIn) }?.code == .signInFailed)
        // Names: one per officer; passphrases: 8 characters at least; names as changes record them.
        #expect(storeError { try s.addOfficer("SI Aslam", passphrase: "another one", by: admin) }?.message.contains("already an officer") == true)
        #expect(storeError { try s.addOfficer("ASI Bano", passphrase: "short", by: admin) }?.message.contains("at least 8") == true)
        #expect(storeError { try s.addOfficer("bad\u{7}name", passphrase: "long enough", by: admin) }?.code == .badRequest)
        let urdu = try s.addOfficer("انسپکٹر راشد", passphrase: "پاس ورڈ لمبا ہے", by: admin)
        #expect(try s.signIn("انسپکٹر راشد", passphrase: "پاس ورڈ لمبا ہے") == urdu)
        #expect(try s.officers().map(\.name) == ["Insp. Rashid", "SI Aslam", "انسپکٹر راشد"])
    }

    @Test func aWrongPassphraseIsRefused_logged_andTheNextTryWaits() throws {
        let s = try store("fia-karachi")
        try s.addOfficer("Insp. Rashid", passphrase: "lahore register 2026", by: nil)
        #expect(try s.signIn("Insp. Rashid", passphrase: "lahore register 2026").name == "Insp. Rashid")
        let wrong = storeError { _ = try s.signIn("Insp. Rashid", passphrase: "lahore register 2025") }
        #expect(wrong?.code == .signInFailed)
        #expect(wrong?.message.contains("failed sign-ins are logged") == true)
        // The same answer for a name that is no officer's: it does not tell which names exist.
        let unknown = storeError { _ = try s.signIn("Insp. Nobody", passphrase: "lahore register 2026") }
        #expect(unknown?.message.contains("no officer Insp. Nobody with that passphrase") == true)
        #expect(wrong?.message.contains("no officer Insp. Rashid with that passphrase") == true)
        // The second failure within ten minutes waits at least half a second before it answers.
        let started = ContinuousClock.now
        _ = storeError { _ = try s.signIn("Insp. Rashid", passphrase: "not it at all") }
        #expect(ContinuousClock.now - started >= .milliseconds(450))
        let rashid = try #require(try s.officers().first)
        #expect(rashid.recentFailures == 2 && rashid.lastSignIn != nil)
        #expect(try s.unknownNameFailures() == 1)
        // The right passphrase still signs in.
        #expect(try s.signIn("Insp. Rashid", passphrase: "lahore register 2026").administrator)
    }

    @Test func aDisabledOfficerCannotSignIn_andTheAdministratorCannotBeDisabledByThemselves() throws {
        let s = try store("fia-quetta")
        let admin = try s.addOfficer("Insp. Rashid", passphrase: "lahore register 2026", by: nil)
        try s.addOfficer("SI Aslam", passphrase: "aslam passphrase", by: admin)
        let aslam = try s.signIn("SI Aslam", passphrase: "aslam passphrase")
        #expect(storeError { try s.disableOfficer("Insp. Rashid", by: aslam) }?.code == .signInFailed)
        #expect(storeError { try s.disableOfficer("Insp. Rashid", by: admin) }?.message.contains("cannot disable themselves") == true)
        try s.disableOfficer("SI Aslam", by: admin)
        #expect(storeError { _ = try s.signIn("SI Aslam", passphrase: "aslam passphrase") }?.message.contains("disabled") == true)
        #expect(try s.officers().first { $0.name == "SI Aslam" }?.disabledBy == "Insp. Rashid")
        #expect(storeError { try s.disableOfficer("SI Aslam", by: admin) }?.message.contains("already disabled") == true)
        #expect(storeError { try s.disableOfficer("SI Nobody", by: admin) }?.message.contains("no officer named") == true)
    }

    @Test func onlyTheHashIsKept_withTheCostItWasMadeWith() throws {
        let s = try store("fia-gwadar")
        try s.addOfficer("Insp. Rashid", passphrase: "zarghoon informant passphrase", by: nil)
        let kdf = try s.read { db in try String.fetchOne(db, sql: "SELECT kdf FROM officer") }
        #expect(kdf == "scrypt N=1024 r=8 p=1")
        try s.pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: s.path)))
        if let wal = try? Data(contentsOf: URL(fileURLWithPath: s.path + "-wal")) { bytes += wal }
        let needle = Array("zarghoon informant".utf8)
        let found = (0...(bytes.count - needle.count)).contains { bytes[$0..<$0 + needle.count].elementsEqual(needle) }
        #expect(!found, "the passphrase is nowhere in the store's bytes")
        // A hash made at another cost is still read with its own: a store whose cost is raised
        // later signs its old officers in.
        var options = Store.Options()
        options.scryptRounds = 2048
        let raised = try Store.open(at: s.path, options: options)
        #expect(try raised.signIn("Insp. Rashid", passphrase: "zarghoon informant passphrase").administrator)
    }
}
