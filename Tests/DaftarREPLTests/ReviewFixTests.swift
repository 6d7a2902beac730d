import DaftarModel
import DaftarStore
import Foundation
import Testing

@testable import DaftarREPL

/// Sessions on real store files: what undo leaves alone, a Windows file of commands, completion
/// after a symbol, the comma rule at a parenthesis, and ids kept whole in a narrow table.
@Suite struct SessionEdgeTests {
    let folder: ScratchFolder
    init() throws { folder = try ScratchFolder() }

    /// Undo reverts only what is still as the undone edit left it: a value another office wrote
    /// since (it arrived by a merge) stays, and the answer names it.
    @Test func undoLeavesWhatAnotherOfficeWroteSince() throws {
        let a = try Store.create(at: folder.file("a.daftar"), node: try NodeID("office-a"))
        let b = try Store.create(at: folder.file("b.daftar"), node: try NodeID("office-b"))
        let session = Session(store: a, officer: "Rashid")
        #expect(session.run("add person city=Lahore phone=100").ok)
        #expect(session.run("set office-a-1 city=Quetta phone=200").ok)
        _ = try b.merge(from: a)
        #expect(Session(store: b, officer: "Ayesha").run("set office-a-1 phone=300").ok)
        _ = try a.merge(from: b)
        let undone = session.run("undo")
        #expect(undone.ok, "\(undone.error ?? "")")
        #expect(undone.text.contains("city back to Lahore"), "\(undone.text)")
        #expect(undone.text.contains("left as they are: phone (changed since, by office-b)"), "\(undone.text)")
        let record = try #require(try a.record(try RecordID("office-a-1")))
        #expect(record.values[try FieldName("phone")] == .integer(300))
        #expect(record.values[try FieldName("city")] == .text("Lahore"))
    }

    /// `show` names the entry's scope, in text and in JSON.
    @Test func showNamesTheScope() throws {
        let store = try Store.create(at: folder.file("scope.daftar"), node: try NodeID("office-c"))
        let session = Session(store: store, officer: "Rashid")
        #expect(session.run("add incident title=Raid").ok)
        let shown = session.run("show office-c-1")
        #expect(shown.text.split(separator: "\n").first == "office-c-1  incident  in general", "\(shown.text)")
        #expect(session.run("json on").ok)
        let json = session.run("show office-c-1")
        let object = try JSONSerialization.jsonObject(with: Data(json.text.utf8)) as? [String: Any]
        #expect(object?["scope"] as? String == "general", "\(json.text)")
    }

    /// A file of commands saved on Windows (CRLF) runs line by line.
    @Test func sourceReadsWindowsLineEnds() throws {
        let store = try Store.create(at: folder.file("s.daftar"), node: try NodeID("office-s"))
        let file = folder.file("raid.txt")
        try "# raid entries\r\nadd person name=Ali\r\nadd person name=Bilal\r\n".write(toFile: file, atomically: true, encoding: .utf8)
        let session = Session(store: store, officer: "Rashid")
        let ran = session.run("source \(file)")
        #expect(ran.ok, "\(ran.error ?? "")")
        #expect(try store.count(Query()) == 2)
        #expect(try store.find(Query(where: .compare(try FieldName("name"), .equal, .text("Ali")))).count == 1)
    }

    /// Tab after a symbol where an id goes offers nothing, and does not stop the console.
    @Test func completionAfterASymbolInsteadOfAnId() {
        let source = Completion.Source(kinds: { [] }, fields: { _ in ["city"] }, ids: { _ in [] }, kindOf: { _ in nil }, remotes: { [] })
        for line in ["set < ", "unset ( ", "resolve , ", "set = "] {
            #expect(Completion.candidates(line: line, word: "", source: source) == .words([]), "\(line)")
        }
    }

    /// A comma before `)` or before a `!` that is no `!=` stays in the value.
    @Test func commaAtAParenthesisAndAnExclamation() throws {
        guard case .find(let query, _)? = try CommandParser.parse("find p where (tags = a,b)") else {
            Issue.record("not a find")
            return
        }
        #expect(query.condition == .compare(try FieldName("tags"), .equal, .text("a,b")))
        guard case .add(_, let fields)? = try CommandParser.parse("add x msg=Hi,there!") else {
            Issue.record("not an add")
            return
        }
        #expect(fields[try FieldName("msg")] == .text("Hi,there!"))
    }

    /// In a narrow terminal the field columns give way; ids stay whole, so they can be typed back.
    @Test func idsStayWholeInANarrowTable() {
        var table = Table(
            header: ["id", "kind", "name", "city", "note"], rows: [["fia-lahore-1042", "person", "Muhammad Ali Raza", "Lahore", "a long note about the raid"]], width: 40,
            fixed: [0, 1])
        table.rows.append(["fia-lahore-7", "vehicle", "", "", ""])
        let lines = table.render().split(separator: "\n")
        #expect(lines[2].hasPrefix("fia-lahore-1042  person "), "\(lines)")
        #expect(lines[3].hasPrefix("fia-lahore-7     vehicle"), "\(lines)")
        // The field columns were narrowed to make room (cut with …), not the ids.
        #expect(lines[2].contains("…"), "\(lines)")
    }
}
