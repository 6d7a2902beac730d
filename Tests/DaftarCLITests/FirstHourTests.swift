import DaftarModel
import DaftarREPL
import DaftarStore
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// What a field officer hit in the console's first hour, each driven through the real
/// executable as the officer did (the interactive prompt is in TerminalTests). One test at a
/// time: each starts many processes, and the timing tests of other suites run beside them.
@Suite(.serialized) struct FirstHourTests: ConsoleScripts {
    let daftar: Executable
    let folder: TemporaryFolder

    init() throws {
        daftar = try Executable("daftar")
        folder = try TemporaryFolder()
    }

    func ids(_ out: String) -> [String] {
        out.split(separator: "\n").dropFirst(2).compactMap { line in line.split(separator: " ").first.map(String.init) }.filter { $0.contains("-") }
    }

    /// Item 4: numbers are found by their written digits, in `contains` and in `search`.
    @Test func numbersAreFoundAsText() async throws {
        // Off the shared threads: it waits on processes, and servers of other suites run there.
        try await offThePool { [self] () throws -> Void in
            let made = try script(
                "n.daftar",
                ["add person name=Ali cnic=3520212345671 age=41", "add seizure amount=1250000.50 note=cash", "add person name=Bilal cnic=3740512345679 age=29"])
            #expect(made.status == 0, "\(made.err)")
            #expect(ids(try command("n.daftar", "find person where cnic contains 352021").out) == ["fia-lahore-1"])
            #expect(ids(try command("n.daftar", "find where amount contains 12500").out) == ["fia-lahore-2"])
            #expect(ids(try command("n.daftar", "search 3520212345671").out) == ["fia-lahore-1"])
            #expect(ids(try command("n.daftar", "search 41").out) == ["fia-lahore-1"])
            #expect(try command("n.daftar", "find person where cnic contains 999").out == "no entries\n")
        }
    }

    /// Item 6: commas inside an unquoted value are part of it.
    @Test func commasInsideValues() async throws {
        // Off the shared threads: it waits on processes, and servers of other suites run there.
        try await offThePool { [self] () throws -> Void in
            let made = try script("c.daftar", ["add case suspects=fia-lahore-2,fia-lahore-3 title=raid", "add seizure amount=1,250,000.50"])
            #expect(made.status == 0, "\(made.err)")
            let shown = try command("c.daftar", "show fia-lahore-1", json: true).out
            #expect(shown.contains(#""value":"fia-lahore-2,fia-lahore-3""#), "\(shown)")
            let amount = try command("c.daftar", "count seizure where amount = 1250000.5").out
            #expect(amount == "1\n")
        }
    }

    /// Item 7: fields named `id` or `kind` survive an export and import, in CSV and JSON lines,
    /// with every other kind of field name beside them.
    @Test func exportImportRoundTripWithEveryFieldName() async throws {
        // Off the shared threads: it waits on processes, and servers of other suites run there.
        try await offThePool { [self] () throws -> Void in
            let names = ["id", "kind", "field", "_x", "Name", "a1", "ID", "cnic", "x_" + String(repeating: "y", count: 62)]
            var lines: [String] = []
            for (i, name) in names.enumerated() { lines.append("add person \(name)=v\(i) other=\"w,\(i)\"") }
            #expect(try script("from.daftar", lines).status == 0)
            for format in ["csv", "jsonl"] {
                let file = folder.file("out.\(format)")
                #expect(try command("from.daftar", "export \(format) \(file)").status == 0)
                let into = "into-\(format).daftar"
                let imported = try script(into, node: "fia-karachi", ["import \(format) \(file)"])
                #expect(imported.status == 0, "\(imported.err)")
                let a = try command("from.daftar", "find person order by id", json: true).out
                let b = try command(into, "find person order by id", json: true).out
                // Same fields and values; only the ids differ.
                let strip = { (s: String) in s.replacingOccurrences(of: "fia-lahore-", with: "ID").replacingOccurrences(of: "fia-karachi-", with: "ID") }
                #expect(strip(a) == strip(b), "\(format): \(a) vs \(b)")
            }
            let header = try String(contentsOfFile: folder.file("out.csv"), encoding: .utf8).split(separator: "\n")[0]
            #expect(header.hasPrefix("id,kind,"))
            #expect(header.contains("field:id") && header.contains("field:kind"))
        }
    }

