import DaftarModel
import DaftarStore
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The `daftar` executable driven from outside, as an officer's script would.
@Suite struct CommandLineTests: ConsoleScripts {
    let daftar: Executable
    let folder: TemporaryFolder

    init() throws {
        daftar = try Executable("daftar")
        folder = try TemporaryFolder()
    }

    @Test func pipedCommands_noPromptNoBanner_findSearchHistory() async throws {
        // Off the shared threads: it waits on processes, and servers of other suites run there.
        try await offThePool { [self] () throws -> Void in
            let result = try script(
                "lahore.daftar",
                [
                    "add incident title=\"Raid on call centre\" city=Lahore status=open cnic=03001234567 amount=12.50",
                    "add person name=\"محمد علی\" city=Karachi age=41",
                    "# a comment line is skipped",
                    "add person name=\"Ayesha Khan\" city=Lahore age=29",
                    "set fia-lahore-1 status=closed",
                    "count person where age >= 30",
                ])
            #expect(result.status == 0, "\(result.err)")
            #expect(result.out == "fia-lahore-1\nfia-lahore-2\nfia-lahore-3\nfia-lahore-1 set\n1\n")
            // Folded Urdu letters: Arabic yeh (ي) finds Urdu yeh (ی), in search and in contains.
            let search = try command("lahore.daftar", "search علي")
            #expect(search.out.contains("fia-lahore-2"))
            #expect(!search.out.contains("fia-lahore-3"))
            let contains = try command("lahore.daftar", "find person where name contains \"علي\"")
            #expect(contains.out.contains("محمد علی"))
            let found = try command("lahore.daftar", "find where city = Lahore order by id desc")
            let ids = found.out.split(separator: "\n").dropFirst(2).map { $0.split(separator: " ").first.map(String.init) ?? "" }
            #expect(ids == ["fia-lahore-3", "fia-lahore-1"])
            #expect(found.out.contains("03001234567"))
            let history = try command("lahore.daftar", "history fia-lahore-1")
            #expect(history.out.contains("add") && history.out.contains("status=closed"))
            #expect(history.out.contains("Insp. Rashid"))
        }
    }

    /// A sync that cannot reach its server (or whose server refuses it) is one `error:` line in
    /// the console, in piped and `-c` modes; the session goes on (it used to stop the process:
    /// "Client not shut down before the deinit").
    @Test func failedSync_isOneErrorLine_andTheSessionGoesOn() async throws {
        let db = folder.file("office.daftar")
        let daftar = self.daftar
        let environment = self.environment
        #expect(try script("office.daftar", ["add incident title=x"]).status == 0)
        // Nothing listens on port 1 of the loopback address: every connection is refused (the
        // client tries again until its 10 s connect timeout; waited for off the shared threads).
        #expect(try daftar.run(["remote", "add", "central", "http://127.0.0.1:1", "--token", "dft1_nothing", "--db", db], environment: environment).status == 0)
        let session = try await offThePool {
            try daftar.run(
                ["--db", db, "--node", "fia-lahore"], input: ["sync", "fork find fia-lahore with central", "status"].joined(separator: "\n") + "\n",
                environment: environment)
        }
        #expect(session.status == 1)
        #expect(!session.err.contains("not shut down") && !session.err.contains("Fatal") && !session.err.contains("Crash"), "\(session.err)")
        let errors = session.err.split(separator: "\n").filter { $0.hasPrefix("error: ") }
        #expect(errors.count == 2, "\(session.err)")
        #expect(errors.first?.contains("cannot reach central") == true, "\(session.err)")
        #expect(session.out.contains("changes    1 held"), "the session went on to status: \(session.out)")
        let single = try await offThePool { try daftar.run(["--db", db, "-c", "sync"], environment: environment) }
        #expect(single.status == 1 && single.err.hasPrefix("error: ") && !single.err.contains("not shut down"), "\(single.err)")
    }

