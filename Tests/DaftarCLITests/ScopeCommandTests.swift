import DaftarModel
import DaftarStore
import DaftarTesting
import Foundation
import Testing

/// Scopes as an operator and an officer use them, through the real executable: the central
/// node's grants (`node add --read/--write`, `node grant`, `node withdraw`, `node list`), an
/// office made with `--scope`, `add KIND in SCOPE`, and `scopes` before and after the grant
/// arrives by sync.
@Suite(.serialized) struct ScopeCommandTests: ConsoleScripts {
    let daftar: Executable
    let folder: TemporaryFolder

    init() throws {
        daftar = try Executable("daftar")
        folder = try TemporaryFolder()
    }

    func run(_ arguments: [String]) throws -> Executable.Result { try daftar.run(arguments, environment: environment) }

    func json(_ result: Executable.Result) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [String: Any], "\(result.out) \(result.err)")
    }

    @Test func grantsAtTheCentralNode_scopesAtTheOffice() async throws {
        let central = folder.file("central.daftar")
        let kasur = folder.file("kasur.daftar")
        // Off the shared threads (it waits on processes; servers of other suites run there),
        // but for the servers this test runs.
        let token = try await offThePool { [self] () throws -> String in try beforeTheFirstSync(central: central, kasur: kasur) }
        try await firstSync(central: central, kasur: kasur, token: token)
        try await offThePool { [self] () throws -> Void in try afterTheFirstSync(kasur: kasur, central: central) }
        try await withdrawal(central: central, kasur: kasur, token: token)
    }

    /// Grants at the central node, bad input, and the office before its grant arrives; the token.
    func beforeTheFirstSync(central: String, kasur: String) throws -> String {
        // The central node: the first grant makes it the registry's root.
        let added = try run(["node", "add", "fia-kasur", "--read", "national", "--write", "punjab", "--db", central, "--node", "central"])
        #expect(added.status == 0, "\(added.err)")
        let token = added.out.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(added.err.contains("fia-kasur: read national,punjab; write punjab (seqs 1-)"), "\(added.err)")
        #expect(try run(["node", "add", "fia-okara", "--db", central]).status == 0)
        let granted = try run(["node", "grant", "fia-okara", "--read", "national", "--db", central])
        #expect(granted.status == 0 && granted.out.contains("read general,national"), "\(granted.out) \(granted.err)")
        let withdrawn = try run(["node", "withdraw", "fia-okara", "general", "--db", central, "--json"])
        let after = try json(withdrawn)
        #expect(after["read"] as? [String] == ["national"], "\(after)")
        #expect((after["write"] as? [String: [String]])?.isEmpty == true, "a closure before any change counts nothing: \(after)")
        let list = try json(try run(["node", "list", "--db", central, "--json"]))
        #expect(list["root"] as? String == "central")
        #expect((list["grants"] as? [[String: Any]])?.compactMap { $0["node"] as? String } == ["fia-kasur", "fia-okara"])
        let text = try run(["node", "list", "--db", central])
        #expect(text.out.contains("grants (the registry, written by central):") && text.out.contains("fia-kasur"), "\(text.out)")

        // Bad input: what was wrong, and what to do; nothing written.
        for (arguments, message) in [
            (["node", "grant", "fia-kasur", "--read", "Bad_Scope"], "--read: 'Bad_Scope' is not a scope name"),
            (["node", "grant", "fia-kasur"], "name the scopes to grant"),
            (["node", "withdraw", "fia-kasur", "sindh"], "fia-kasur holds no grant of scope sindh"),
            (["node", "add", "fia-x", "--read", "registry"], "registry is the reserved scope"),
        ] {
            let result = try run(arguments + ["--db", central])
            #expect(result.status == 1 && result.err.contains(message), "\(arguments): \(result.err)")
        }

        // The office, made with --scope punjab: before its grant arrives it writes punjab and general.
        let made = try run(["--db", kasur, "--node", "fia-kasur", "--scope", "punjab", "-c", "add case title=\"Raid in Kasur\""])
        #expect(made.status == 0 && made.out.contains("fia-kasur-1"), "\(made.err)")
        #expect(try command("kasur.daftar", "show fia-kasur-1").out.contains("in punjab"))
        let elsewhere = try command("kasur.daftar", "add case in sindh title=x")
        #expect(elsewhere.status == 1 && elsewhere.err.contains("may not write scope sindh yet"), "\(elsewhere.err)")
        #expect(try command("kasur.daftar", "count case").out == "1\n")
        let before = try json(try command("kasur.daftar", "scopes", json: true))
        #expect(before["grantKnown"] as? Bool == false && before["newEntries"] as? String == "punjab")
        return token
    }

    /// The central node records in national; the office syncs and gets its grant and national.
    func firstSync(central: String, kasur: String, token: String) async throws {
        let store = try Store.open(at: central)
        try store.write(as: "HQ") { try $0.add(kind: Kind("circular"), fields: [try FieldName("title"): .text("red notice")], in: try Scope("national")) }
        try await withLiveServer(store) { url in
            try await offThePool { [self] () throws -> Void in
                #expect(try run(["remote", "add", "central", url, "--token", token, "--db", kasur]).status == 0)
                let synced = try run(["sync", "--db", kasur])
                #expect(synced.status == 0, "\(synced.out) \(synced.err)")
            }
        }
    }

    /// The office's scopes once its grant arrived.
    func afterTheFirstSync(kasur: String, central: String) throws {
        let scopes = try json(try command("kasur.daftar", "scopes", json: true))
        #expect(scopes["grantKnown"] as? Bool == true && scopes["root"] as? String == "central")
        let rows = try #require(scopes["scopes"] as? [[String: Any]])
        #expect(rows.map { $0["scope"] as? String } == ["national", "punjab"], "\(rows)")
        #expect(rows.map { $0["write"] as? Bool } == [false, true])
        #expect(rows.map { $0["entries"] as? Int } == [1, 1])
        let table = try command("kasur.daftar", "scopes")
        #expect(table.out.contains("national") && table.out.contains("read, write") && table.out.contains("new entries go to punjab"), "\(table.out)")
        // Its grant now decides: general is no longer written here.
        let general = try command("kasur.daftar", "add case in general title=x")
        #expect(general.status == 1 && general.err.contains("may not write scope general"), "\(general.err)")
        #expect(try command("kasur.daftar", "add case in punjab title=\"second raid\"").status == 0)
        #expect(try Store.open(at: central, options: Store.Options(readOnly: true)).record(try RecordID("fia-kasur-1")) != nil)

        // Finds and counts in one scope; a scope not held says so.
        let inPunjab = try command("kasur.daftar", "find in punjab")
        #expect(inPunjab.out.contains("fia-kasur-1") && !inPunjab.out.contains("red notice"), "\(inPunjab.out)")
        #expect(try command("kasur.daftar", "count circular in national").out == "1\n")
        #expect(try command("kasur.daftar", "count case in national").out == "0\n")
        let notHeld = try command("kasur.daftar", "find case in sindh")
        #expect(notHeld.status == 1 && notHeld.err.contains("does not hold scope sindh"), "\(notHeld.err)")
        // A transfer needs both scopes writable: kasur may not write national. Refused, nothing
        // is written (the entry count and the entry's history stay as they were).
        let countBefore = try command("kasur.daftar", "count").out
        let historyBefore = try command("kasur.daftar", "history fia-kasur-1").out
        let refused = try command("kasur.daftar", "transfer fia-kasur-1 to national")
        #expect(refused.status == 1 && refused.err.contains("may not write scope national"), "\(refused.err)")
        #expect(try command("kasur.daftar", "transfer fia-kasur-1").err.contains("name the scope to move the entry to"))
        let toRegistry = try command("kasur.daftar", "transfer fia-kasur-1 to registry")
        #expect(toRegistry.status == 1 && toRegistry.err.contains("cannot be transferred to the registry"), "\(toRegistry.err)")
        let noSuch = try command("kasur.daftar", "transfer fia-kasur-999 to punjab")
        #expect(noSuch.status == 1 && noSuch.err.contains("fia-kasur-999"), "\(noSuch.err)")
        #expect(try command("kasur.daftar", "count").out == countBefore)
        #expect(try command("kasur.daftar", "history fia-kasur-1").out == historyBefore)
        // The central node moves its circular from national to punjab: a new entry, both linked.
        let circular = try #require(try json(try command("central.daftar", "find circular", json: true))["entries"] as? [[String: Any]]).first?["id"] as? String
        let old = try #require(circular)
        let moved = try json(try command("central.daftar", "transfer \(old) to punjab", json: true))
        let new = try #require(moved["id"] as? String)
        #expect(moved["from"] as? String == old && moved["scope"] as? String == "punjab")
        let shownNew = try command("central.daftar", "show \(new)").out
        #expect(shownNew.contains("in punjab") && shownNew.contains("red notice") && shownNew.contains("transferred_from") && shownNew.contains(old), "\(shownNew)")
        let shownOld = try command("central.daftar", "show \(old)").out
        #expect(shownOld.contains("in national") && shownOld.contains("transferred_to") && shownOld.contains(new), "\(shownOld)")
        #expect(try command("central.daftar", "transfer \(new) to punjab").err.contains("already in scope punjab"))
    }

    /// punjab is withdrawn: at the next sync the office pushes what the central node lacks of it
    /// (nothing: it made every change of it and sent them), deletes it, may not write it, and
    /// status says what was deleted.
    func withdrawal(central: String, kasur: String, token: String) async throws {
        try await withLiveServer(try Store.open(at: central)) { url in
            try await offThePool { [self] () throws -> Void in
                let withdrawn = try run(["node", "withdraw", "fia-kasur", "punjab", "--db", central, "--json"])
                let grant = try json(withdrawn)
                #expect(withdrawn.status == 0 && grant["read"] as? [String] == ["national"], "\(withdrawn.out) \(withdrawn.err)")
                // The server came back on another port.
                #expect(try run(["remote", "add", "central", url, "--token", token, "--db", kasur]).status == 0)
                let synced = try run(["sync", "--db", kasur])
                #expect(synced.status == 0, "\(synced.out) \(synced.err)")
                // What the server, reading the store anew, says the office may read, for a failure's message.
                let view = try Store.open(at: central, options: Store.Options(readOnly: true)).scopes(readableBy: try NodeID("fia-kasur"), named: [try Scope("punjab")])
                #expect(
                    synced.out.contains("deleted withdrawn scope punjab: 2 changes and 2 entries, after central confirmed it holds them all"),
                    "\(synced.out) (the central node: taken \(view.taken), pushed \(view.pushed))")
            }
        }
        try await offThePool { [self] () throws -> Void in
            let refused = try command("kasur.daftar", "add case in punjab title=x")
            #expect(refused.status == 1 && refused.err.contains("may not write scope punjab"), "\(refused.err)")
            let status = try command("kasur.daftar", "status")
            #expect(status.out.contains("deleted    punjab at "), "\(status.out)")
            #expect(status.out.contains("2 changes and 2 entries, after central confirmed it holds them all"), "\(status.out)")
            let document = try json(try command("kasur.daftar", "status", json: true))
            #expect(document["withdrawnScopes"] as? [String: Int] == [:])
            let deleted = document["deletedScopes"] as? [[String: String]]
            #expect(deleted?.map { $0["scope"] } == ["punjab"] && deleted?.first?["entries"] == "2", "\(document)")
            // Its entries are gone: the id says it is of a scope this office does not hold.
            let show = try command("kasur.daftar", "show fia-kasur-1")
            #expect(show.status == 1 && show.err.contains("scope this office does not hold"), "\(show.err)")
            // At the central node: kasur's second raid came after the closure (seq 1, the last
            // the central node held): held, void, shown as such, and no entry.
            let history = try command("central.daftar", "history fia-kasur-2")
            #expect(history.status == 0 && history.out.contains("add (void)") && history.out.contains("second raid"), "\(history.out) \(history.err)")
            #expect(history.out.contains("fia-kasur's grant lets it write punjab at seqs 1-1 only"), "\(history.out)")
            let void = try command("central.daftar", "show fia-kasur-2")
            #expect(void.status == 1 && void.err.contains("the change that created it is void"), "\(void.err)")
            let centralStatus = try command("central.daftar", "status")
            #expect(centralStatus.out.contains("void       1 change of fia-kasur in punjab (seq 2) count for nothing"), "\(centralStatus.out)")
            #expect(try command("central.daftar", "count case in punjab").out == "1\n")
        }
    }
}

