import Testing

@testable import DaftarREPL

@Suite struct CompletionTests {
    let kinds = ["incident", "person", "vehicle", "seizure"]
    let fields = ["city", "cnic", "name", "status"]
    let allNames = CommandSpec.all.map(\.name).sorted()
    let queryWords = ["where", "and", "or", "contains", "order", "by", "limit", "asc", "desc"]

    func complete(_ line: String, _ word: String) -> [String] {
        Completion.candidates(line: line, word: word, kinds: kinds, fields: fields)
    }

    @Test func emptyLineOffersEveryCommand() {
        #expect(complete("", "") == allNames)
        #expect(complete("   ", "") == allNames)
        #expect(allNames.contains("find") && allNames.contains("quit"))
        #expect(!allNames.contains("ls"))
    }

    @Test func firstWordByPrefix() {
        #expect(complete("f", "f") == ["find", "fork"])
        #expect(complete("s", "s") == ["search", "set", "show", "status", "sync"])
        #expect(complete("re", "re") == ["remotes", "resolve", "restore"])
        #expect(complete("ex", "ex") == ["export"])
        #expect(complete("zz", "zz") == [])
    }

    @Test(arguments: ["add ", "new ", "find ", "list ", "ls ", "count ", "ADD ", "  find  "])
    func kindsAfterKindTakingCommands(line: String) {
        #expect(complete(line, "") == kinds.sorted())
    }

    @Test func kindsByPrefix() {
        #expect(complete("add p", "p") == ["person"])
        #expect(complete("find v", "v") == ["vehicle"])
        #expect(complete("count s", "s") == ["seizure"])
        #expect(complete("add x", "x") == [])
    }

    @Test func fieldsAfterAKind() {
        #expect(complete("add person ", "") == fields)
        #expect(complete("add person c", "c") == ["city", "cnic"])
        #expect(complete("add person name=Ali c", "c") == ["city", "cnic"])
    }

    @Test func fieldsElsewhere() {
        #expect(complete("set fia-1 ", "") == fields)
        #expect(complete("set fia-1 st", "st") == ["status"])
        #expect(complete("unset fia-1 n", "n") == ["name"])
        #expect(complete("resolve fia-1 ", "") == fields)
        #expect(complete("unknownverb ", "") == fields)
    }

    @Test func queryWordsAfterTheKindOfFindAndCount() {
        #expect(complete("find person ", "") == (fields + queryWords).sorted())
        #expect(complete("find person w", "w") == ["where"])
        #expect(complete("find person where c", "c") == ["city", "cnic", "contains"])
        #expect(complete("count person where name = x o", "o") == ["or", "order"])
        #expect(complete("find person order by name d", "d") == ["desc"])
        #expect(!complete("set x ", "").contains("where"))
    }

    /// `asc` is part of the grammar (`order by FIELD [asc|desc]`) but is not offered.
    @Test func ascIsOfferedAfterOrderBy() {
        #expect(complete("find person order by name a", "a") == ["and", "asc"])
    }

    @Test func formatsAfterExportAndImport() {
        #expect(complete("export ", "") == ["csv", "jsonl"])
        #expect(complete("import ", "") == ["csv", "jsonl"])
        #expect(complete("export j", "j") == ["jsonl"])
        #expect(complete("EXPORT c", "c") == ["csv"])
    }

    @Test func helpOffersCommands() {
        #expect(complete("help ", "") == allNames)
        #expect(complete("? f", "f") == ["find", "fork"])
    }

    @Test func jsonOffersOnOff() {
        #expect(complete("json ", "") == ["off", "on"])
        #expect(complete("json of", "of") == ["off"])
    }

    @Test func candidatesAreSorted() {
        let c = Completion.candidates(line: "add ", word: "", kinds: ["zeta", "alpha", "mid"], fields: [])
        #expect(c == ["alpha", "mid", "zeta"])
    }
}