    /// The connection limits of `serve` refuse values that make no sense, saying the range, and
    /// start nothing (the store is not even created).
    @Test func serveWithBadConnectionLimits_isRefusedWithTheRange() async throws {
        // Off the shared threads: it waits on processes, and servers of other suites run there.
        try await offThePool { [self] () throws -> Void in
            let db = folder.file("central.daftar")
            for (flag, value, says) in [
                ("--header-timeout", "0", "--header-timeout must be 1 to 3600 seconds"), ("--body-timeout", "99999", "--body-timeout must be 1 to 3600 seconds"),
                ("--max-connections", "0", "--max-connections must be 1 to 1000000"), ("--max-connections", "many", "many"),
            ] {
                let result = try daftar.run(["serve", "--db", db, "--node", "central", "--port", "0", flag, value], environment: environment, timeout: 20)
                #expect(result.status != 0 && result.err.contains(says), "\(flag) \(value): \(result.status) \(result.err)")
                #expect(!result.out.contains("listening on"))
            }
            #expect(!FileManager.default.fileExists(atPath: db))
        }
    }

    @Test func failingCommand_oneLine_sessionGoesOn_exitNonZero() async throws {
        // Off the shared threads: it waits on processes, and servers of other suites run there.
        try await offThePool { [self] () throws -> Void in
            let result = try script(
                "a.daftar", ["add incident title=x", "add incident title=y", "bogus", "find person where age ~ 3", "add incident title=\"open", "show fia", "show zzz-9", "count"])
            #expect(result.status == 1)
            #expect(result.out == "fia-lahore-1\nfia-lahore-2\n2\n")  // the commands after each failure still ran
            let errors = result.err.split(separator: "\n").filter { $0.hasPrefix("error: ") }
            #expect(errors.count == 5, "\(result.err)")
            #expect(errors[0].contains("unknown command 'bogus'"))
            #expect(errors[1].contains("unknown operator"))
            #expect(errors[2].contains("unterminated quote"))
            #expect(errors[3].contains("could be fia-lahore-1, fia-lahore-2"))
            #expect(errors[4].contains("no entry zzz-9"))
            let single = try command("a.daftar", "set fia-lahore-1")
            #expect(single.status == 1)
            #expect(single.err.hasPrefix("error: usage: set ID name=value"))
        }
    }

    @Test func conflictsAfterMergingAnotherStore_resolvedByKeepingASide() async throws {
        // Off the shared threads: it waits on processes, and servers of other suites run there.
        try await offThePool { [self] () throws -> Void in
            #expect(try script("lahore.daftar", ["add case title=Smuggling status=open"]).status == 0)
            // Karachi starts from a copy of Lahore's changes, then both edit the same field.
            #expect(try script("karachi.daftar", node: "fia-karachi", ["merge \(folder.file("lahore.daftar"))"]).status == 0)
            #expect(try command("lahore.daftar", "set fia-lahore-1 status=closed").status == 0)
            #expect(try command("karachi.daftar", "set fia-lahore-1 status=referred").status == 0)
            let merged = try command("lahore.daftar", "merge \(folder.file("karachi.daftar"))")
            #expect(merged.status == 0, "\(merged.err)")
            #expect(merged.out.contains("1 change applied, 1 new conflict"), "\(merged.out)")
            let list = try command("lahore.daftar", "conflicts")
            #expect(list.out.contains("fia-lahore-1") && list.out.contains("status"))
            let sides = try command("lahore.daftar", "conflicts fia-lahore-1")
            #expect(sides.out.contains("closed") && sides.out.contains("referred"))
            let sidesJSON = try JSONSerialization.jsonObject(with: Data(try command("lahore.daftar", "conflicts fia-lahore-1", json: true).out.utf8)) as? [String: Any]
            let listed = try #require(sidesJSON?["sides"] as? [[String: String]])
            let closedSide = try #require(listed.first { $0["office"] == "fia-lahore" }?["side"])
            #expect(try command("lahore.daftar", "resolve fia-lahore-1 keep \(closedSide)").status == 0)
            #expect(try command("lahore.daftar", "conflicts").out == "no conflicts\n")
            // The resolution is an ordinary change: merged back, it ends the conflict at Karachi too.
            #expect(try command("karachi.daftar", "merge \(folder.file("lahore.daftar"))").status == 0)
            #expect(try command("karachi.daftar", "conflicts").out == "no conflicts\n")
            let shown = try command("karachi.daftar", "show fia-lahore-1", json: true)
            let entry = try #require(try JSONSerialization.jsonObject(with: Data(shown.out.utf8)) as? [String: Any])
            let status = try #require((entry["fields"] as? [String: Any])?["status"] as? [[String: Any]])
            #expect(status.count == 1 && status[0]["value"] as? String == "closed")
            // Both values are still in history.
            let history = try command("karachi.daftar", "history fia-lahore-1")
            #expect(history.out.contains("referred") && history.out.contains("closed"))
        }
    }