/// `node add --via HUB` and the withdrawal that reaches the offices registered via a hub,
/// through the executable.
@Suite struct HubCommandTests: ConsoleScripts {
    let daftar: Executable
    let folder: TemporaryFolder

    init() throws {
        daftar = try Executable("daftar")
        folder = try TemporaryFolder()
    }

    @Test func officesRegisteredViaAHub_loseWhatTheHubLoses() async throws {
        try await offThePool { [self] () throws -> Void in
            let central = folder.file("central.daftar")
            func run(_ arguments: [String]) throws -> Executable.Result { try daftar.run(arguments + ["--db", central], environment: environment) }
            #expect(try daftar.run(["node", "add", "punjab-hub", "--relay", "--read", "punjab,national", "--db", central, "--node", "central"], environment: environment).status == 0)
            let okara = try run(["node", "add", "fia-okara", "--via", "punjab-hub", "--read", "punjab", "--write", "punjab"])
            #expect(okara.status == 0 && okara.err.contains("via punjab-hub"), "\(okara.err)")
            let beyond = try run(["node", "add", "fia-karachi", "--via", "punjab-hub", "--read", "sindh"])
            #expect(beyond.status == 1 && beyond.err.contains("punjab-hub does not read sindh"), "\(beyond.err)")
            let list = try run(["node", "list"])
            #expect(list.out.contains("fia-karachi") && list.out.contains("REVOKED"), "a registration whose grant was refused keeps no live token: \(list.out)")
            let withdrawn = try run(["node", "withdraw", "punjab-hub", "punjab"])
            #expect(withdrawn.status == 0 && withdrawn.out.contains("fia-okara (registered via punjab-hub): read nothing"), "\(withdrawn.out) \(withdrawn.err)")
            let json = try run(["--json", "node", "withdraw", "punjab-hub", "national"])
            let document = try #require(try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as? [String: Any], "\(json.out) \(json.err)")
            #expect(document["node"] as? String == "punjab-hub" && (document["alsoWithdrawn"] as? [Any])?.isEmpty == true, "\(document)")
        }
    }

