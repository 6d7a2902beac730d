/// Columns of text aligned by display width, so that Urdu and other non-Latin text lines up:
/// combining marks take no column, East Asian wide characters two, everything else one.
public struct Table: Sendable {
    public var header: [String]
    public var rows: [[String]]
    /// Cells wider than this are cut with "…" (nil: no such cap).
    public var maxCellWidth: Int?
    /// The terminal's width: the widest columns are narrowed until the table fits (nil: no
    /// limit, as when the output goes to a file or a pipe).
    public var width: Int?
    /// Columns whose cells wrap onto more lines instead of being cut when narrowed.
    public var wrapping: Set<Int>
    /// Columns never narrowed (an id must stay whole to be typed back).
    public var fixed: Set<Int>

    public init(header: [String], rows: [[String]] = [], maxCellWidth: Int? = nil, width: Int? = nil, wrapping: Set<Int> = [], fixed: Set<Int> = []) {
        self.header = header
        self.rows = rows
        self.maxCellWidth = maxCellWidth
        self.width = width
        self.wrapping = wrapping
        self.fixed = fixed
    }

    /// Columns narrower than this are never narrowed further to fit the width.
    static let narrowest = 6

    public func render() -> String {
        var cells = ([header] + rows).map { row in row.map { Self.oneLine($0) } }
        if let maxCellWidth { cells = cells.map { row in row.map { Self.fit($0, maxCellWidth) } } }
        let columns = cells.map(\.count).max() ?? 0
        var widths = [Int](repeating: 0, count: columns)
        for row in cells { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], Self.displayWidth(cell)) } }
        if let width {
            // Narrow the widest column, one column at a time, until the table fits: first the
            // columns that wrap (they lose nothing), then any.
            func total() -> Int { widths.reduce(0, +) + 2 * max(0, columns - 1) }
            for pool in [widths.indices.filter { wrapping.contains($0) }, widths.indices.filter { !fixed.contains($0) }] {
                while total() > width {
                    guard let widest = pool.max(by: { widths[$0] < widths[$1] }), widths[widest] > Self.narrowest else { break }
                    widths[widest] -= 1
                }
            }
        }
        var lines: [String] = []
        for (r, row) in cells.enumerated() {
            // A row is one line, or several where a wrapping cell is wider than its column.
            let pieces: [[String]] = row.enumerated().map { i, cell in
                guard Self.displayWidth(cell) > widths[i] else { return [cell] }
                return r > 0 && wrapping.contains(i) ? Self.wrap(cell, widths[i]) : [Self.fit(cell, widths[i])]
            }
            let height = pieces.map(\.count).max() ?? 1
            for l in 0..<height {
                var line = ""
                for (i, piece) in pieces.enumerated() {
                    let cell = l < piece.count ? piece[l] : ""
                    line += cell
                    if i < pieces.count - 1 { line += String(repeating: " ", count: max(0, widths[i] - Self.displayWidth(cell)) + 2) }
                }
                while line.hasSuffix(" ") { line.removeLast() }
                lines.append(line)
            }
            if r == 0 { lines.append(widths.map { String(repeating: "─", count: $0) }.joined(separator: "  ")) }
        }
        return lines.joined(separator: "\n")
    }

    /// The text in lines of at most `width` columns, broken at spaces where it can be.
    static func wrap(_ s: String, _ width: Int) -> [String] {
        var lines: [String] = []
        var line = ""
        var used = 0
        for word in s.split(separator: " ", omittingEmptySubsequences: false) {
            var word = String(word)
            let w = displayWidth(word)
            if used > 0, used + 1 + w <= width {
                line += " " + word
                used += 1 + w
                continue
            }
            if used > 0 {
                lines.append(line)
                line = ""
                used = 0
            }
            // A word longer than the line is cut into pieces.
            while displayWidth(word) > width {
                var piece = ""
                var pieceWidth = 0
                var rest = Substring(word)
                while let c = rest.first, pieceWidth + displayWidth(String(c)) <= width {
                    piece.append(c)
                    pieceWidth += displayWidth(String(c))
                    rest = rest.dropFirst()
                }
                if piece.isEmpty, let c = rest.first {  // a character wider than the column
                    piece.append(c)
                    rest = rest.dropFirst()
                }
                lines.append(piece)
                word = String(rest)
            }
            line = word
            used = displayWidth(word)
        }
        if used > 0 || lines.isEmpty { lines.append(line) }
        return lines
    }

    /// A cell on one line: line breaks shown as ⏎, a tab as ⇥ (a tab would move the columns
    /// after it).
    static func oneLine(_ s: String) -> String {
        var out = s.contains(where: \.isNewline) ? s.split(whereSeparator: \.isNewline).joined(separator: " ⏎ ") : s
        if out.contains("\t") { out = out.replacingOccurrences(of: "\t", with: "⇥") }
        return out
    }

    /// The text cut to `width` columns, with "…" when cut.
    static func fit(_ s: String, _ width: Int) -> String {
        guard displayWidth(s) > width else { return s }
        var out = ""
        var used = 0
        for c in s {
            let w = displayWidth(String(c))
            if used + w > width - 1 { break }
            out.append(c)
            used += w
        }
        return out + "…"
    }

    /// How many terminal columns `s` takes.
    public static func displayWidth(_ s: String) -> Int {
        var width = 0
        for scalar in s.unicodeScalars {
            switch scalar.properties.generalCategory {
            case .nonspacingMark, .enclosingMark, .format, .control: continue
            default: break
            }
            width += isWide(scalar.value) ? 2 : 1
        }
        return width
    }

    private static func isWide(_ v: UInt32) -> Bool {
        (0x1100...0x115F).contains(v) || (0x2E80...0x303E).contains(v) || (0x3041...0x33FF).contains(v)
            || (0x3400...0x4DBF).contains(v) || (0x4E00...0x9FFF).contains(v) || (0xA000...0xA4CF).contains(v)
            || (0xAC00...0xD7A3).contains(v) || (0xF900...0xFAFF).contains(v) || (0xFE30...0xFE4F).contains(v)
            || (0xFF00...0xFF60).contains(v) || (0xFFE0...0xFFE6).contains(v) || (0x1F300...0x1F64F).contains(v)
            || (0x1F900...0x1F9FF).contains(v) || (0x20000...0x3FFFD).contains(v)
    }
}