    @Test func exportThenImportIntoAFreshStore_givesTheSameRegister() async throws {
        // Off the shared threads: it waits on processes, and servers of other suites run there.
        try await offThePool { [self] () throws -> Void in
            let lines = [
                "add person name=\"محمد علی\" cnic=03001234567 age=41 height=1.80 armed=false note=\"says \\\"hello\\\", twice\"",
                "add person name=\"12\" city=\"true\" remark=\"line one\\nline two\"",
                "add vehicle plate=LEA-1234 colour=white seized=true",
                "delete fia-lahore-3",
                "add vehicle plate=\"\" colour=' quoted'",
            ]
            #expect(try script("source.daftar", lines).status == 0)
            for format in ["csv", "jsonl"] {
                let file = folder.file("register.\(format)")
                #expect(try command("source.daftar", "export \(format) \(file)").status == 0)
                let target = "fresh-\(format).daftar"
                let imported = try script(target, node: "fia-quetta", ["import \(format) \(file)"])
                #expect(imported.status == 0, "\(imported.err)")
                #expect(imported.out.contains("imported 3 entries"))
                #expect(try register("source.daftar") == register(target), "\(format)")
            }
        }
    }

    /// Every live entry's kind and fields, without ids (a fresh store gives new ids).
    func register(_ name: String) throws -> [String] {
        let out = try command(name, "find limit 1000", json: true).out
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
        let entries = try #require(doc["entries"] as? [[String: Any]])
        return try entries.map { entry in
            let fields = try JSONSerialization.data(withJSONObject: entry["fields"] ?? [:], options: [.sortedKeys])
            return "\(entry["kind"] ?? "")|\(String(decoding: fields, as: UTF8.self))"
        }.sorted()
    }

    @Test func importWithABadRow_importsNothing_andNamesTheLine() async throws {
        // Off the shared threads: it waits on processes, and servers of other suites run there.
        try await offThePool { [self] () throws -> Void in
            try folder.write("bad.csv", "kind,name,age\nperson,Ali,30\nperson,Bilal,31\n1bad,Sara,20\n")
            let result = try script("a.daftar", ["import csv \(folder.file("bad.csv"))", "count"])
            #expect(result.status == 1)
            #expect(result.err.contains("line 4"), "\(result.err)")
            #expect(result.out == "0\n")
            try folder.write("bad.jsonl", "{\"kind\":\"person\",\"fields\":{\"name\":\"Ali\"}}\n{\"kind\":\"person\",\"fields\":{\"age\":1.5}}\n")
            let json = try command("a.daftar", "import jsonl \(folder.file("bad.jsonl"))")
            #expect(json.status == 1)
            #expect(json.err.contains("line 2"), "\(json.err)")
        }
    }

    @Test func jsonOutput_isOneParsableDocumentPerResult() async throws {
        // Off the shared threads: it waits on processes, and servers of other suites run there.
        try await offThePool { [self] () throws -> Void in
            let result = try script(
                "j.daftar", ["add person name=Ali age=30", "find person", "count", "show fia-lahore-1", "history fia-lahore-1", "status", "search ali", "bogus"], json: true)
            #expect(result.status == 1)
            let documents = result.out.split(separator: "\n")
            #expect(documents.count == 8)
            for document in documents {
                #expect((try? JSONSerialization.jsonObject(with: Data(document.utf8))) is [String: Any], "\(document)")
            }
            let error = try JSONSerialization.jsonObject(with: Data(documents[7].utf8)) as? [String: String]
            #expect(error?["error"] == "bad_command")
            let status = try JSONSerialization.jsonObject(with: Data(documents[5].utf8)) as? [String: Any]
            #expect(status?["node"] as? String == "fia-lahore")
            #expect(status?["entries"] as? Int == 1)
        }
    }

