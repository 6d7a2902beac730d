import DaftarModel
import DaftarStore
import Testing

@testable import DaftarREPL

// MARK: - Helpers shared by the REPL tests

func field(_ name: String) -> FieldName { try! FieldName(name) }
func kind(_ name: String) -> Kind { try! Kind(name) }
func node(_ name: String) -> NodeID { try! NodeID(name) }
func decimal(_ text: String) -> FieldValue { .decimal(try! ExactDecimal(text)) }
func compare(_ name: String, _ comparison: Query.Comparison, _ value: FieldValue) -> Query.Condition {
    .compare(field(name), comparison, value)
}

/// The message of the error `line` raises, or nil when it parses.
func parseError(_ line: String) -> String? {
    do {
        _ = try CommandParser.parse(line)
        return nil
    } catch {
        return error.message
    }
}

/// Expects `line` to be refused with a message holding every one of `parts`.
func expectError(_ line: String, _ parts: String..., sourceLocation: SourceLocation = #_sourceLocation) {
    guard let message = parseError(line) else {
        Issue.record("expected an error for «\(line)», but it parsed as \(String(describing: try? CommandParser.parse(line)))", sourceLocation: sourceLocation)
        return
    }
    for part in parts {
        #expect(message.contains(part), "message for «\(line)» is «\(message)»; expected it to contain «\(part)»", sourceLocation: sourceLocation)
    }
}

/// The fields of `set x ...`.
func assigned(_ assignments: String) throws -> [FieldName: FieldValue] {
    let command = try CommandParser.parse("set x " + assignments)
    guard case .set("x", let fields)? = command else {
        Issue.record("«set x \(assignments)» parsed as \(String(describing: command))")
        return [:]
    }
    return fields
}

/// The query of `find ...`.
func findQuery(_ rest: String) throws -> Query? {
    guard case .find(let q, _)? = try CommandParser.parse("find " + rest) else { return nil }
    return q
}

/// The condition of `find where ...`.
func condition(_ text: String) throws -> Query.Condition? {
    try findQuery("where " + text)?.condition
}

// MARK: - Grammar

@Suite struct CommandGrammarTests {
    @Test(arguments: ["", " ", "   ", "\t", " \t  "])
    func blankLineIsNoCommand(line: String) throws {
        #expect(try CommandParser.parse(line) == nil)
    }

    @Test func addWithFields() throws {
        let c = try CommandParser.parse("add incident title=\"Raid on call centre\" city=Lahore status=open")
        #expect(c == .add(kind("incident"), [field("title"): .text("Raid on call centre"), field("city"): .text("Lahore"), field("status"): .text("open")]))
    }

    @Test(arguments: ["add", "new", "ADD", "New", "aDd"])
    func addAliasesAndCase(verb: String) throws {
        #expect(try CommandParser.parse("\(verb) person name=Ali") == .add(kind("person"), [field("name"): .text("Ali")]))
    }

    @Test func addWithoutFields() throws {
        #expect(try CommandParser.parse("add person") == .add(kind("person"), [:]))
    }

    @Test func addFieldsSeparatedByCommas() throws {
        #expect(try CommandParser.parse("add person a=1, b=2 ,c=3") == .add(kind("person"), [field("a"): .integer(1), field("b"): .integer(2), field("c"): .integer(3)]))
    }

    @Test(arguments: ["city=Lahore", "city = Lahore", "city =Lahore", "city= Lahore", "  city  =   Lahore  "])
    func assignmentSpacingDoesNotMatter(text: String) throws {
        #expect(try assigned(text) == [field("city"): .text("Lahore")])
    }

    @Test func setFields() throws {
        #expect(try CommandParser.parse("set fia-lahore-12 status=closed priority=2") == .set("fia-lahore-12", [field("status"): .text("closed"), field("priority"): .integer(2)]))
        #expect(try CommandParser.parse("SET fia status=closed") == .set("fia", [field("status"): .text("closed")]))
    }

    @Test func unsetFields() throws {
        #expect(try CommandParser.parse("unset fia-lahore-12 phone") == .unset("fia-lahore-12", [field("phone")]))
        #expect(try CommandParser.parse("unset fia-lahore-12 phone, email city") == .unset("fia-lahore-12", [field("phone"), field("email"), field("city")]))
    }

    @Test(arguments: ["delete", "del", "rm", "DELETE", "Rm"])
    func deleteAliases(verb: String) throws {
        #expect(try CommandParser.parse("\(verb) fia-lahore-12") == .delete("fia-lahore-12"))
    }

    @Test func restore() throws {
        #expect(try CommandParser.parse("restore fia-lahore-12") == .restore("fia-lahore-12"))
    }

