import DaftarModel
import DaftarStore
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The store on a filesystem that fills up, and on one remounted read-only: clear errors and a
/// non-zero exit, and nothing that was there damaged. Needs to mount a small tmpfs, which takes
/// root (as in CI).
/// Whether this process may mount a tmpfs.
let canMount = getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/bin/mount")

@Suite(.serialized, .timeLimit(.minutes(5)), .enabled(if: canMount, "mounting a tmpfs needs root"))
struct FilesystemFaultTests {
    let daftar: Executable
    let folder: TemporaryFolder
    let mountPoint: String
    let env = ["DAFTAR_OFFICER": "Insp. Rashid"]

    init() throws {
        daftar = try Executable("daftar")
        folder = try TemporaryFolder()
        mountPoint = folder.file("disk")
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
    }

    /// Started by posix_spawn, as the console is (`Executable`): Foundation's `Process.run()`
    /// crashed here once in a full run, copying memory while starting `mount`.
    @discardableResult
    func sh(_ arguments: [String]) throws -> Int32 {
        try Executable(path: "/bin/" + arguments[0]).run(Array(arguments.dropFirst()), timeout: 30).status
    }

    func mount(megabytes: Int) throws {
        try #require(try sh(["mount", "-t", "tmpfs", "-o", "size=\(megabytes)m", "tmpfs", mountPoint]) == 0, "could not mount a tmpfs at \(mountPoint)")
    }

    func unmount() { _ = try? sh(["umount", "-l", mountPoint]) }

    @Test func fullDisk_refusesTheWrite_keepsEveryAcknowledgedEntry() throws {
        try mount(megabytes: 4)
        defer { unmount() }
        let db = mountPoint + "/office.daftar"
        #expect(try daftar.run(["--db", db, "--node", "fia-gwadar", "-c", "status"], environment: env).status == 0)
        // Entries of about 2 KB until the 4 MB disk is full.
        let filler = String(repeating: "smuggled diesel drums seized at the coast, ", count: 45)
        var lines = ""
        for i in 0..<3000 { lines += "add seizure n=\(i) note=\"\(filler)\"\n" }
        let result = try daftar.run(["--db", db], input: lines, environment: env, timeout: 90)
        #expect(result.status != 0)
        #expect(result.err.contains("full"), "\(result.err.suffix(300))")
        let acknowledged = result.out.split(separator: "\n").map(String.init).filter { $0.hasPrefix("fia-gwadar-") }
        #expect(acknowledged.count > 20, "the disk filled before the test meant anything")
        let store = try Store.open(at: db, options: Store.Options(readOnly: true))
        #expect(try store.integrityCheck() == [])
        for id in acknowledged { #expect(try store.record(try RecordID(id)) != nil, "\(id) was acknowledged but is missing") }
        #expect(try store.knowledge()[Chain(store.node, .general)] == UInt64(acknowledged.count))
    }

    @Test func readOnlyFilesystem_refusesWithAClearError_thenWorksAgain() throws {
        try mount(megabytes: 8)
        defer { unmount() }
        let db = mountPoint + "/office.daftar"
        #expect(try daftar.run(["--db", db, "--node", "fia-quetta", "-c", "add incident title=\"before the remount\""], environment: env).status == 0)
        try #require(try sh(["mount", "-o", "remount,ro", mountPoint]) == 0)
        let add = try daftar.run(["--db", db, "-c", "add incident title=\"on a read-only disk\""], environment: env)
        #expect(add.status != 0)
        #expect(add.err.contains("read-only") || add.err.contains("cannot be written") || add.err.contains("cannot open"), "\(add.err)")
        #expect(!add.err.contains("Fatal error"))
        try #require(try sh(["mount", "-o", "remount,rw", mountPoint]) == 0)
        let find = try daftar.run(["--db", db, "--json", "-c", "find incident"], environment: env)
        #expect(find.status == 0, "\(find.err)")
        #expect(find.out.contains("before the remount") && !find.out.contains("on a read-only disk"))
        #expect(try daftar.run(["--db", db, "-c", "check"], environment: env).status == 0)
    }
}