    @Test func startingWithoutAStore_needsANodeId() async throws {
        // Off the shared threads: it waits on processes, and servers of other suites run there.
        try await offThePool { [self] () throws -> Void in
            let missing = try daftar.run(["--db", folder.file("none.daftar"), "-c", "status"], environment: environment)
            #expect(missing.status == 1)
            #expect(missing.err.contains("give --node ID"))
            let bad = try daftar.run(["--db", folder.file("none.daftar"), "--node", "Bad_Node", "-c", "status"], environment: environment)
            #expect(bad.status == 1)
            #expect(bad.err.contains("is not a node id"))
            let created = try daftar.run(["-c", "status"], environment: environment.merging(["DAFTAR_DB": folder.file("env.daftar"), "DAFTAR_NODE": "fia-quetta"]) { $1 })
            #expect(created.status == 0)
            #expect(created.err.contains("created a new store for fia-quetta"))
            #expect(created.out.contains("node       fia-quetta"))
            try folder.write("notes.txt", "not a store")
            let notStore = try daftar.run(["--db", folder.file("notes.txt"), "-c", "status"], environment: environment)
            #expect(notStore.status == 1)
            #expect(notStore.err.contains("not a Daftar store"))
        }
    }

    /// A server's own node id cannot be registered: `daftar node add` of it exits 1, says why, and registers nothing.
    @Test func nodeAdd_ofTheStoresOwnId_isRefused() async throws {
        // Off the shared threads: it waits on processes, and servers of other suites run there.
        try await offThePool { [self] () throws -> Void in
            let central = folder.file("central.daftar")
            #expect(try daftar.run(["--db", central, "--node", "central", "-c", "status"], environment: environment).status == 0)
            let own = try daftar.run(["node", "add", "central", "--db", central], environment: environment)
            #expect(own.status == 1)
            #expect(own.err.hasPrefix("error: central is this node's own id"), "\(own.err)")
            #expect(own.out.isEmpty)  // no token printed
            #expect(try daftar.run(["node", "list", "--db", central], environment: environment).out == "no nodes registered: daftar node add ID\n")
            let relay = try daftar.run(["node", "add", "central", "--relay", "--db", central], environment: environment)
            #expect(relay.status == 1, "\(relay.out)")
        }
    }

