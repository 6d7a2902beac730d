import Testing

@testable import DaftarREPL

@Suite struct CSVTests {
    @Test func plainLine() {
        #expect(CSV.line(["id", "kind", "name"]) == "id,kind,name")
        #expect(CSV.line(["a b", "علی", ""]) == "a b,علی,")
    }

    @Test func quotingWhenNeeded() {
        #expect(CSV.line(["a,b"]) == "\"a,b\"")
        #expect(CSV.line(["say \"hi\""]) == "\"say \"\"hi\"\"\"")
        #expect(CSV.line(["l1\nl2"]) == "\"l1\nl2\"")
        #expect(CSV.line(["l1\r\nl2"]) == "\"l1\r\nl2\"")
        #expect(CSV.line(["cr\r"]) == "\"cr\r\"")
        #expect(CSV.line(["\""]) == "\"\"\"\"")
    }

    static let roundTripRows: [[[String]]] = [
        [["id", "kind", "name"], ["fia-1", "person", "Ali"]],
        [["a,b", "c"], ["d", "e,f,g"]],
        [["say \"hi\"", "\""], ["\"\"", "x\"y"]],
        [["line1\nline2", "x"], ["\n", "\r\n"], ["a\r\nb\nc\rd", "e"]],
        [["", ""], ["", "x"], ["x", ""]],
        [["علی", "کراچی, صدر"], ["\"محمد\"", "漢字\n中文"]],
        [["  spaced  ", " "], ["'single'", "'"]],
        [["a", "b", "c"], ["1", "2", "3"], ["4", "5", "6"]],
    ]

    @Test(arguments: roundTripRows)
    func roundTrip(rows: [[String]]) throws {
        let text = rows.map(CSV.line).joined(separator: "\n") + "\n"
        #expect(try CSV.rows(text) == rows)
        let crlf = rows.map(CSV.line).joined(separator: "\r\n") + "\r\n"
        #expect(try CSV.rows(crlf) == rows)
        let noFinalNewline = rows.map(CSV.line).joined(separator: "\n")
        #expect(try CSV.rows(noFinalNewline) == rows)
    }

    @Test func readsCRLFAndBareCR() throws {
        #expect(try CSV.rows("a,b\r\nc,d\r\n") == [["a", "b"], ["c", "d"]])
        #expect(try CSV.rows("a,b\rc,d") == [["a", "b"], ["c", "d"]])
        #expect(try CSV.rows("a,b\nc,d\r\ne,f") == [["a", "b"], ["c", "d"], ["e", "f"]])
    }

    @Test func lineBreaksInsideQuotesBelongToTheField() throws {
        #expect(try CSV.rows("id,note\n1,\"first\nsecond\"\n2,x\n") == [["id", "note"], ["1", "first\nsecond"], ["2", "x"]])
        #expect(try CSV.rows("id,note\r\n1,\"first\r\nsecond\"\r\n") == [["id", "note"], ["1", "first\r\nsecond"]])
    }

    @Test func doubledQuotes() throws {
        #expect(try CSV.rows("\"a\"\"b\",\"\"\"\"\n") == [["a\"b", "\""]])
        #expect(try CSV.rows("\"\",x") == [["", "x"]])
    }

    @Test func emptyFieldsAndBlankLines() throws {
        #expect(try CSV.rows("a,,c\n,,\n") == [["a", "", "c"], ["", "", ""]])
        #expect(try CSV.rows("a,b\n\n\nc,d\n") == [["a", "b"], ["c", "d"]])
        #expect(try CSV.rows("a,\n") == [["a", ""]])
        #expect(try CSV.rows("a,") == [["a", ""]])
        #expect(try CSV.rows("") == [])
        #expect(try CSV.rows("\n\r\n") == [])
    }

    @Test func quoteInsideAnUnquotedFieldIsKept() throws {
        #expect(try CSV.rows("ab\"cd,e") == [["ab\"cd", "e"]])
    }

    @Test func unclosedQuoteIsAnError() {
        #expect(throws: CommandError.self) { try CSV.rows("a,\"b\n") }
        do {
            _ = try CSV.rows("id,note\n1,\"never closed\n2,x\n")
            Issue.record("expected an error")
        } catch {
            #expect(error.message.contains("quote opened on or before line"))
            #expect(error.message.contains("never closed"))
            #expect(error.message.contains("fix the file"))
        }
        do {
            _ = try CSV.rows("\"abc")
            Issue.record("expected an error")
        } catch {
            #expect(error.message.contains("line 1"))
        }
    }

    @Test func roundTripProperty() throws {
        let pieces = ["", "a", ",", "\"", "\n", "\r\n", " ", "علی", "'"]
        var rows: [[String]] = []
        for a in pieces { for b in pieces { rows.append(["id", a + b, b + a]) } }
        let text = rows.map(CSV.line).joined(separator: "\n")
        #expect(try CSV.rows(text) == rows)
    }
}
