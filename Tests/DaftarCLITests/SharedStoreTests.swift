import DaftarModel
import DaftarStore
import DaftarTesting
import Foundation
import Testing

/// A store open twice in one process (a server, and a second handle on the same file) while
/// other processes write to it: every handle sees every write. Opening must never touch the file
/// outside SQLite, since closing any descriptor of a file drops every POSIX lock the process
/// holds on it; another process closing the store would then take itself for the last user, fold
/// and delete the write-ahead log, and this process would go on reading the log it still has
/// open: an earlier state, with its own later writes going where no one reads them.
@Suite struct SharedStoreTests {
    @Test func aSecondHandleInTheProcess_leavesTheFirstSeeingOtherProcessesWrites() throws {
        let folder = try TemporaryFolder()
        let path = folder.file("central.daftar")
        let daftar = try Executable("daftar")
        let environment = ["DAFTAR_OFFICER": "Insp. Rashid"]
        let made = try daftar.run(["--db", path, "--node", "central", "-c", "add case title=first"], environment: environment)
        #expect(made.status == 0, "\(made.err)")
        let first = try Store.open(at: path)
        #expect(try first.count(Query(kind: try Kind("case"))) == 1)
        // A second handle, while the first holds its locks.
        let second = try Store.open(at: path)
        for n in 2...3 {
            // A command that fails closes its store on the way out (a command that succeeds
            // leaves that to the system): the last user of the file then folds the log in.
            let refused = try daftar.run(["--db", path, "-c", "set central-999 title=none"], environment: environment)
            #expect(refused.status == 1, "\(refused.out)")
            let added = try daftar.run(["--db", path, "-c", "add case title=number\(n)"], environment: environment)
            #expect(added.status == 0, "\(added.err)")
            #expect(try first.count(Query(kind: try Kind("case"))) == n, "the first handle sees \(n) entries")
            #expect(try second.count(Query(kind: try Kind("case"))) == n)
        }
        // What this process writes is seen by the next process.
        try first.write(as: "HQ") { _ = try $0.add(kind: try Kind("case"), fields: [try FieldName("title"): .text("from the server")]) }
        let counted = try daftar.run(["--db", path, "-c", "count case"], environment: environment)
        #expect(counted.out == "4\n", "\(counted.out) \(counted.err)")
    }
}