    /// A relay that sent a change in the server's own name, to a real server, is named by `daftar -c status` on a line starting with `REFUSED`, and nothing of it was kept.
    @Test func relaySendingAsTheServer_isNamedByStatus() async throws {
        let path = folder.file("central.daftar")
        #expect(try daftar.run(["--db", path, "--node", "central", "-c", "add incident title=\"at headquarters\""], environment: environment).status == 0)
        let added = try daftar.run(["node", "add", "punjab-hub", "--relay", "--db", path], environment: environment)
        #expect(added.status == 0, "\(added.err)")
        let token = added.out.trimmingCharacters(in: .whitespacesAndNewlines)
        let central = try Store.open(at: path)
        let first = try #require(try central.change(at: Dot(origin: central.node, seq: 1)))
        // The next change in the server's name, correctly chained, as a relay might forge it.
        let forged = try Change(
            dot: Dot(origin: central.node, seq: 2), record: first.record, kind: first.kind, operation: .set, fields: [try FieldName("title"): .text("forged")],
            vector: VersionVector([(central.node, 2)]), hlc: HLC(milliseconds: first.hlc.milliseconds + 1), officer: "Forger",
            wallTime: first.wallTime + 1, prev: ChainLink(seq: 1, hash: first.hash))
        let body = Array(#"{"node":"punjab-hub","knowledge":{},"changes":["#.utf8) + Array(try JSONEncoder().encode(forged)) + Array("]}".utf8)
        let (status, data) = try await withLiveServer(central) { url in
            let port = try #require(Int(url.split(separator: ":").last ?? ""))
            return try await offThePool { () throws -> (Int, Data) in
                let http = try RawHTTP(port: port)
                http.send(RawHTTP.postHead(path: "/v1/sync", token: token, contentType: "application/json", length: body.count) + body)
                return try http.response()
            }
        }
        #expect(status == 200)
        let answer = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect((answer["stop"] as? [String: Any])?["reason"] as? String == "origin_not_allowed", "\(answer)")
        #expect(try central.knowledge()[Chain(central.node, .general)] == 1)

        let shown = try command("central.daftar", "status")
        #expect(shown.status == 0, "\(shown.err)")
        let refused = shown.out.split(separator: "\n").filter { $0.hasPrefix("REFUSED") }
        #expect(refused.count == 1, "\(shown.out)")
        #expect(refused.first?.contains("punjab-hub sent changes in this node's own name (central) 1 time(s)") == true, "\(refused)")
        #expect(refused.first?.contains("nothing of them was kept") == true)
        #expect(try command("central.daftar", "history central-1").out.contains("forged") == false)
    }

    @Test func backupAndRestore_underANewNodeId() async throws {
        // Off the shared threads: it waits on processes, and servers of other suites run there.
        try await offThePool { [self] () throws -> Void in
            #expect(try script("office.daftar", ["add case title=kept"]).status == 0)
            let backup = folder.file("office-backup.daftar")
            let made = try daftar.run(["backup", backup, "--db", folder.file("office.daftar")], environment: environment)
            #expect(made.status == 0, "\(made.err)")
            let again = try daftar.run(["backup", backup, "--db", folder.file("office.daftar")], environment: environment)
            #expect(again.status == 1 && again.err.contains("already exists"))
            let sameID = try daftar.run(["restore", backup, "--as", "fia-lahore", "--db", folder.file("r1.daftar")], environment: environment)
            #expect(sameID.status == 1 && sameID.err.contains("needs a new node id"))
            let restored = try daftar.run(["restore", backup, "--as", "fia-lahore-2", "--db", folder.file("r2.daftar")], environment: environment)
            #expect(restored.status == 0, "\(restored.err)")
            #expect(try command("r2.daftar", "status").out.contains("node       fia-lahore-2"))
            #expect(try command("r2.daftar", "add case title=new").out == "fia-lahore-2-1\n")
            #expect(try command("r2.daftar", "count").out == "2\n")
        }
    }
}

/// `daftar key show`: the node's fingerprint, for the central node's operator to compare or pin.
@Suite struct KeyCommandTests: ConsoleScripts {
    let daftar: Executable
    let folder: TemporaryFolder

    init() throws {
        daftar = try Executable("daftar")
        folder = try TemporaryFolder()
    }

    @Test func keyShow_printsTheFingerprint_andSaysWhatIsWrongWithTheKeyFile() async throws {
        try await offThePool { [self] () throws -> Void in
            #expect(try script("kasur.daftar", ["status"]).status == 0)
            let store = folder.file("kasur.daftar")
            let shown = try daftar.run(["key", "show", "--db", store])
            #expect(shown.status == 0, "\(shown.err)")
            let fingerprint = try #require(try Store.open(at: store).publicKey()?.fingerprint)
            #expect(shown.out.contains("fia-lahore") && shown.out.contains(store + ".key"))
            #expect(shown.out.replacingOccurrences(of: " ", with: "").contains(fingerprint), "\(shown.out)")
            let json = try daftar.run(["--json", "key", "show", "--db", store])
            let document = try #require(try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as? [String: Any])
            #expect(document["fingerprint"] as? String == fingerprint)
            #expect(document["node"] as? String == "fia-lahore")
            // Readable by others: refused, saying how to fix it.
            chmod(store + ".key", 0o644)
            let open = try daftar.run(["key", "show", "--db", store])
            #expect(open.status != 0 && open.err.contains("chmod 600"), "\(open.out) \(open.err)")
            // Missing: refused, saying a backup does not hold it.
            try FileManager.default.moveItem(atPath: store + ".key", toPath: folder.file("elsewhere.key"))
            let missing = try daftar.run(["key", "show", "--db", store])
            #expect(missing.status != 0 && missing.err.contains("is missing"), "\(missing.out) \(missing.err)")
            // No store: the usual advice.
            let none = try daftar.run(["key", "show", "--db", folder.file("nosuch.daftar")])
            #expect(none.status != 0 && none.err.contains("no store at"), "\(none.err)")
        }
    }
}

/// Officers sign in through the executable: the store's maker is its administrator, who adds and
/// disables officers; a change names the officer signed in; a wrong passphrase or none records
/// nothing.
@Suite struct OfficerCommandTests: ConsoleScripts {
    let daftar: Executable
    let folder: TemporaryFolder