    @Test func transferAndFindInAScope() throws {
        let punjab = try Scope("punjab")
        #expect(try CommandParser.parse("transfer fia-lahore-12 to punjab") == .transfer("fia-lahore-12", punjab))
        #expect(try CommandParser.parse("find case in punjab where city = Lahore limit 5") == .find(
            Query(kind: Kind("case"), in: punjab, where: .compare(FieldName("city"), .equal, .text("Lahore")), limit: 5), vertical: false))
        #expect(try CommandParser.parse("count in punjab") == .count(Query(in: punjab)))
        // A field named `in` is still a field.
        #expect(try CommandParser.parse("find case where in = 1") == .find(Query(kind: Kind("case"), where: .compare(FieldName("in"), .equal, .integer(1))), vertical: false))
    }

    @Test(arguments: ["show", "get", "SHOW", "Get"])
    func showAliases(verb: String) throws {
        #expect(try CommandParser.parse("\(verb) fia-lahore-12") == .show("fia-lahore-12"))
    }

    @Test(arguments: ["history", "hist", "HIST"])
    func historyAliases(verb: String) throws {
        #expect(try CommandParser.parse("\(verb) fia-lahore-12") == .history("fia-lahore-12"))
    }

    @Test func idMayBeQuotedOrPartial() throws {
        #expect(try CommandParser.parse("show \"fia-lahore-12\"") == .show("fia-lahore-12"))
        #expect(try CommandParser.parse("show fia-l") == .show("fia-l"))
    }

    @Test(arguments: ["find", "list", "ls", "FIND", "Ls"])
    func findAliases(verb: String) throws {
        #expect(try CommandParser.parse(verb) == .find(Query()))
        #expect(try CommandParser.parse("\(verb) person") == .find(Query(kind: kind("person"))))
    }

    @Test(arguments: [
        ("=", Query.Comparison.equal), ("!=", .notEqual), ("<", .less), ("<=", .lessOrEqual), (">", .greater), (">=", .greaterOrEqual),
    ])
    func whereComparisons(symbol: String, comparison: Query.Comparison) throws {
        #expect(try condition("age \(symbol) 30") == compare("age", comparison, .integer(30)))
        #expect(try condition("age\(symbol)30") == compare("age", comparison, .integer(30)))
        #expect(try condition("city \(symbol) Lahore") == compare("city", comparison, .text("Lahore")))
    }

    @Test func whereContains() throws {
        #expect(try condition("name contains ali") == compare("name", .contains, .text("ali")))
        #expect(try condition("name CONTAINS Ali") == compare("name", .contains, .text("Ali")))
        #expect(try condition("name contains \"rashid khan\"") == compare("name", .contains, .text("rashid khan")))
        // An unquoted number or boolean after contains is still text.
        #expect(try condition("phone contains 0300") == compare("phone", .contains, .text("0300")))
        #expect(try condition("phone contains 12") == compare("phone", .contains, .text("12")))
        #expect(try condition("note contains true") == compare("note", .contains, .text("true")))
        #expect(try condition("name contains علی") == compare("name", .contains, .text("علی")))
    }

    @Test func whereValuesAreTyped() throws {
        #expect(try condition("age = \"30\"") == compare("age", .equal, .text("30")))
        #expect(try condition("amount >= 12.50") == compare("amount", .greaterOrEqual, decimal("12.5")))
        #expect(try condition("armed = true") == compare("armed", .equal, .boolean(true)))
        #expect(try condition("cnic = 03001234567") == compare("cnic", .equal, .text("03001234567")))
    }

    @Test func andBindsTighterThanOr() throws {
        let a = compare("a", .equal, .integer(1)), b = compare("b", .equal, .integer(2)), c = compare("c", .equal, .integer(3))
        #expect(try condition("a = 1 and b = 2 or c = 3") == .or(.and(a, b), c))
        #expect(try condition("a = 1 or b = 2 and c = 3") == .or(a, .and(b, c)))
        #expect(try condition("a = 1 AND b = 2 OR c = 3") == .or(.and(a, b), c))
        #expect(try condition("a = 1 Or b = 2 And c = 3") == .or(a, .and(b, c)))
    }

    @Test func andOrAreLeftAssociative() throws {
        let a = compare("a", .equal, .integer(1)), b = compare("b", .equal, .integer(2)), c = compare("c", .equal, .integer(3))
        #expect(try condition("a = 1 and b = 2 and c = 3") == .and(.and(a, b), c))
        #expect(try condition("a = 1 or b = 2 or c = 3") == .or(.or(a, b), c))
    }

    @Test func parenthesesGroup() throws {
        let a = compare("a", .equal, .integer(1)), b = compare("b", .equal, .integer(2)), c = compare("c", .equal, .integer(3))
        #expect(try condition("(a = 1 or b = 2) and c = 3") == .and(.or(a, b), c))
        #expect(try condition("a = 1 and (b = 2 or c = 3)") == .and(a, .or(b, c)))
        #expect(try condition("((a = 1))") == a)
        #expect(try condition("(a=1 or(b=2))and c=3") == .and(.or(a, b), c))
    }

    @Test func orderByOneField() throws {
        #expect(try findQuery("person order by name") == Query(kind: kind("person"), orderBy: [.init(field: field("name"))]))
        #expect(try findQuery("person order by name asc") == Query(kind: kind("person"), orderBy: [.init(field: field("name"), descending: false)]))
        #expect(try findQuery("person order by name desc") == Query(kind: kind("person"), orderBy: [.init(field: field("name"), descending: true)]))
        #expect(try findQuery("person ORDER BY name DESC") == Query(kind: kind("person"), orderBy: [.init(field: field("name"), descending: true)]))
    }

    @Test func orderBySeveralFields() throws {
        let q = try findQuery("order by city desc, name asc, age")
        #expect(q == Query(orderBy: [.init(field: field("city"), descending: true), .init(field: field("name")), .init(field: field("age"))]))
        let q2 = try findQuery("order by city,name")
        #expect(q2 == Query(orderBy: [.init(field: field("city")), .init(field: field("name"))]))
    }

    @Test func orderById() throws {
        #expect(try findQuery("order by id") == Query(orderBy: [.init(field: nil)]))
        #expect(try findQuery("order by ID desc") == Query(orderBy: [.init(field: nil, descending: true)]))
        #expect(try findQuery("order by id, name") == Query(orderBy: [.init(field: nil), .init(field: field("name"))]))
    }

    @Test func limit() throws {
        #expect(try findQuery("limit 5") == Query(limit: 5))
        #expect(try findQuery("person LIMIT 20") == Query(kind: kind("person"), limit: 20))
        #expect(try findQuery("order by name limit 1") == Query(orderBy: [.init(field: field("name"))], limit: 1))
    }

    @Test func fullFind() throws {
        let q = try findQuery("person where city = Lahore and age >= 30 order by name limit 20")
        #expect(
            q == Query(kind: kind("person"), where: .and(compare("city", .equal, .text("Lahore")), compare("age", .greaterOrEqual, .integer(30))), orderBy: [.init(field: field("name"))], limit: 20))
        let upper = try CommandParser.parse("FIND person WHERE city = Lahore AND age >= 30 ORDER BY name LIMIT 20")
        #expect(upper == .find(q!))
    }

    @Test func findWhereWithoutKind() throws {
        #expect(try findQuery("where city = Lahore") == Query(where: compare("city", .equal, .text("Lahore"))))
        #expect(try findQuery("WHERE city = Lahore") == Query(where: compare("city", .equal, .text("Lahore"))))
    }

    @Test func count() throws {
        #expect(try CommandParser.parse("count") == .count(Query()))
        #expect(try CommandParser.parse("count vehicle") == .count(Query(kind: kind("vehicle"))))
        #expect(try CommandParser.parse("count vehicle where colour = white") == .count(Query(kind: kind("vehicle"), where: compare("colour", .equal, .text("white")))))
        #expect(try CommandParser.parse("COUNT where colour != white") == .count(Query(where: compare("colour", .notEqual, .text("white")))))
    }

    @Test func search() throws {
        #expect(try CommandParser.parse("search rashid karachi") == .search("rashid karachi", limit: nil))
        #expect(try CommandParser.parse("s rashid") == .search("rashid", limit: nil))
        #expect(try CommandParser.parse("search rashid karachi limit 5") == .search("rashid karachi", limit: 5))
        #expect(try CommandParser.parse("search rashid limit 5 karachi") == .search("rashid karachi", limit: 5))
        #expect(try CommandParser.parse("search ras*") == .search("ras*", limit: nil))
        #expect(try CommandParser.parse("search رشید کراچی") == .search("رشید کراچی", limit: nil))
        #expect(try CommandParser.parse("search \"call centre\" raid") == .search("call centre raid", limit: nil))
    }

    @Test func searchTakesSymbolsAsWords() throws {
        #expect(try CommandParser.parse("search x limit 5 )") == .search("x )", limit: 5))
    }

    @Test func searchLimitWordWithoutNumberIsAWord() throws {
        #expect(try CommandParser.parse("search speed limit") == .search("speed limit", limit: nil))
        #expect(try CommandParser.parse("search speed limit ahead") == .search("speed limit ahead", limit: nil))
        #expect(try CommandParser.parse("search \"limit\" 5") == .search("limit 5", limit: nil))
    }

    @Test func conflicts() throws {
        #expect(try CommandParser.parse("conflicts") == .conflicts)
        #expect(try CommandParser.parse("CONFLICTS") == .conflicts)
        #expect(try CommandParser.parse("conflicts fia-lahore-12") == .conflict("fia-lahore-12"))
    }

    @Test func resolve() throws {
        #expect(try CommandParser.parse("resolve fia-lahore-12 status=closed") == .resolve("fia-lahore-12", [field("status"): .text("closed")]))
        #expect(try CommandParser.parse("resolve fia-lahore-12 keep 2") == .resolveKeep("fia-lahore-12", side: "2"))
        #expect(try CommandParser.parse("resolve fia-lahore-12 keep fia-karachi:17") == .resolveKeep("fia-lahore-12", side: "fia-karachi:17"))
        #expect(try CommandParser.parse("resolve fia-lahore-12 keep \"fia-karachi:17\"") == .resolveKeep("fia-lahore-12", side: "fia-karachi:17"))
    }

    @Test(arguments: [("status", Command.status), ("STATUS", .status), ("check", .check), ("Check", .check)])
    func simpleCommands(line: String, expected: Command) throws {
        #expect(try CommandParser.parse(line) == expected)
    }

    @Test func export() throws {
        #expect(try CommandParser.parse("export csv persons.csv person") == .export(.csv, path: "persons.csv", kind: kind("person")))
        #expect(try CommandParser.parse("export jsonl /tmp/all.jsonl") == .export(.jsonl, path: "/tmp/all.jsonl", kind: nil))
        #expect(try CommandParser.parse("EXPORT CSV out.csv") == .export(.csv, path: "out.csv", kind: nil))
        #expect(try CommandParser.parse("export JsonL out.jsonl") == .export(.jsonl, path: "out.jsonl", kind: nil))
        #expect(try CommandParser.parse("export csv \"/media/usb/my files/persons.csv\" person") == .export(.csv, path: "/media/usb/my files/persons.csv", kind: kind("person")))
    }

    @Test func importFile() throws {
        #expect(try CommandParser.parse("import csv persons.csv person") == .importFile(.csv, path: "persons.csv", kind: kind("person")))
        #expect(try CommandParser.parse("import jsonl in.jsonl") == .importFile(.jsonl, path: "in.jsonl", kind: nil))
        #expect(try CommandParser.parse("IMPORT Csv 'a b.csv'") == .importFile(.csv, path: "a b.csv", kind: nil))
    }

    @Test func json() throws {
        #expect(try CommandParser.parse("json on") == .json(true))
        #expect(try CommandParser.parse("json off") == .json(false))
        #expect(try CommandParser.parse("JSON on") == .json(true))
    }

    @Test func merge() throws {
        #expect(try CommandParser.parse("merge /media/usb/karachi.daftar") == .merge(path: "/media/usb/karachi.daftar"))
        #expect(try CommandParser.parse("merge \"/media/usb/my store.daftar\"") == .merge(path: "/media/usb/my store.daftar"))
    }

    @Test func fork() throws {
        #expect(try CommandParser.parse("fork discard fia-lahore from 1043") == .forkDiscard(node("fia-lahore"), from: 1043))
        #expect(try CommandParser.parse("fork discard fia-lahore from 1") == .forkDiscard(node("fia-lahore"), from: 1))
        #expect(try CommandParser.parse("fork keep fia-lahore") == .forkKeep(node("fia-lahore")))
        #expect(try CommandParser.parse("FORK keep 7-office") == .forkKeep(node("7-office")))
        #expect(try CommandParser.parse("fork show fia-lahore") == .forkShow(node("fia-lahore")))
    }

    @Test func help() throws {
        #expect(try CommandParser.parse("help") == .help(nil))
        #expect(try CommandParser.parse("?") == .help(nil))
        #expect(try CommandParser.parse("help find") == .help("find"))
        #expect(try CommandParser.parse("help FIND") == .help("find"))
        #expect(try CommandParser.parse("? fork") == .help("fork"))
    }

    @Test(arguments: ["quit", "exit", "q", "QUIT", "Exit", "Q", "  quit  "])
    func quit(line: String) throws {
        #expect(try CommandParser.parse(line) == .quit)
    }
}