    /// `node add HUB --relay --may-vouch IDS` and `node delegate`: the delegation is written into
    /// the registry, shown by `node list`, and refused where it cannot hold.
    @Test func aHubsDelegation_isWrittenShownAndChecked() async throws {
        try await offThePool { [self] () throws -> Void in
            let central = folder.file("central.daftar")
            func run(_ arguments: [String]) throws -> Executable.Result { try daftar.run(arguments + ["--db", central], environment: environment) }
            let noRelay = try daftar.run(["node", "add", "punjab-hub", "--may-vouch", "fia-okara", "--db", central, "--node", "central"], environment: environment)
            #expect(noRelay.status == 1 && noRelay.err.contains("--relay"), "\(noRelay.err)")
            let added = try run(["--json", "node", "add", "punjab-hub", "--relay", "--read", "punjab", "--may-vouch", "fia-okara,fia-kasur", "--node", "central"])
            #expect(added.status == 0, "\(added.err)")
            let document = try #require(try JSONSerialization.jsonObject(with: Data(added.out.utf8)) as? [String: Any], "\(added.out)")
            #expect(document["mayVouch"] as? [String] == ["fia-kasur", "fia-okara"], "\(document)")
            let more = try run(["node", "delegate", "punjab-hub", "--may-vouch", "fia-sahiwal"])
            #expect(more.status == 0 && more.out.contains("punjab-hub may vouch for the keys of fia-sahiwal"), "\(more.out) \(more.err)")
            let itself = try run(["node", "delegate", "punjab-hub", "--may-vouch", "punjab-hub"])
            #expect(itself.status == 1 && itself.err.contains("cannot vouch for its own key"), "\(itself.err)")
            let root = try run(["node", "delegate", "punjab-hub", "--may-vouch", "central"])
            #expect(root.status == 1 && root.err.contains("the root"), "\(root.err)")
            let unknown = try run(["node", "delegate", "sindh-hub", "--may-vouch", "fia-sukkur"])
            #expect(unknown.status == 1 && unknown.err.contains("sindh-hub is not registered here"), "\(unknown.err)")
            let badID = try run(["node", "delegate", "punjab-hub", "--may-vouch", "fia okara"])
            #expect(badID.status == 1 && badID.err.contains("--may-vouch"), "\(badID.err)")
            let list = try run(["node", "list"])
            #expect(list.out.contains("punjab-hub") && list.out.contains("may vouch for fia-kasur, fia-okara, fia-sahiwal"), "\(list.out)")
            let listed = try #require(try JSONSerialization.jsonObject(with: Data(try run(["node", "list", "--json"]).out.utf8)) as? [String: Any])
            #expect((listed["delegations"] as? [String: [String]])?["punjab-hub"] == ["fia-kasur", "fia-okara", "fia-sahiwal"], "\(listed)")
            #expect((listed["keyForks"] as? [Any])?.isEmpty == true)
        }
    }
}