    /// Item 8: advice that points the right way, in the officer's words.
    @Test func adviceThatPointsTheRightWay() async throws {
        // Off the shared threads: it waits on processes, and servers of other suites run there.
        try await offThePool { [self] () throws -> Void in
            #expect(try script("a.daftar", ["add case title=x"]).status == 0)
            let merge = try command("a.daftar", "merge \(folder.file("missing.daftar"))")
            #expect(merge.status == 1 && merge.err.contains("no file at") && !merge.err.contains("init"), "\(merge.err)")
            let restore = try daftar.run(["restore", folder.file("missing-backup.daftar"), "--as", "fia-lahore-2", "--db", folder.file("r.daftar")], environment: environment)
            #expect(restore.status == 1 && restore.err.contains("no backup file at") && !restore.err.contains("init"), "\(restore.err)")
            let asFolder = try daftar.run(["--db", folder.path, "-c", "status"], environment: environment)
            #expect(asFolder.status == 1 && asFolder.err.contains("is a folder, not a store file"), "\(asFolder.err)")
            #expect(!asFolder.err.contains("remove it"))
            let keep = try command("a.daftar", "fork keep nosuch-office")
            #expect(keep.status == 1 && keep.err.contains("no fork of nosuch-office"), "\(keep.err)")
            #expect(!keep.out.contains("kept"))
            // Nothing listens on the port: what happened and what to do, no library internals.
            let (listener, port) = boundLoopbackSocket()
            defer { close(listener) }
            // The port is bound but not listening: connections to it are refused.
            #expect(try daftar.run(["remote", "add", "central", "http://127.0.0.1:\(port)", "--token", "t", "--db", folder.file("a.daftar")], environment: environment).status == 0)
            let sync = try daftar.run(["sync", "--db", folder.file("a.daftar")], environment: environment)
            #expect(sync.status == 1)
            #expect(sync.err.contains("nothing is listening there"), "\(sync.err)")
            #expect(!sync.err.contains("errno") && !sync.err.contains("NIO"), "\(sync.err)")
            #expect(sync.err.filter { $0 == "(" }.count == sync.err.filter { $0 == ")" }.count, "\(sync.err)")
            // A port in use: said so, with what to do.
            #expect(listen(listener, 1) == 0)
            let serve = try daftar.run(["serve", "--db", folder.file("a.daftar"), "--port", "\(port)"], environment: environment, timeout: 30)
            #expect(serve.status == 1)
            #expect(serve.err.contains("cannot listen on 127.0.0.1:\(port): the address and port are already in use"), "\(serve.err)")
            #expect(!serve.err.contains("bind(descriptor"), "\(serve.err)")
            // backup and restore take no --node or --officer (they did nothing there).
            let help = try daftar.run(["backup", "--help"], environment: environment).out
            #expect(!help.contains("--node") && !help.contains("--officer") && help.contains("--db"))
        }
    }