    init() throws {
        daftar = try Executable("daftar")
        folder = try TemporaryFolder()
    }

    @Test func theAdministratorAddsAnOfficer_whoSignsIn_andChangesNameThem() async throws {
        try await offThePool { [self] () throws -> Void in
            let db = folder.file("lahore.daftar")
            let made = try script("lahore.daftar", ["add incident title=\"first\""])
            #expect(made.status == 0 && made.err.contains("Insp. Rashid is this office's administrator"), "\(made.err)")
            try folder.write("aslam.pass", "aslam passphrase 9\n")
            // Readable by others, a passphrase file is refused, saying how to fix it.
            chmod(folder.file("aslam.pass"), 0o644)
            let open = try daftar.run(["officer", "add", "SI Aslam", "--db", db, "--new-passphrase-file", folder.file("aslam.pass")], environment: environment)
            #expect(open.status != 0 && open.err.contains("chmod 600"), "\(open.err)")
            chmod(folder.file("aslam.pass"), 0o600)
            let added = try daftar.run(["officer", "add", "SI Aslam", "--db", db, "--new-passphrase-file", folder.file("aslam.pass")], environment: environment)
            #expect(added.status == 0 && added.out.contains("added SI Aslam"), "\(added.out) \(added.err)")
            let aslam = ["DAFTAR_OFFICER": "SI Aslam", "DAFTAR_PASSPHRASE_FILE": folder.file("aslam.pass")]
            let recorded = try daftar.run(["--db", db, "-c", "add person name=\"محمد علی\""], environment: aslam)
            #expect(recorded.status == 0, "\(recorded.err)")
            let history = try command("lahore.daftar", "history fia-lahore-2")
            #expect(history.out.contains("SI Aslam"), "\(history.out)")
            // SI Aslam is not the administrator: adds no one, disables no one, writes no grant.
            let refused = try daftar.run(["officer", "add", "ASI Bano", "--db", db, "--new-passphrase-file", folder.file("aslam.pass")], environment: aslam)
            #expect(refused.status != 0 && refused.err.contains("not this office's administrator"), "\(refused.err)")
            let grant = try daftar.run(["node", "add", "fia-kasur", "--db", db], environment: aslam)
            #expect(grant.status != 0 && grant.err.contains("administrator"), "\(grant.err)")
            let discard = try daftar.run(["--db", db, "-c", "fork discard fia-lahore from 2"], environment: aslam)
            #expect(discard.status != 0 && discard.err.contains("only the office's administrator"), "\(discard.err)")
            // A wrong passphrase: refused, nothing recorded, logged.
            try folder.write("wrong.pass", "not the passphrase\n")
            chmod(folder.file("wrong.pass"), 0o600)
            let wrong = try daftar.run(
                ["--db", db, "-c", "add incident title=\"should not be\""], environment: ["DAFTAR_OFFICER": "SI Aslam", "DAFTAR_PASSPHRASE_FILE": folder.file("wrong.pass")])
            #expect(wrong.status != 0 && wrong.err.contains("no officer SI Aslam with that passphrase"), "\(wrong.err)")
            #expect(try command("lahore.daftar", "count").out == "2\n")
            // No passphrase at all (no file, no terminal): refused with what to give.
            let none = try daftar.run(["--db", db, "-c", "count"], environment: ["DAFTAR_OFFICER": "SI Aslam", "DAFTAR_PASSPHRASE_FILE": ""])
            #expect(none.status != 0 && none.err.contains("--passphrase-file"), "\(none.err)")
            let noName = try daftar.run(["--db", db, "-c", "count"], environment: ["DAFTAR_OFFICER": ""])
            #expect(noName.status != 0 && noName.err.contains("--officer NAME"), "\(noName.err)")
            // The list shows the failure; disabled, SI Aslam signs in no more.
            let list = try daftar.run(["officer", "list", "--db", db], environment: environment)
            #expect(list.out.contains("Insp. Rashid  (administrator)") && list.out.contains("SI Aslam") && list.out.contains("1 failed sign-in"), "\(list.out)")
            let json = try daftar.run(["--json", "officer", "list", "--db", db], environment: environment)
            #expect(json.out.contains("\"failedSignIns24h\":1"), "\(json.out)")
            // Bad input at the command line: said, and nothing changed.
            try folder.write("short.pass", "short\n")
            chmod(folder.file("short.pass"), 0o600)
            let short = try daftar.run(["officer", "add", "ASI Bano", "--db", db, "--new-passphrase-file", folder.file("short.pass")], environment: environment)
            #expect(short.status != 0 && short.err.contains("at least 8"), "\(short.err)")
            let nobody = try daftar.run(["officer", "disable", "SI Nobody", "--db", db], environment: environment)
            #expect(nobody.status != 0 && nobody.err.contains("no officer named SI Nobody"), "\(nobody.err)")
            let missingFile = try daftar.run(["officer", "add", "ASI Bano", "--db", db, "--new-passphrase-file", folder.file("nosuch.pass")], environment: environment)
            #expect(missingFile.status != 0 && missingFile.err.contains("cannot read the passphrase file"), "\(missingFile.err)")
            let names = try daftar.run(["--json", "officer", "list", "--db", db], environment: environment)
            #expect(!names.out.contains("ASI Bano") && !names.out.contains("SI Nobody"), "\(names.out)")
            let disabled = try daftar.run(["officer", "disable", "SI Aslam", "--db", db], environment: environment)
            #expect(disabled.status == 0, "\(disabled.err)")
            let after = try daftar.run(["--db", db, "-c", "count"], environment: aslam)
            #expect(after.status != 0 && after.err.contains("disabled"), "\(after.err)")
        }
    }
}

/// `daftar audit` through the executable: a report to attach to a case file, `--json` for
/// tools, exit 1 when anything does not verify, and it runs beside a console writing the store.
@Suite struct AuditCommandTests: ConsoleScripts {
    let daftar: Executable
    let folder: TemporaryFolder