/// Keys from the executable: `node add` gives the root's fingerprint, `remote add --pin` takes
/// only a fingerprint, `node revoke --keep-through` revokes a key at the central node alone.
@Suite struct KeyTrustCommandTests: ConsoleScripts {
    let daftar: Executable
    let folder: TemporaryFolder

    init() throws {
        daftar = try Executable("daftar")
        folder = try TemporaryFolder()
    }

    @Test func theRootsFingerprint_isGivenPinnedAndTheKeyRevoked() async throws {
        try await offThePool { [self] () throws -> Void in
            let central = folder.file("central.daftar")
            let kasur = folder.file("kasur.daftar")
            let added = try daftar.run(["--json", "node", "add", "fia-kasur", "--read", "punjab", "--write", "punjab", "--db", central, "--node", "central"], environment: environment)
            #expect(added.status == 0, "\(added.err)")
            let document = try #require(try JSONSerialization.jsonObject(with: Data(added.out.utf8)) as? [String: Any], "\(added.out)")
            let fingerprint = try #require(document["rootFingerprint"] as? String)
            let shown = try daftar.run(["key", "show", "--json", "--db", central], environment: environment)
            #expect(shown.out.contains(fingerprint), "node add gives the central node's own key: \(shown.out)")
            let token = try #require(document["token"] as? String)
            // A pin that is no fingerprint is refused, naming what to give.
            let bad = try daftar.run(["remote", "add", "central", "http://127.0.0.1:9", "--token", token, "--pin", "1234", "--db", kasur, "--node", "fia-kasur"], environment: environment)
            #expect(bad.status == 1 && bad.err.contains("not a key fingerprint"), "\(bad.err)")
            let grouped = stride(from: 0, to: 64, by: 4).map { i in String(fingerprint.dropFirst(i).prefix(4)).uppercased() }.joined(separator: " ")
            let good = try daftar.run(["remote", "add", "central", "http://127.0.0.1:9", "--token", token, "--pin", grouped, "--db", kasur, "--node", "fia-kasur"], environment: environment)
            #expect(good.status == 0 && good.out.contains("root key pinned to"), "\(good.out) \(good.err)")
            // Revocation: at the central node alone.
            let elsewhere = try daftar.run(["node", "revoke", "fia-okara", "--keep-through", "3", "--db", kasur], environment: environment)
            #expect(elsewhere.status == 1 && elsewhere.err.contains("central node alone"), "\(elsewhere.err)")
            let revoked = try daftar.run(["node", "revoke", "fia-kasur", "--keep-through", "3", "--db", central], environment: environment)
            #expect(revoked.status == 0 && revoked.out.contains("changes after seq 3 count nowhere"), "\(revoked.out) \(revoked.err)")
            let list = try daftar.run(["node", "list", "--db", central], environment: environment)
            #expect(list.out.contains("KEY REVOKED"), "\(list.out)")
            let again = try daftar.run(["node", "grant", "fia-kasur", "--write", "punjab", "--db", central], environment: environment)
            #expect(again.status == 1 && again.err.contains("register the office under a new id"), "\(again.err)")
            // Rotation: at an office (the old key signs the new), never at the central node.
            let before = try daftar.run(["key", "show", "--json", "--db", kasur], environment: environment)
            let rotated = try daftar.run(["--json", "key", "rotate", "--db", kasur], environment: environment)
            #expect(rotated.status == 0, "\(rotated.err)")
            let rotation = try #require(try JSONSerialization.jsonObject(with: Data(rotated.out.utf8)) as? [String: Any], "\(rotated.out)")
            let previous = try #require(rotation["previous"] as? String)
            #expect(before.out.contains(previous) && rotation["from"] as? Int == 1, "\(rotation)")
            let after = try daftar.run(["key", "show", "--json", "--db", kasur], environment: environment)
            let newFingerprint = try #require(rotation["fingerprint"] as? String)
            #expect(after.status == 0 && after.out.contains(newFingerprint), "\(after.out) \(after.err)")
            let atCentral = try daftar.run(["key", "rotate", "--db", central], environment: environment)
            #expect(atCentral.status == 1 && atCentral.err.contains("central node"), "\(atCentral.err)")
        }
    }
}

