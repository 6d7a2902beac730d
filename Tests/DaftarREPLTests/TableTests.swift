import Foundation
import Testing

@testable import DaftarREPL

@Suite struct TableTests {
    @Test(arguments: [
        ("", 0), ("a", 1), ("Lahore", 6), ("fia-lahore-12", 13), ("a b", 3),
        ("لاہور", 5), ("علی", 3), ("کراچی صدر", 9),
        ("عَلِی", 3), ("\u{64B}", 0), ("e\u{301}", 1), ("\u{6C1}\u{654}", 1),
        ("漢字", 4), ("中文 text", 9), ("한국", 4), ("ｱ", 1), ("Ａ", 2), ("😀", 2),
        ("x\u{200C}y", 2), ("\u{200F}", 0),
    ])
    func displayWidth(s: String, width: Int) {
        #expect(Table.displayWidth(s) == width)
    }

    /// The display column at which each cell begins on a rendered line.
    func startColumns(_ line: String, cells: [String]) -> [Int]? {
        var columns: [Int] = []
        var rest = line[...]
        var consumed = ""
        for cell in cells {
            guard let range = rest.range(of: cell) else { return nil }
            consumed += String(rest[..<range.lowerBound])
            columns.append(Table.displayWidth(consumed))
            consumed += cell
            rest = rest[range.upperBound...]
        }
        return columns
    }

    @Test func columnsAlignWithUrduAndCJK() throws {
        let header = ["id", "name", "city", "note"]
        let rows = [
            ["fia-lahore-1", "Ali", "Lahore", "x"],
            ["fia-karachi-22", "علی رضا", "کراچی", "عَلِی"],
            ["fia-1", "漢字名前", "東京", "中"],
            ["fia-quetta-3", "José", "Québec", "e\u{301}"],
            ["k", "😀😀", "🏙", "end"],
        ]
        let table = Table(header: header, rows: rows)
        let lines = table.render().components(separatedBy: "\n")
        #expect(lines.count == rows.count + 2)
        let allRows = [header] + rows
        var expected: [Int]?
        for (r, row) in allRows.enumerated() {
            let line = lines[r == 0 ? 0 : r + 1]
            let starts = try #require(startColumns(line, cells: row), "cells of row \(r) not found in \(line.debugDescription)")
            if let expected {
                #expect(starts == expected, "row \(r): \(line.debugDescription)")
            } else {
                expected = starts
            }
        }
        // Each column is as wide as its widest cell, two spaces apart.
        #expect(expected == [0, 16, 16 + 10, 16 + 10 + 8])
        // The rule under the header has one run per column, as wide as the column.
        let rule = lines[1].components(separatedBy: "  ")
        #expect(rule.map(\.count) == [14, 8, 6, 4])
        #expect(rule.allSatisfy { $0.allSatisfy { $0 == "─" } })
    }

    @Test func lastCellIsNotPadded() {
        let lines = Table(header: ["a", "b"], rows: [["xxxx", "y"]]).render().components(separatedBy: "\n")
        #expect(lines == ["a     b", "────  ─", "xxxx  y"])
    }

    @Test func headerOnly() {
        #expect(Table(header: ["id", "kind"]).render() == "id  kind\n──  ────")
    }

    @Test func cellsAreCutAtMaxCellWidth() {
        let table = Table(header: ["v"], rows: [["abcdefghijkl"], ["abcde"], ["abcdef"], ["لاہور شہر کی"], ["漢字漢字漢字"]], maxCellWidth: 5)
        let lines = table.render().components(separatedBy: "\n")
        #expect(lines[2] == "abcd…")
        #expect(lines[3] == "abcde")
        #expect(lines[4] == "abcd…")
        #expect(lines[5] == "لاہو…")
        #expect(lines[6] == "漢字…")
        for line in lines { #expect(Table.displayWidth(line) <= 5) }
    }

    @Test func fitNeverExceedsTheWidth() {
        for s in ["abcdefghij", "漢字漢字漢字", "a漢b字c漢", "عَلِی رضا خان", "😀x😀x😀", "e\u{301}e\u{301}e\u{301}e\u{301}e\u{301}e\u{301}"] {
            for width in 1...8 {
                let cut = Table.fit(s, width)
                #expect(Table.displayWidth(cut) <= width, "\(s) at \(width): \(cut)")
                if Table.displayWidth(s) > width {
                    #expect(cut.hasSuffix("…"))
                    #expect(s.hasPrefix(String(cut.dropLast())))
                } else {
                    #expect(cut == s)
                }
            }
        }
    }

    @Test func headerIsCutToo() {
        let lines = Table(header: ["a very long header"], rows: [["x"]], maxCellWidth: 6).render().components(separatedBy: "\n")
        #expect(lines[0] == "a ver…")
        #expect(lines[1] == "──────")
    }

    @Test func newlinesInCellsAreShownOnOneLine() {
        let table = Table(header: ["id", "note"], rows: [["1", "first line\nsecond line"], ["2", "a\r\nb"], ["3", "x\ry"]], maxCellWidth: 60)
        let lines = table.render().components(separatedBy: "\n")
        #expect(lines.count == 5)
        #expect(lines[2] == "1   first line ⏎ second line")
        #expect(lines[3] == "2   a ⏎ b")
        #expect(lines[4] == "3   x ⏎ y")
    }

    @Test func rowsOfDifferentLengths() {
        let lines = Table(header: ["a"], rows: [["1", "22", "333"], ["4444"]]).render().components(separatedBy: "\n")
        #expect(lines == ["a", "────  ──  ───", "1     22  333", "4444"])
    }
}
