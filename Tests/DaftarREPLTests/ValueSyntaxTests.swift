import DaftarModel
import Testing

@testable import DaftarCommand
@testable import DaftarREPL

/// Reads a value back the way `set x f=...` does.
func typedBack(_ literal: String) throws -> FieldValue? {
    guard case .set(_, let fields)? = try CommandParser.parse("set x f=" + literal) else { return nil }
    return fields[field("f")]
}

/// Reads a CSV cell back the way `import csv` does (Session+Files.swift).
func csvCellBack(_ cell: String) throws -> FieldValue {
    if cell.count >= 2, (cell.hasPrefix("\"") && cell.hasSuffix("\"")) || (cell.hasPrefix("'") && cell.hasSuffix("'")) {
        guard case .word(let inner, quoted: true)? = try Tokenizer.tokenize(cell).first else { throw CommandError("a quoted cell must hold one quoted value") }
        return try ValueSyntax.value(inner, quoted: true)
    }
    return try ValueSyntax.value(cell, quoted: false)
}

let trickyStrings: [String] = [
    "", " ", "  two  spaces ", "Raid on call centre", "Lahore", "say \"hi\"", "\"quoted\"", "\"", "'", "''", "\"\"", "it's", "'lead", "trail'",
    "back\\slash", "\\", "ends with \\", "\\n", "\\\"", "line1\nline2", "\n", "\n\n", "tab\there", "\t", "\r\n", "cr\rlf",
    "true", "false", "TRUE", "False", "null", "12", "-3", "0", "-0", "12.5", "12.50", "12.0", "0.5", "00.5", "-0.5", "03001234567", "+5", "1e5",
    "-", ".", "5.", ".5", "1.2.3", "9223372036854775808", "a=b", "x!=y", "a<b", "a>=b", "(paren)", "a,b", ",", "=", "!", "#hash", "a b=c",
    "علی", "کراچی صدر", "عَلِی", "محمد \"رشید\"", "۱۲", "٣", "'علی'", "漢字", "中文 text", "😀", "e\u{301}", "x\u{200C}y", "non\u{A0}breaking",
]

let nonTextValues: [FieldValue] = [
    .integer(0), .integer(12), .integer(-3), .integer(Int64.max), .integer(Int64.min),
    decimal("12.5"), decimal("-0.001"), decimal("0.5"), decimal("12345678901234567890.5"), decimal("9223372036854775808"),
    .boolean(true), .boolean(false),
]

@Suite struct ValueSyntaxTests {
    @Test(arguments: trickyStrings)
    func literalOfTextReadsBackAsTheSameText(s: String) throws {
        let value = try FieldValue.text(normalizing: s)
        let literal = ValueSyntax.literal(value)
        let tokens = try Tokenizer.tokenize(literal)
        #expect(tokens.count == 1, "literal \(literal.debugDescription) is \(tokens.count) tokens")
        #expect(try typedBack(literal) == value, "literal \(literal.debugDescription)")
    }

    @Test(arguments: nonTextValues)
    func literalOfOtherValuesReadsBackAsTheSameValue(value: FieldValue) throws {
        #expect(try typedBack(ValueSyntax.literal(value)) == value)
    }

    /// Every concatenation of two and three tricky pieces: the literal reads back as the text.
    @Test func literalRoundTripProperty() throws {
        // "\u{301}" and "\u{615}": combining marks, which join the character before them.
        let pieces = ["", " ", "\"", "'", "\\", "\n", "\t", "=", "(", ",", "12", "-", ".", "0", "true", "علی", "漢", "a", "#", "!", "\u{301}", "\u{615}"]
        var checked = 0
        for a in pieces {
            for b in pieces {
                for c in pieces {
                    let value = try FieldValue.text(normalizing: a + b + c)
                    let literal = ValueSyntax.literal(value)
                    let back = try typedBack(literal)
                    if back != value {
                        Issue.record("text \((a + b + c).debugDescription): literal \(literal.debugDescription) reads back as \(String(describing: back))")
                    }
                    checked += 1
                }
            }
        }
        #expect(checked == pieces.count * pieces.count * pieces.count)
    }

    @Test func literalForms() {
        #expect(ValueSyntax.literal(.text("Lahore")) == "Lahore")
        #expect(ValueSyntax.literal(.text("علی")) == "علی")
        #expect(ValueSyntax.literal(.text("03001234567")) == "03001234567")
        #expect(ValueSyntax.literal(.text("12")) == "\"12\"")
        #expect(ValueSyntax.literal(.text("-3.5")) == "\"-3.5\"")
        #expect(ValueSyntax.literal(.text("true")) == "\"true\"")
        #expect(ValueSyntax.literal(.text("")) == "\"\"")
        #expect(ValueSyntax.literal(.text("two words")) == "\"two words\"")
        #expect(ValueSyntax.literal(.text("say \"hi\"")) == #""say \"hi\"""#)
        #expect(ValueSyntax.literal(.text("a\\b")) == #""a\\b""#)
        #expect(ValueSyntax.literal(.text("l1\nl2\tx")) == #""l1\nl2\tx""#)
        #expect(ValueSyntax.literal(.text("a=b")) == "\"a=b\"")
        #expect(ValueSyntax.literal(.text("'x")) == "\"'x\"")
        #expect(ValueSyntax.literal(.integer(-3)) == "-3")
        #expect(ValueSyntax.literal(decimal("12.50")) == "12.5")
        #expect(ValueSyntax.literal(.boolean(false)) == "false")
    }