/// A store copied by hand and used twice, through the executable: the central node keeps the
/// fork with its proof, and `fork show` and `status` show it, in text and JSON.
@Suite struct ForkCommandTests: ConsoleScripts {
    let daftar: Executable
    let folder: TemporaryFolder

    init() throws {
        daftar = try Executable("daftar")
        folder = try TemporaryFolder()
    }

    @Test func aCopyUsedTwice_isShownWithItsProof() async throws {
        try await offThePool { [self] () throws -> Void in
            let central = folder.file("central.daftar")
            let kasur = folder.file("kasur.daftar")
            let copy = folder.file("copy.daftar")
            #expect(try daftar.run(["--db", central, "--node", "central", "-c", "status"], environment: environment).status == 0)
            let added = try daftar.run(["--json", "node", "add", "fia-kasur", "--read", "general", "--write", "general", "--db", central], environment: environment)
            let registered = try #require(try JSONSerialization.jsonObject(with: Data(added.out.utf8)) as? [String: Any], "\(added.out) \(added.err)")
            let token = try #require(registered["token"] as? String)
            let server = try InterruptedSyncTests.Background(daftar.url, ["serve", "--db", central, "--port", "0"], environment: environment, output: folder.file("serve.out"))
            defer { server.kill() }
            let port = try #require(server.port())
            #expect(try daftar.run(["--db", kasur, "--node", "fia-kasur", "-c", "add case title=\"before the copy\""], environment: environment).status == 0)
            #expect(try daftar.run(["remote", "add", "central", "http://127.0.0.1:\(port)", "--token", token, "--db", kasur], environment: environment).status == 0)
            #expect(try daftar.run(["sync", "--db", kasur], environment: environment).status == 0)
            // The laptop copied by hand, key and all; both copies go on as fia-kasur.
            for suffix in ["", "-wal"] where FileManager.default.fileExists(atPath: kasur + suffix) {
                try FileManager.default.copyItem(atPath: kasur + suffix, toPath: copy + suffix)
            }
            try FileManager.default.copyItem(atPath: kasur + ".key", toPath: copy + ".key")
            #expect(try daftar.run(["--db", kasur, "-c", "add case title=original"], environment: environment).status == 0)
            #expect(try daftar.run(["--db", copy, "-c", "add case title=\"on the copy\""], environment: environment).status == 0)
            #expect(try daftar.run(["sync", "--db", kasur], environment: environment).status == 0)
            let forked = try daftar.run(["sync", "--db", copy], environment: environment)
            #expect(forked.status != 0 && forked.out.contains("FORK") && forked.out.contains("proven"), "\(forked.out) \(forked.err)")
            // At the central node: the fork, its chain, and both signed runs.
            let shown = try daftar.run(["--db", central, "-c", "fork show fia-kasur"], environment: environment)
            #expect(shown.status == 0, "\(shown.err)")
            #expect(shown.out.contains("FORK fia-kasur in scope general, at fia-kasur:2"), "\(shown.out)")
            #expect(shown.out.contains("first ") && shown.out.contains("second") && shown.out.contains("signed by key"), "\(shown.out)")
            let json = try daftar.run(["--json", "--db", central, "-c", "fork show fia-kasur"], environment: environment)
            let document = try #require(try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as? [String: Any], "\(json.out) \(json.err)")
            let forks = try #require(document["forks"] as? [[String: Any]])
            #expect(forks.count == 1 && forks[0]["proven"] as? Bool == true && forks[0]["scope"] as? String == "general", "\(forks)")
            #expect((forks[0]["runs"] as? [Any])?.count == 2, "\(forks)")
            let status = try daftar.run(["--db", central, "-c", "status"], environment: environment)
            #expect(status.out.contains("FORK") && status.out.contains("in scope general") && status.out.contains("proven"), "\(status.out)")
            // The entry the central node holds is the original's; the copy's was merged nowhere.
            let shownEntry = try daftar.run(["--db", central, "-c", "show fia-kasur-2"], environment: environment)
            #expect(shownEntry.out.contains("original") && !shownEntry.out.contains("on the copy"), "\(shownEntry.out)")
            let none = try daftar.run(["--db", central, "-c", "fork show fia-okara"], environment: environment)
            #expect(none.status == 1 && none.err.contains("no fork of fia-okara"), "\(none.err)")
        }
    }
}
