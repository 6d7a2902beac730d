import DaftarModel
import DaftarStore
import Testing

@testable import DaftarREPL

/// The console's grammar added for officers' first hour: paging, the vertical view, commas in
/// values, export and import options, and the new commands.
@Suite struct ConsoleGrammarTests {
    @Test func offsetAndVerticalInAnyOrder() throws {
        #expect(try findQuery("person limit 20 offset 40") == Query(kind: kind("person"), limit: 20, offset: 40))
        #expect(try findQuery("person offset 40 limit 20") == Query(kind: kind("person"), limit: 20, offset: 40))
        #expect(try findQuery("offset 5") == Query(offset: 5))
        #expect(try CommandParser.parse("find person vertical") == .find(Query(kind: kind("person")), vertical: true))
        #expect(try CommandParser.parse("find person order by name limit 3 vertical") == .find(Query(kind: kind("person"), orderBy: [.init(field: field("name"))], limit: 3), vertical: true))
        expectError("find person offset -1", "offset takes a number of entries to skip")
        expectError("find person offset x", "offset takes a number")
        expectError("find person limit 5 limit 6", "limit is given twice")
        expectError("count person offset 5", "unexpected 'offset'")
    }

    @Test func commasInsideAValueBelongToIt() throws {
        #expect(try assignments("add case suspects=fia-lahore-2,fia-lahore-3") == [field("suspects"): .text("fia-lahore-2,fia-lahore-3")])
        #expect(try assignments("add seizure amount=1,250,000.50") == [field("amount"): .decimal(try ExactDecimal("1250000.50"))])
        #expect(try assignments("add seizure count=12,000") == [field("count"): .integer(12000)])
        // Not grouped in threes: text, as typed.
        #expect(try assignments("add x code=12,34") == [field("code"): .text("12,34")])
        // A comma followed by a space, or by the next field, still separates fields.
        #expect(try assignments("add x a=1, b=2") == [field("a"): .integer(1), field("b"): .integer(2)])
        #expect(try assignments("add x a=1,b=2") == [field("a"): .integer(1), field("b"): .integer(2)])
        // Outside a value, commas separate as before.
        #expect(try findQuery("person order by city,age")?.ordering.count == 2)
        #expect(try CommandParser.parse("unset fia-1 a,b") == .unset("fia-1", [field("a"), field("b")]))
    }

    @Test func exportAndImportOptions() throws {
        #expect(try CommandParser.parse("export csv out.csv --excel") == .export(.csv, path: "out.csv", kind: nil, excel: true))
        #expect(try CommandParser.parse("export csv out.csv person --excel") == .export(.csv, path: "out.csv", kind: kind("person"), excel: true))
        #expect(try CommandParser.parse("export csv out.csv --excel person") == .export(.csv, path: "out.csv", kind: kind("person"), excel: true))
        #expect(try CommandParser.parse("import csv in.csv --again") == .importFile(.csv, path: "in.csv", kind: nil, again: true))
        expectError("export csv out.csv --again", "unknown option '--again'")
        expectError("import csv in.csv --excel", "unknown option '--excel'")
        expectError("export csv out.csv person vehicle", "unexpected 'vehicle'")
    }

    @Test func newCommands() throws {
        #expect(try CommandParser.parse("undo") == .undo)
        expectError("source /tmp/a b.txt", "unexpected 'b.txt'")
        #expect(try CommandParser.parse("source \"/tmp/a b.txt\"") == .source(path: "/tmp/a b.txt"))
        #expect(try CommandParser.parse("refs fia-lahore-12") == .refs("fia-lahore-12"))
        #expect(try CommandParser.parse("view vertical") == .view(vertical: true))
        #expect(try CommandParser.parse("VIEW table") == .view(vertical: false))
        #expect(try CommandParser.parse("pager off") == .pager(false))
        #expect(try CommandParser.parse("resolve fia-1 keep deleted") == .resolveKeep("fia-1", side: "deleted"))
        expectError("undo now", "unexpected 'now'")
        expectError("view sideways", "usage: view vertical|table")
        expectError("refs", "refs needs an entry id")
        expectError("source", "usage: source FILE")
    }

    /// The example value of an error fits the operator: a number for a range.
    @Test func examplesFitTheOperator() {
        expectError("find person where age >", "age > 30")
        expectError("find person where age <=", "age <= 30")
        expectError("find person where name contains", "name contains ali")
        expectError("find person where city =", "city = Lahore")
    }
}

private func assignments(_ line: String) throws -> [FieldName: FieldValue]? {
    guard case .add(_, let fields)? = try CommandParser.parse(line) else { return nil }
    return fields
}