// MARK: - Quoting, escaping and Urdu

@Suite struct QuotingTests {
    @Test(arguments: [
        (#"note="Raid on call centre""#, "Raid on call centre"),
        (#"note='Raid on call centre'"#, "Raid on call centre"),
        (#"note="say \"hi\"""#, #"say "hi""#),
        (#"note='it\'s'"#, "it's"),
        (#"note='say "hi"'"#, #"say "hi""#),
        (#"note="it's""#, "it's"),
        (#"note="a\\b""#, #"a\b"#),
        (#"note="C:\\data\\x""#, #"C:\data\x"#),
        (#"note="line1\nline2""#, "line1\nline2"),
        (#"note="a\tb""#, "a\tb"),
        (#"note='a\nb\tc'"#, "a\nb\tc"),
        (#"note="""#, ""),
        (#"note=''"#, ""),
        (#"note="  padded  ""#, "  padded  "),
        (#"note="a = b, (c) < d""#, "a = b, (c) < d"),
        (#"note=ab"c d"e"#, "abc de"),
    ])
    func quotedValues(text: String, expected: String) throws {
        #expect(try assigned(text) == [field("note"): .text(expected)])
    }

    @Test func severalQuotedValues() throws {
        let fields = try assigned(#"title="Raid on call centre" city='Lahore Cantt' status=open"#)
        #expect(fields == [field("title"): .text("Raid on call centre"), field("city"): .text("Lahore Cantt"), field("status"): .text("open")])
    }

    @Test func tokenizerSplitsSymbols() throws {
        #expect(try Tokenizer.tokenize("city=Lahore") == [.word("city", quoted: false), .symbol("="), .word("Lahore", quoted: false)])
        #expect(
            try Tokenizer.tokenize("a!=b<=c>=d<e>f") == [
                .word("a", quoted: false), .symbol("!="), .word("b", quoted: false), .symbol("<="), .word("c", quoted: false),
                .symbol(">="), .word("d", quoted: false), .symbol("<"), .word("e", quoted: false), .symbol(">"), .word("f", quoted: false),
            ])
        #expect(try Tokenizer.tokenize("(a,b)") == [.openParen, .word("a", quoted: false), .comma, .word("b", quoted: false), .closeParen])
        #expect(try Tokenizer.tokenize("wow!") == [.word("wow!", quoted: false)])
        #expect(try Tokenizer.tokenize("\"x y\" 'z'") == [.word("x y", quoted: true), .word("z", quoted: true)])
        #expect(try Tokenizer.tokenize("\"\"") == [.word("", quoted: true)])
        #expect(try Tokenizer.tokenize("\"=\"") == [.word("=", quoted: true)])
    }

    @Test func urduValues() throws {
        let fields = try assigned("name=علی city=\"کراچی صدر\" father='محمد رشید'")
        #expect(fields == [field("name"): .text("علی"), field("city"): .text("کراچی صدر"), field("father"): .text("محمد رشید")])
        #expect(try CommandParser.parse("add person name=\"عبدالرشید خان\" cnic=03001234567") == .add(kind("person"), [field("name"): .text("عبدالرشید خان"), field("cnic"): .text("03001234567")]))
    }

    @Test func urduWithVowelMarksIsKept() throws {
        // Zer and zabar marks are part of the text.
        #expect(try assigned("name=عَلِی") == [field("name"): .text("عَلِی")])
    }

    @Test func textIsNormalizedToNFC() throws {
        #expect(try assigned("name=Jose\u{301}") == [field("name"): .text("Jos\u{E9}")])
        #expect(try assigned("name=\"Jose\u{301} Ali\"") == [field("name"): .text("Jos\u{E9} Ali")])
        // ۂ written as ہ + hamza above is kept as the single letter.
        #expect(try assigned("name=\u{6C1}\u{654}") == [field("name"): .text("\u{6C2}")])
    }

    /// `contains` with an unquoted value is normalized to NFC like every other value, so that it
    /// is valid text and matches what the store holds.
    @Test func containsValueIsNormalizedToNFC() throws {
        let c = try condition("name contains Jose\u{301}")
        #expect(c == compare("name", .contains, .text("Jos\u{E9}")))
        if case .compare(_, _, let value)? = c {
            #expect((try? value.validate()) != nil, "the contains value is not NFC text")
        }
    }
}

// MARK: - Value typing

@Suite struct ValueTypingTests {
    static let cases: [(String, FieldValue)] = [
        ("\"12\"", .text("12")),
        ("'12'", .text("12")),
        ("12", .integer(12)),
        ("0", .integer(0)),
        ("12.50", decimal("12.5")),
        ("12.0", decimal("12")),
        ("-3", .integer(-3)),
        ("-0.25", decimal("-0.25")),
        ("true", .boolean(true)),
        ("false", .boolean(false)),
        ("\"true\"", .text("true")),
        ("'false'", .text("false")),
        ("TRUE", .text("TRUE")),
        ("True", .text("True")),
        ("03001234567", .text("03001234567")),
        ("+5", .text("+5")),
        ("1e5", .text("1e5")),
        ("0.5", decimal("0.5")),
        ("00.5", .text("00.5")),
        ("-05", .text("-05")),
        ("5.", .text("5.")),
        (".5", .text(".5")),
        ("1.2.3", .text("1.2.3")),
        ("-", .text("-")),
        ("9223372036854775807", .integer(Int64.max)),
        ("-9223372036854775808", .integer(Int64.min)),
        ("9223372036854775808", decimal("9223372036854775808")),
        ("١٢", .text("١٢")),
        ("۱۲", .text("۱۲")),
        ("Lahore", .text("Lahore")),
        ("fia-lahore-12", .text("fia-lahore-12")),
    ]

    @Test(arguments: cases)
    func typedThroughTheParser(raw: String, expected: FieldValue) throws {
        #expect(try assigned("v=\(raw)") == [field("v"): expected])
    }

    @Test(arguments: cases)
    func typedByValueSyntax(raw: String, expected: FieldValue) throws {
        let tokens = try Tokenizer.tokenize(raw)
        guard case .word(let text, let quoted)? = tokens.first, tokens.count == 1 else {
            Issue.record("\(raw) is not one word: \(tokens)")
            return
        }
        #expect(try ValueSyntax.value(text, quoted: quoted) == expected)
    }

    @Test func quotedNumberIsTextInWhere() throws {
        #expect(try condition("cnic = \"12\"") == compare("cnic", .equal, .text("12")))
    }
}

// MARK: - Error messages

@Suite struct ParseErrorTests {
    @Test func unterminatedQuote() {
        expectError(#"add incident title="Raid on"#, "unterminated quote", #"close it with ""#, #"title="Raid on call centre""#)
        expectError("add incident title='Raid on", "unterminated quote", "close it with '", "title='Raid on call centre'")
        expectError(#"add incident title="ends with backslash\"#, "unterminated quote")
        expectError(#"set x a="\""#, "unterminated quote")
    }

    @Test func commandMustStartWithAName() {
        expectError(#""add" incident"#, "a command starts with its name", "type help")
        expectError("= x", "a command starts with its name")
        expectError("(find)", "a command starts with its name")
    }

    @Test(arguments: [
        ("fnd", "find"), ("serch", "search"), ("delet", "delete"), ("FND", "find"), ("stauts", "status"), ("hlp", "help"), ("exi", "quit"), ("conflict", "conflicts"), ("hist0ry", "history"),
    ])
    func unknownCommandWithSuggestion(typed: String, suggestion: String) {
        expectError("\(typed) x", "unknown command '\(typed)'", "(did you mean \(suggestion)?)", "type help for the list of commands")
    }

    @Test(arguments: ["frobnicate", "x", "zz", "abracadabra", "علی"])
    func unknownCommandWithoutSuggestion(typed: String) {
        expectError(typed, "unknown command '\(typed)'", "type help for the list of commands")
        #expect(parseError(typed)?.contains("did you mean") == false)
    }

    @Test func unknownOperator() {
        expectError("find where city ~ Lahore", "unknown operator '~' after city", "use =, !=, <, <=, >, >= or contains", "city = value")
        expectError("find where city Lahore", "unknown operator 'Lahore' after city")
        expectError("find where city (Lahore)", "unknown operator '(' after city")
        expectError("find where city \"=\" Lahore", "unknown operator '=' after city")
    }

    @Test func conditionMissingOperatorOrValue() {
        expectError("find where city", "city needs an operator and a value", "city = value")
        expectError("find where age >=", "age >= needs a value", "age >= 30")
        expectError("find where name contains", "name contains needs a value")
        expectError("find where age < )", "age < needs a value")
    }

    @Test func missingCondition() {
        expectError("find where", "expected a condition such as city = Lahore")
        expectError("find where city = Lahore and", "expected a condition")
        expectError("find where city = Lahore or", "expected a condition")
        expectError("find where ()", "expected a condition")
        expectError("find where \"city\" = Lahore", "expected a condition")
    }

    @Test func assignmentMissingEquals() {
        expectError("add incident title Lahore", "'title' needs a value: write name=value", "title=Lahore", #"title="two words""#)
        expectError("set x title", "'title' needs a value")
        expectError("set x title < 5", "'title' needs a value")
        expectError("add incident title=Raid on call centre", "'on' needs a value")
    }

    @Test func assignmentMissingValue() {
        expectError("set x title=", "'title=' needs a value", "write title=value", #"title="" for empty text"#)
        expectError("set x title= , b=1", "'title=' needs a value")
        expectError("set x title==x", "'title=' needs a value")
    }

    @Test func assignmentNeedsAFieldName() {
        expectError("add incident =x", "expected a field name, not '='", "write fields as name=value", "city=Lahore")
        expectError(#"add incident "title"=x"#, "expected a field name, not 'title'")
        expectError("set x (a=1)", "expected a field name, not '('")
    }

    @Test func fieldGivenTwice() {
        expectError("add incident city=Lahore city=Karachi", "field city is given twice", "give each field once")
        expectError("set x a=1, a=1", "field a is given twice")
    }

    @Test func badFieldName() {
        expectError("set x 9lives=1", "'9lives' is not a field name", "English letters (a-z, A-Z), digits and '_'")
        expectError("add person نام=علی", "'نام' is not a field name")
        expectError("add person full-name=Ali", "'full-name' is not a field name")
        expectError("unset x 9a", "'9a' is not a field name")
        expectError("find where 9a = 1", "'9a' is not a field name")
        expectError("find order by 9a", "'9a' is not a field name")
        expectError("set x \(String(repeating: "a", count: 65))=1", "is not a field name", "up to 64")
    }

    @Test func badKind() {
        expectError("add 9x", "'9x' is not a kind", "call_centre_raid")
        expectError("add call-centre", "'call-centre' is not a kind")
        expectError("find 9x", "'9x' is not a kind")
        expectError("count 9x", "'9x' is not a kind")
        expectError("export csv out.csv 9x", "'9x' is not a kind")
        expectError("import jsonl in.jsonl 9x", "'9x' is not a kind")
        expectError("add \(String(repeating: "k", count: 65))", "is not a kind")
    }

    @Test(arguments: [
        ("set", "set ID name=value ..."), ("unset", "unset ID name ..."), ("delete", "delete ID"), ("del", "delete ID"), ("rm", "delete ID"),
        ("restore", "restore ID"), ("show", "show ID"), ("get", "show ID"), ("history", "history ID"), ("hist", "history ID"),
        ("resolve", "resolve ID keep SIDE"),
    ])
    func missingId(verb: String, usage: String) {
        let name = CommandSpec.named(verb)!.name
        expectError(verb, "\(name) needs an entry id (or its first characters)", usage, "for example: \(name) fia-lahore-12")
        expectError("\(verb) \"\"", "\(name) needs an entry id")
        expectError("\(verb) (", "\(name) needs an entry id")
    }

    @Test func emptyConflictIdIsRefused() {
        expectError("conflicts \"\"", "conflicts needs an entry id", "conflicts [ID]")
    }

    @Test func unclosedParenthesis() {
        expectError("find where (a = 1 or b = 2", "a '(' is not closed: add ')'")
        expectError("find where ((a = 1) and b = 2", "a '(' is not closed")
        expectError("find where (a = 1 order by a", "a '(' is not closed")
    }

    @Test(arguments: ["limit 0", "limit -5", "limit many", "limit", "limit 2.5", "person limit \"5\""])
    func limitNotPositive(rest: String) {
        expectError("find \(rest)", "limit takes a positive number", "limit 20")
    }

    @Test func searchLimitNotPositive() {
        expectError("search rashid limit 0", "limit takes a positive number", "limit 20")
        expectError("search rashid limit -1", "limit takes a positive number")
    }

    @Test func orderByErrors() {
        expectError("find order name", "write order by FIELD [desc]", "find person order by name")
        expectError("find order", "write order by FIELD")
        expectError("find order by", "order by needs a field name", "order by seized_at desc")
        expectError("find order by name,", "order by needs a field name")
        expectError("find order by \"name\"", "order by needs a field name")
    }

    @Test func trailingGarbageAfterCommand() {
        expectError("status now", "unexpected 'now' after the command", "usage: status")
        expectError("check all", "unexpected 'all' after the command", "usage: check")
        expectError("quit now", "unexpected 'now' after the command", "usage: quit")
        expectError("show a b", "unexpected 'b' after the command", "usage: show ID")
        expectError("delete a, b", "unexpected ',' after the command", "usage: delete ID")
        expectError("conflicts a b", "unexpected 'b' after the command", "usage: conflicts [ID]")
        expectError("json on off", "unexpected 'off' after the command", "usage: json on|off")
        expectError("merge a.daftar b.daftar", "unexpected 'b.daftar' after the command", "usage: merge PATH")
        expectError("merge a=b", "unexpected '=' after the command")
        expectError("resolve x keep 2 3", "unexpected '3' after the command", "usage: resolve ID keep SIDE")
        expectError("fork keep fia-lahore now", "unexpected 'now' after the command", "usage: fork show ORIGIN | fork find ORIGIN with REMOTE | fork discard ORIGIN from SEQ | fork keep ORIGIN")
        expectError("fork discard fia-lahore from 3 4", "unexpected '4' after the command")
        expectError("export csv out.csv person extra", "unexpected 'extra' after the command", "usage: export csv|jsonl FILE [KIND]")
        expectError("help find me", "unexpected 'me' after the command", "usage: help [COMMAND]")
    }

    @Test func trailingGarbageAfterQuery() {
        expectError("find person where a = 1 )", "unexpected ')'", "usage: find [KIND] [in SCOPE] [where CONDITION] [order by FIELD [asc|desc], ...] [limit N]")
        expectError("find person person", "unexpected 'person'", "usage: find [KIND]")
        expectError("find \"person\"", "unexpected 'person'")
        expectError("find limit 5 order by name", "unexpected 'order'")
        expectError("find where a = 1 b", "unexpected 'b'")
        expectError("count person order by name", "unexpected 'order'", "usage: count [KIND] [in SCOPE] [where CONDITION]")
        expectError("count limit 5", "unexpected 'limit'", "usage: count [KIND] [in SCOPE] [where CONDITION]")
        expectError("find person in", "needs a scope name after in", "find case in punjab")
        expectError("find person in Bad_Scope", "Bad_Scope")
        expectError("transfer fia-lahore-1 punjab", "transfer fia-lahore-1 to SCOPE")
        expectError("transfer fia-lahore-1 to", "transfer fia-lahore-1 to SCOPE")
    }

    /// The optional KIND of export/import is a word: a trailing `)`, `,`, `=` or `(` after the
    /// path is refused, not silently taken.
    @Test(arguments: ["export csv out.csv )", "export csv out.csv ,", "import jsonl in.jsonl =", "export csv out.csv ("])
    func trailingSymbolAfterExportPathIsRefused(line: String) {
        expectError(line, "unexpected")
    }

    /// The optional topic of help is a word: a `(`, `=` or `,` after `help` is refused, not read
    /// as plain `help`.
    @Test(arguments: ["help (", "help =", "help ,"])
    func trailingSymbolAfterHelpIsRefused(line: String) {
        expectError(line, "unexpected")
    }

    @Test func badExportFormat() {
        expectError("export xml out.xml", "export needs a format, csv or jsonl", "export csv|jsonl FILE [KIND]")
        expectError("export", "export needs a format, csv or jsonl")
        expectError("import tsv in.tsv", "import needs a format, csv or jsonl", "import csv|jsonl FILE [KIND]")
        expectError("import = x", "import needs a format")
    }

    @Test func exportNeedsAPath() {
        expectError("export csv", "usage: export csv|jsonl FILE [KIND]", "for example: export csv persons.csv person")
        expectError("import jsonl", "usage: import csv|jsonl FILE [KIND]")
    }

    @Test(arguments: [
        "fork", "fork keep", "fork discard", "fork discard fia-lahore", "fork discard fia-lahore from", "fork discard fia-lahore from 0",
        "fork discard fia-lahore from -1", "fork discard fia-lahore from x", "fork discard fia-lahore to 5", "fork undo fia-lahore",
        "fork \"keep\" fia-lahore", "fork discard fia-lahore from 1.5", "fork show",
    ])
    func badForkUsage(line: String) {
        expectError(line, "usage: fork show ORIGIN | fork find ORIGIN with REMOTE | fork discard ORIGIN from SEQ | fork keep ORIGIN", "for example: fork discard fia-lahore from 1043")
    }

    @Test func forkBadNodeId() {
        expectError("fork keep Fia_Lahore", "'Fia_Lahore' is not a node id", "fia-lahore")
        expectError("fork discard -lahore from 3", "'-lahore' is not a node id")
    }

    @Test func usageErrorsNameTheRightForm() {
        expectError("add", "usage: add KIND [in SCOPE] name=value ...", "for example: add incident title=\"Raid on call centre\" city=Lahore status=open")
        expectError("add \"incident\"", "usage: add KIND [in SCOPE] name=value")
        expectError("set x", "usage: set ID name=value ...", "for example: set fia-lahore-12 status=closed")
        expectError("set x ,", "usage: set ID name=value")
        expectError("unset x", "usage: unset ID name ...", "for example: unset fia-lahore-12 phone")
        expectError("unset x phone=1", "usage: unset ID name ...")
        expectError("unset x \"phone\"", "usage: unset ID name ...")
        expectError("json", "usage: json on|off", "for example: json on")
        expectError("json maybe", "usage: json on|off")
        expectError("json \"on\"", "usage: json on|off")
        expectError("merge", "usage: merge PATH", "for example: merge /media/usb/karachi.daftar")
        expectError("search", "usage: search WORDS... [limit N]", "for example: search rashid karachi")
        expectError("search limit 5", "usage: search WORDS...")
        expectError("resolve x", "usage: resolve ID keep SIDE | resolve ID keep deleted|live | resolve ID name=value ...", "for example: resolve fia-lahore-12 keep 2")
    }

    @Test func resolveKeepNeedsASide() {
        expectError("resolve x keep", "name the side to keep", "resolve ID keep 2", "keep fia-karachi:17")
        expectError("resolve x keep =", "name the side to keep")
    }

    @Test func valueLimits() {
        expectError("set x amount=12345678901234567890123456789012345678901.5", "more than 40 digits", "store it as text")
        expectError("set x note=\"\(String(repeating: "a", count: 8193))\"", "8193 bytes is over the limit of 8192 bytes")
        expectError("set x note=\(String(repeating: "ب", count: 4097))", "over the limit of 8192 bytes")
        expectError("set x note=\"a\u{0}b\"", "NUL character")
        #expect(parseError("set x note=\"\(String(repeating: "a", count: 8192))\"") == nil)
    }
}

@Suite struct ConditionLimitTests {
    @Test func deepOrLongConditions_areRefusedWithAMessage_notACrash() {
        let deep = "find where " + String(repeating: "(", count: 100_000) + "a = 1" + String(repeating: ")", count: 100_000)
        #expect(parseError(deep)?.contains("nests parentheses more than 64 deep") == true)
        let long = "find where " + Array(repeating: "a = 1", count: 200_000).joined(separator: " and ")
        #expect(parseError(long)?.contains("more than 256 comparisons") == true)
        // At the limits, they parse.
        #expect(parseError("find where " + String(repeating: "(", count: 64) + "a = 1" + String(repeating: ")", count: 64)) == nil)
        #expect(parseError("find where " + Array(repeating: "a = 1", count: 256).joined(separator: " or ")) == nil)
    }
}

@Suite struct ForkFindParseTests {
    @Test func forkFindNamesTheOriginAndTheRemote() throws {
        #expect(try CommandParser.parse("fork find fia-lahore with central") == .forkFind(try NodeID("fia-lahore"), remote: "central"))
        #expect(throws: CommandError.self) { try CommandParser.parse("fork find fia-lahore central") }
    }

    @Test func syncAndRemotes() throws {
        #expect(try CommandParser.parse("sync") == .sync(remote: nil))
        #expect(try CommandParser.parse("sync central") == .sync(remote: "central"))
        #expect(try CommandParser.parse("remotes") == .remotes)
        #expect(throws: CommandError.self) { try CommandParser.parse("sync central now") }
    }
}
