import Foundation
import Testing

/// The `daftar` executable driven from outside.
@Suite struct CommandLineTests {
    let daftar: Executable
    let folder: TemporaryFolder
    let db: String

    init() throws {
        daftar = try Executable("daftar")
        folder = try TemporaryFolder()
        db = folder.file("lahore.daftar")
    }

    func run(_ arguments: [String]) throws -> Executable.Result {
        try daftar.run(arguments + ["--db", db], environment: ["DAFTAR_OFFICER": "Insp. Rashid"])
    }

    @Test func initAddShowHistory() throws {
        #expect(try run(["init", "--node", "fia-lahore"]).status == 0)
        let added = try run(["add", "incident", "title=\"Raid on call centre\"", "city=Lahore", "cnic=03001234567", "amount=12.50", "count=3"])
        #expect(added.status == 0, "\(added.err)")
        #expect(added.out == "fia-lahore-1\n")
        let shown = try run(["show", "fia-lahore-1"])
        #expect(shown.out.contains("cnic = 03001234567"))
        #expect(shown.out.contains("amount = 12.5"))
        #expect(shown.out.contains("title = Raid on call centre"))
        #expect(try run(["set", "fia-lahore-1", "status=closed"]).status == 0)
        let history = try run(["history", "fia-lahore-1"])
        #expect(history.out.split(separator: "\n").count == 2)
        #expect(history.out.contains("Insp. Rashid"))
        let status = try run(["status"])
        #expect(status.out.contains("node      fia-lahore"))
        #expect(status.out.contains("entries   1"))
        #expect(try run(["check"]).out == "ok\n")
    }

    @Test func defaultCommand_createsTheStoreOnFirstUse() throws {
        let result = try daftar.run([], environment: ["DAFTAR_DB": db, "DAFTAR_NODE": "fia-quetta"])
        #expect(result.status == 0, "\(result.err)")
        #expect(result.err.contains("created a new store for fia-quetta"))
        #expect(result.out.contains("node      fia-quetta"))
    }

    @Test func badInput_oneClearLine_nonZeroExit() throws {
        #expect(try run(["init", "--node", "fia-lahore"]).status == 0)
        let cases: [([String], String)] = [
            (["show", "fia-lahore-99"], "no entry fia-lahore-99"),
            (["add", ""], "the kind is empty"),
            (["add", "incident", "1bad=2"], "'1bad' is not a field name"),
            (["add", "incident", "noequals"], "is not name=value"),
            (["init", "--node", "fia-lahore"], "already exists"),
        ]
        for (arguments, message) in cases {
            let result = try run(arguments)
            #expect(result.status != 0, "\(arguments)")
            #expect(result.err.contains(message), "\(arguments): \(result.err)")
            #expect(result.err.split(separator: "\n").count == 1, "\(arguments): \(result.err)")
        }
        let badNode = try daftar.run(["init", "--node", "Bad_Node", "--db", folder.file("other.daftar")])
        #expect(badNode.status != 0)
        #expect(badNode.err.contains("is not a node id"))
        try folder.write("notes.txt", "not a store")
        let notStore = try daftar.run(["status", "--db", folder.file("notes.txt")])
        #expect(notStore.status != 0)
        #expect(notStore.err.contains("not a Daftar store"))
    }
}