    @Test(arguments: ["0", "12", "-3", "0.5", "-0.5", "12.50", "9223372036854775808"])
    func canonicalNumbers(s: String) {
        #expect(ValueSyntax.isCanonicalNumber(s))
    }

    @Test(arguments: ["", "-", ".", "00", "012", "00.5", "+5", "1e5", "5.", ".5", "1.2.3", "--1", "1-", " 1", "١٢", "0x10", "1_000"])
    func notCanonicalNumbers(s: String) {
        #expect(!ValueSyntax.isCanonicalNumber(s))
    }

    @Test func csvCellForms() {
        #expect(ValueSyntax.csvCell(.text("Lahore")) == "Lahore")
        #expect(ValueSyntax.csvCell(.text("two words")) == "two words")
        #expect(ValueSyntax.csvCell(.text("a=b, c")) == "a=b, c")
        #expect(ValueSyntax.csvCell(.text("03001234567")) == "03001234567")
        #expect(ValueSyntax.csvCell(.text("12")) == "\"12\"")
        #expect(ValueSyntax.csvCell(.text("true")) == "\"true\"")
        #expect(ValueSyntax.csvCell(.text("")) == "\"\"")
        #expect(ValueSyntax.csvCell(.text("\"x\"")) == #""\"x\"""#)
        #expect(ValueSyntax.csvCell(.text("'x")) == "\"'x\"")
        #expect(ValueSyntax.csvCell(.integer(12)) == "12")
        #expect(ValueSyntax.csvCell(decimal("12.5")) == "12.5")
        #expect(ValueSyntax.csvCell(.boolean(true)) == "true")
    }

    @Test(arguments: trickyStrings)
    func csvCellOfTextReadsBackAsTheSameText(s: String) throws {
        let value = try FieldValue.text(normalizing: s)
        let cell = ValueSyntax.csvCell(value)
        #expect(!cell.isEmpty)
        #expect(try csvCellBack(cell) == value, "cell \(cell.debugDescription)")
        // And through a whole CSV file.
        let text = CSV.line(["id", "kind", "f"]) + "\n" + CSV.line(["fia-1", "person", cell]) + "\n"
        let rows = try CSV.rows(text)
        #expect(rows.count == 2)
        if rows.count == 2, rows[1].count == 3 {
            #expect(rows[1][2] == cell)
            #expect(try csvCellBack(rows[1][2]) == value)
        }
    }

    @Test(arguments: nonTextValues)
    func csvCellOfOtherValuesReadsBackAsTheSameValue(value: FieldValue) throws {
        #expect(try csvCellBack(ValueSyntax.csvCell(value)) == value)
    }

    /// A decimal with no fraction digits (typed as `100.00` or `12.0`, normal form `100`) keeps
    /// its type: literal and csvCell write it so that it reads back as a decimal, not an integer.
    @Test(arguments: ["100.00", "12.0", "-7.000"])
    func wholeDecimalKeepsItsType(typed: String) throws {
        let value = try #require(try typedBack(typed))
        guard case .decimal = value else {
            Issue.record("\(typed) did not parse as a decimal: \(value)")
            return
        }
        #expect(try typedBack(ValueSyntax.literal(value)) == value, "literal \(ValueSyntax.literal(value)) reads back as \(String(describing: try? typedBack(ValueSyntax.literal(value))))")
        #expect(try csvCellBack(ValueSyntax.csvCell(value)) == value, "csv cell \(ValueSyntax.csvCell(value)) reads back as \(String(describing: try? csvCellBack(ValueSyntax.csvCell(value))))")
    }

    /// A text beginning with a combining mark is written as a literal that types back as the same
    /// text: the mark is not glued to the `=` or to the opening quote before it.
    @Test(arguments: ["\u{650}علی", "\u{301}x", "\u{64E} two words"])
    func textStartingWithACombiningMarkRoundTrips(s: String) throws {
        let value = try FieldValue.text(normalizing: s)
        let literal = ValueSyntax.literal(value)
        var back: FieldValue?
        var failure: String?
        do { back = try typedBack(literal) } catch { failure = "\(error)" }
        #expect(back == value, "literal \(literal.debugDescription) read back as \(String(describing: back)), error: \(failure ?? "none")")
    }

    @Test func valueRejectsWhatTheModelRejects() {
        #expect(throws: CommandError.self) { try ValueSyntax.value(String(repeating: "1", count: 41) + ".5", quoted: false) }
        #expect(throws: CommandError.self) { try ValueSyntax.value(String(repeating: "x", count: 8193), quoted: true) }
        #expect(throws: CommandError.self) { try ValueSyntax.value("a\u{0}", quoted: false) }
        #expect((try? ValueSyntax.value(String(repeating: "x", count: 8192), quoted: true)) == .text(String(repeating: "x", count: 8192)))
    }
}
