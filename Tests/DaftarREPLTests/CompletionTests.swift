import Testing

@testable import DaftarREPL

/// Completion by position in the grammar, from a source that stands for the store: persons and
/// vehicles have different fields, and each question the completer asks is counted.
@Suite struct CompletionTests {
    final class Store {
        var kinds = ["incident", "person", "vehicle", "seizure"]
        var fieldsByKind = ["person": ["city", "cnic", "name"], "vehicle": ["colour", "plate"], "incident": ["city", "status", "title"], "seizure": ["amount"]]
        var ids = ["fia-lahore-1", "fia-lahore-12", "fia-lahore-2"]
        var kindOfID = ["fia-lahore-1": "person", "fia-lahore-12": "vehicle", "fia-lahore-2": "incident"]
        var remotes = ["central", "hub"]

        var source: Completion.Source {
            Completion.Source(
                kinds: { self.kinds },
                fields: { kind in kind.map { self.fieldsByKind[$0] ?? [] } ?? Array(Set(self.fieldsByKind.values.flatMap { $0 })) },
                ids: { prefix in self.ids.filter { $0.hasPrefix(prefix) } },
                kindOf: { id in self.kindOfID[id] },
                remotes: { self.remotes })
        }
    }

    let store = Store()
    let allNames = CommandSpec.all.map(\.name).sorted()

    func complete(_ line: String) -> Completion.Result {
        // libedit's word: what follows the last space or '='.
        let word = String(line.split(separator: " ", omittingEmptySubsequences: false).last?.split(separator: "=", omittingEmptySubsequences: false).last ?? "")
        return Completion.candidates(line: line, word: word, source: store.source)
    }

    func words(_ line: String) -> [String] {
        guard case .words(let w) = complete(line) else { return ["<files>"] }
        return w
    }

    @Test func emptyLineOffersEveryCommand() {
        #expect(words("") == allNames)
        #expect(words("   ") == allNames)
        #expect(allNames.contains("undo") && allNames.contains("refs") && allNames.contains("source"))
    }

    @Test func firstWordByPrefix() {
        #expect(words("f") == ["find", "fork"])
        #expect(words("re") == ["refs", "remotes", "resolve", "restore"])
        #expect(words("zz") == [])
    }

    @Test(arguments: ["add ", "new ", "ADD "])
    func kindsAfterAdd(line: String) {
        #expect(words(line) == store.kinds.sorted())
    }

    @Test func fieldsAreTheKindsOwn() {
        #expect(words("add person ") == ["city", "cnic", "name"])
        #expect(words("add vehicle ") == ["colour", "plate"])
        #expect(words("add person name=Ali c") == ["city", "cnic"])
        #expect(words("add person name=") == [], "a value is the officer's to type")
    }

    /// Nothing after `add` or in a value falls back to file names (libedit's default).
    @Test func noFileNamesWhereNoFileGoes() {
        #expect(complete("add ") != .files)
        #expect(complete("add person name=") == .words([]))
        #expect(complete("find person where name = ") == .words([]))
        #expect(complete("export csv ") == .files)
        #expect(complete("import jsonl ") == .files)
        #expect(complete("merge ") == .files)
        #expect(complete("source ") == .files)
    }

    @Test func idsThenTheEntrysFields() {
        #expect(words("show fia-lahore-1") == ["fia-lahore-1", "fia-lahore-12"])
        #expect(words("set fia-lahore-12 ") == ["colour", "plate"])
        #expect(words("unset fia-lahore-1 c") == ["city", "cnic"])
        #expect(words("history ") == store.ids.sorted())
        #expect(words("show fia-lahore-1 ") == [])
    }

    @Test func resolveOffersKeepAndFields() {
        #expect(words("resolve fia-lahore-2 ") == ["city", "keep", "status", "title"])
        #expect(words("resolve fia-lahore-2 keep ") == ["deleted", "live"])
    }

    @Test func findFollowsTheGrammar() {
        #expect(words("find ") == (store.kinds + ["where", "order", "limit", "offset", "vertical"]).sorted())
        #expect(words("find person ") == ["in", "limit", "offset", "order", "vertical", "where"])
        #expect(words("find person in ").isEmpty)
        #expect(words("find person where ") == ["city", "cnic", "name"])
        #expect(words("find vehicle where ") == ["colour", "plate"])
        #expect(words("find person where city ") == ["contains"])
        #expect(words("find person where city = Lahore ") == ["and", "limit", "offset", "or", "order", "vertical"])
        #expect(words("find person where city = Lahore and ") == ["city", "cnic", "name"])
        #expect(words("find person order ") == ["by"])
        #expect(words("find person order by ") == ["city", "cnic", "id", "name"])
        #expect(words("find person order by name ") == ["asc", "desc", "limit", "offset", "vertical"])
        #expect(words("find person limit 5 ") == ["offset", "vertical"])
    }

    /// `count` takes no order, limit or offset: none is offered.
    @Test func countOffersNoOrderOrLimit() {
        #expect(words("count person ") == ["in", "where"])
        #expect(words("count person where city = Lahore ") == ["and", "or"])
        #expect(!words("count ").contains("limit"))
        #expect(!words("count person where city = Lahore ").contains("desc"))
    }

    /// Completion asks the store each time: a kind or field recorded after the session began
    /// is offered.
    @Test func theStoreAsItIsNow() {
        #expect(!words("add ").contains("boat"))
        store.kinds.append("boat")
        store.fieldsByKind["boat"] = ["hull"]
        #expect(words("add ").contains("boat"))
        #expect(words("add boat ") == ["hull"])
    }

    @Test func settingsAndRemotes() {
        #expect(words("json ") == ["off", "on"])
        #expect(words("view ") == ["table", "vertical"])
        #expect(words("sync ") == ["central", "hub"])
        #expect(words("fork ") == ["discard", "find", "keep", "show"])
        #expect(words("fork find fia-x ") == ["with"])
        #expect(words("fork discard fia-x ") == ["from"])
        #expect(words("help ") == allNames)
        #expect(words("export csv out.csv ").contains("--excel"))
        #expect(words("import csv in.csv ").contains("--again"))
    }
}