    init() throws {
        daftar = try Executable("daftar")
        folder = try TemporaryFolder()
    }

    @Test func auditReports_andFailsOnAnAlteredChange() async throws {
        try await offThePool { [self] () throws -> Void in
            let db = folder.file("lahore.daftar")
            #expect(try script("lahore.daftar", ["add incident title=\"Raid on call centre\"", "add person name=\"محمد علی\"", "set fia-lahore-1 status=closed"]).status == 0)
            let report = try daftar.run(["audit", "--db", db])
            #expect(report.status == 0, "\(report.out) \(report.err)")
            #expect(report.out.contains("fia-lahore in general") && report.out.contains("VERIFIED"), "\(report.out)")
            let fingerprint = try #require(try Store.open(at: db).publicKey()?.fingerprint)
            #expect(report.out.replacingOccurrences(of: " ", with: "").contains(fingerprint))
            let json = try daftar.run(["--json", "audit", "--db", db])
            let document = try #require(try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as? [String: Any])
            #expect(document["changes"] as? Int == 3 && (document["problems"] as? [Any])?.isEmpty == true)
            // The office's entry altered by hand in the file: named, exit 1.
            // (with Python's sqlite3, as anyone with the file could)
            let python = Process()
            python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            python.arguments = [
                "python3", "-c",
                "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); b=c.execute(\"select body from change where origin='fia-lahore' and seq=2\").fetchone()[0]; c.execute(\"update change set body=? where origin='fia-lahore' and seq=2\", (b.replace('محمد'.encode(), 'احمد'.encode()),)); c.commit()",
                db,
            ]
            try spawn(python)
            python.waitUntilExit()
            #expect(python.terminationStatus == 0)
            let altered = try daftar.run(["audit", "--db", db])
            #expect(altered.status == 1 && altered.out.contains("NOT VERIFIED") && altered.out.contains("change fia-lahore:2 does not verify"), "\(altered.out)")
            // No store: the usual advice, and no report.
            let none = try daftar.run(["audit", "--db", folder.file("nosuch.daftar")])
            #expect(none.status == 1 && none.err.contains("no store at"), "\(none.err)")
        }
    }
}