    /// Item 11: every command's summary has a JSON form; `daftar --json sync` is sync's own.
    @Test func jsonFormsOfCommandSummaries() async throws {
        // Off the shared threads: it waits on processes, and servers of other suites run there.
        try await offThePool { [self] () throws -> Void in
            #expect(try script("j.daftar", ["add case title=x"]).status == 0)
            func document(_ arguments: [String]) throws -> [String: Any] {
                let result = try daftar.run(arguments + ["--db", folder.file("j.daftar")], environment: environment)
                return try #require(try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [String: Any], "\(arguments): \(result.out) \(result.err)")
            }
            #expect(try document(["node", "add", "fia-karachi", "--json"])["token"] as? String != nil)
            #expect((try document(["node", "list", "--json"])["nodes"] as? [Any])?.count == 1)
            #expect(try document(["remote", "add", "central", "http://127.0.0.1:9", "--token", "abc", "--json"])["remembered"] as? String == "central")
            #expect((try document(["remote", "list", "--json"])["remotes"] as? [Any])?.count == 1)
            #expect(try document(["backup", folder.file("j-backup.daftar"), "--json"])["backup"] as? String == folder.file("j-backup.daftar"))
            // Before or after the subcommand's name, --json is the summary's form; a failed sync is a
            // JSON document too.
            for arguments in [["--json", "sync"], ["sync", "--json"]] {
                let result = try daftar.run(arguments + ["--db", folder.file("j.daftar")], environment: environment, timeout: 60)
                #expect(result.status == 1)
                let sync = try #require(try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [String: Any], "\(result.out)")
                #expect(sync["remote"] as? String == "central" && sync["ok"] as? Bool == false && (sync["error"] as? String)?.contains("cannot reach") == true)
            }
            #expect(try daftar.run(["sync", "--help"], environment: environment).out.contains("--json-body"))
            // In the console: help, json on and json off answer as JSON documents.
            let console = try script("j.daftar", ["help", "help find", "json off"], json: true)
            let documents = console.out.split(separator: "\n").map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) }
            #expect(documents.count == 3 && documents.allSatisfy { $0 != nil }, "\(console.out)")
            let switched = try script("j.daftar", ["json on", "json off"])
            #expect(switched.out == "{\"json\":true}\n{\"json\":false}\n")
        }
    }

    /// Item 10: `sync --every` waits at most 60 s between attempts while the link is down, and
    /// every line carries the time.
    @Test func syncEveryBacksOffAtMostAMinute_withTimes() async throws {
        // Off the shared threads: it waits on processes, and servers of other suites run there.
        try await offThePool { [self] () throws -> Void in
            #expect(SyncReport.backOff(interval: 5, failures: 0) == 5)
            #expect((1...8).map { SyncReport.backOff(interval: 5, failures: $0) } == [10, 20, 40, 60, 60, 60, 60, 60])
            #expect(SyncReport.backOff(interval: 120, failures: 3) == 120)
            #expect(try script("e.daftar", ["add case title=x"]).status == 0)
            #expect(try daftar.run(["remote", "add", "central", "http://127.0.0.1:9", "--token", "abc", "--db", folder.file("e.daftar")], environment: environment).status == 0)
            let every = try InterruptedSyncTests.Background(daftar.url, ["sync", "--every", "40s", "--db", folder.file("e.daftar")], environment: environment, output: folder.file("every.out"))
            defer { every.kill() }
            var said = ""
            let until = Date().addingTimeInterval(30)
            while !said.contains("will try again"), Date() < until {
                Thread.sleep(forTimeInterval: 0.3)
                said = (try? String(contentsOfFile: folder.file("every.out"), encoding: .utf8)) ?? ""
            }
            #expect(said.contains("will try again in 60 s"), "\(said)")
            let stamp = try #require(try? Regex(#"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d  "#))
            for line in said.split(separator: "\n") { #expect(line.firstMatch(of: stamp) != nil, "no time on: \(line)") }
        }
    }

    /// Item 12: the small things.
    @Test func smallThings() async throws {
        // Off the shared threads: it waits on processes, and servers of other suites run there.
        try await offThePool { [self] () throws -> Void in
            let made = try script("s.daftar", ["add case title=one", "add case title=two", "add case note=\"a\ttab\""])
            #expect(made.status == 0)
            // A tab shows as ⇥ and keeps the columns aligned.
            let list = try command("s.daftar", "find case").out
            #expect(list.contains("a⇥tab") && !list.contains("\t"))
            // An officer's limit is what was wanted: no "more" line.
            #expect(!(try command("s.daftar", "find case limit 1").out.contains("more")))
            #expect(!(try command("s.daftar", "search one limit 1").out.contains("more")))
            // In a pipe, an error names the input line.
            let piped = try script("s.daftar", ["count", "bogus", "count"])
            #expect(piped.err.contains("error: line 2: unknown command 'bogus'"), "\(piped.err)")
            // Field-name errors say which letters.
            #expect(try command("s.daftar", "add case نام=x").err.contains("English letters (a-z, A-Z)"))
            // One entry, one change: singular.
            let file = folder.file("one.jsonl")
            try "{\"kind\":\"case\",\"fields\":{\"title\":\"x\"}}\n".write(toFile: file, atomically: true, encoding: .utf8)
            #expect(try command("s.daftar", "import jsonl \(file)").out.hasPrefix("imported 1 entry from"))
        }
    }

    /// Item 13: keeping a side ends the conflict on every field; a deleted-or-not conflict asks
    /// for the officer's intent.
    @Test func resolveKeepEndsTheWholeConflict() async throws {
        // Off the shared threads: it waits on processes, and servers of other suites run there.
        try await offThePool { [self] () throws -> Void in
            #expect(try script("a.daftar", node: "office-a", ["add incident title=start city=Quetta"]).status == 0)
            for n in ["b", "c"] { #expect(try script("\(n).daftar", node: "office-\(n)", ["merge \(folder.file("a.daftar"))"]).status == 0) }
            #expect(try command("a.daftar", "set office-a-1 city=Lahore").status == 0)
            #expect(try command("b.daftar", "set office-a-1 title=Raid").status == 0)
            #expect(try command("c.daftar", "set office-a-1 city=Karachi title=Seizure").status == 0)
            #expect(try command("a.daftar", "merge \(folder.file("b.daftar"))").status == 0)
            #expect(try command("a.daftar", "merge \(folder.file("c.daftar"))").status == 0)
            let kept = try command("a.daftar", "resolve office-a-1 keep office-b:1")
            #expect(kept.status == 0, "\(kept.err)")
            #expect(kept.out.contains("city as office-b:1 had seen it: Quetta"), "\(kept.out)")
            #expect(try command("a.daftar", "conflicts").out == "no conflicts\n")
            let shown = try command("a.daftar", "show office-a-1", json: true).out
            #expect(shown.contains(#""value":"Raid""#) && shown.contains(#""value":"Quetta""#), "\(shown)")
    
            // Deleted at one office, edited at another.
            #expect(try command("a.daftar", "add person name=Zahid").status == 0)
            #expect(try command("b.daftar", "merge \(folder.file("a.daftar"))").status == 0)
            #expect(try command("a.daftar", "delete office-a-4").status == 0)
            #expect(try command("b.daftar", "set office-a-4 name=\"Zahid Khan\"").status == 0)
            #expect(try command("a.daftar", "merge \(folder.file("b.daftar"))").status == 0)
            let written = try command("a.daftar", "resolve office-a-4 name=Zahid")
            #expect(written.status == 1 && written.err.contains("resolve office-a-4 keep deleted") && written.err.contains("keep live"), "\(written.err)")
            let live = try command("a.daftar", "resolve office-a-4 keep live")
            #expect(live.status == 0 && live.out.contains("stays, not deleted"), "\(live.out) \(live.err)")
            #expect(try command("a.daftar", "count person").out == "1\n")
            #expect(try command("a.daftar", "conflicts").out == "no conflicts\n")
        }
    }

    /// Items 14 and 15: paging with offset, and the vertical view.
    @Test func offsetAndVertical() async throws {
        // Off the shared threads: it waits on processes, and servers of other suites run there.
        try await offThePool { [self] () throws -> Void in
            let lines = (1...7).map { "add person name=P\($0) rank=\($0)" }
            #expect(try script("p.daftar", lines).status == 0)
            #expect(ids(try command("p.daftar", "find person order by rank limit 3 offset 3").out) == ["fia-lahore-4", "fia-lahore-5", "fia-lahore-6"])
            #expect(ids(try command("p.daftar", "find person order by rank desc offset 5").out) == ["fia-lahore-2", "fia-lahore-1"])
            let vertical = try command("p.daftar", "find person where rank = 2 vertical").out
            #expect(vertical == "── fia-lahore-2  person\nname  P2\nrank  2\n", "\(vertical)")
            let view = try script("p.daftar", ["view vertical", "find person where rank = 3", "view table", "find person where rank = 3"])
            #expect(view.out.contains("── fia-lahore-3  person") && view.out.contains("id            name  rank"), "\(view.out)")
        }
    }

    /// Item 16: undo reverts the officer's last change with a new one; history keeps both.
    @Test func undoRevertsTheLastChange() async throws {
        // Off the shared threads: it waits on processes, and servers of other suites run there.
        try await offThePool { [self] () throws -> Void in
            let session = try script(
                "u.daftar", ["add person name=Ali city=Lahore", "set fia-lahore-1 city=Karachi phone=0300", "undo", "show fia-lahore-1", "delete fia-lahore-1", "undo", "count person", "undo", "count person", "undo"])
            #expect(session.out.contains("undid set of fia-lahore-1: city back to Lahore, phone back to (unset)"), "\(session.out)")
            #expect(session.out.contains("undid delete of fia-lahore-1: restored it"))
            #expect(session.out.contains("undid add of fia-lahore-1: deleted fia-lahore-1"))
            #expect(session.err.contains("nothing to undo"))
            let history = try command("u.daftar", "history fia-lahore-1", json: true).out
            #expect(history.components(separatedBy: "\"dot\"").count - 1 == 6, "\(history)")
        }
    }

    /// Item 17: a file of commands from inside the console, errors naming file and line.
    @Test func sourceRunsAFile() async throws {
        // Off the shared threads: it waits on processes, and servers of other suites run there.
        try await offThePool { [self] () throws -> Void in
            let file = folder.file("raid.txt")
            try "# raid entries\nadd person name=Ali\n\nbogus\nadd person name=Bilal\n".write(toFile: file, atomically: true, encoding: .utf8)
            let result = try script("f.daftar", ["source \(file)", "count person"])
            #expect(result.out == "fia-lahore-1\nfia-lahore-2\n2\n", "\(result.out)")
            #expect(result.err.contains("\(file) line 4: unknown command 'bogus'"), "\(result.err)")
            #expect(result.err.contains("1 of 3 commands in \(file) failed (line 4)"))
            #expect(result.status == 1)
            #expect(try command("f.daftar", "source \(folder.path)").err.contains("is a folder"))
        }
    }

    /// Item 18: what refers to an entry.
    @Test func refsListsEntriesHoldingTheId() async throws {
        // Off the shared threads: it waits on processes, and servers of other suites run there.
        try await offThePool { [self] () throws -> Void in
            let made = try script(
                "r.daftar",
                ["add person name=Ali", "add person name=Bilal", "add case suspects=fia-lahore-1,fia-lahore-2", "add seizure person=fia-lahore-1 note=cash", "add case suspects=fia-lahore-12"])
            #expect(made.status == 0)
            #expect(ids(try command("r.daftar", "refs fia-lahore-1").out) == ["fia-lahore-3", "fia-lahore-4"])
            #expect(ids(try command("r.daftar", "refs fia-lahore-2").out) == ["fia-lahore-3"])
            #expect(try command("r.daftar", "refs fia-lahore-5").out == "no entry refers to fia-lahore-5\n")
            #expect(try command("r.daftar", "refs fia-lahore-99").status == 1)
        }
    }

    /// Item 19: a plate or a number is found however its separators were typed.
    @Test func searchForgivesSeparators() async throws {
        // Off the shared threads: it waits on processes, and servers of other suites run there.
        try await offThePool { [self] () throws -> Void in
            #expect(try script("g.daftar", ["add vehicle plate=LEA-1234", "add person phone=0300-1234567", "add vehicle plate=\"ICT 9876\""]).status == 0)
            #expect(ids(try command("g.daftar", "search LEA1234").out) == ["fia-lahore-1"])
            #expect(ids(try command("g.daftar", "search lea-1234").out) == ["fia-lahore-1"])
            #expect(ids(try command("g.daftar", "search 03001234567").out) == ["fia-lahore-2"])
            #expect(ids(try command("g.daftar", "search ICT9876").out) == ["fia-lahore-3"])
            #expect(try command("g.daftar", "search LEA1235").out == "no entries\n")
        }
    }

    /// Items 20 and 21: a CSV for Excel, read back with its byte-order mark; a repeated import is
    /// noticed; values holding the exporting store's ids are pointed out.
    @Test func excelAndRepeatedImports() async throws {
        // Off the shared threads: it waits on processes, and servers of other suites run there.
        try await offThePool { [self] () throws -> Void in
            #expect(try script("x.daftar", ["add person name=\"محمد علی\"", "add case suspect=fia-lahore-1"]).status == 0)
            let file = folder.file("excel.csv")
            let exported = try command("x.daftar", "export csv \(file) --excel")
            #expect(exported.status == 0, "\(exported.err)")
            let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
            #expect(Array(bytes.prefix(3)) == [0xEF, 0xBB, 0xBF])
            #expect(try command("x.daftar", "export csv \(folder.file("plain.csv"))").out.contains("--excel"))
            let first = try script("y.daftar", node: "fia-karachi", ["import csv \(file)"])
            #expect(first.status == 0, "\(first.err)")
            #expect(first.out.contains("imported 2 entries"))
            #expect(first.out.contains("1 imported entry refers to ids of the store that exported the file (fia-lahore-1)"), "\(first.out)")
            #expect(try command("y.daftar", "find person where name = \"محمد علی\"").out.contains("fia-karachi-1"))
            let again = try command("y.daftar", "import csv \(file)")
            #expect(again.status == 1 && again.err.contains("was imported here before") && again.err.contains("--again"), "\(again.err)")
            #expect(try command("y.daftar", "count").out == "2\n")
            #expect(try command("y.daftar", "import csv \(file) --again").status == 0)
            #expect(try command("y.daftar", "count").out == "4\n")
        }
    }
}
