/// Columns of text aligned by display width, so that Urdu and other non-Latin text lines up:
/// combining marks take no column, East Asian wide characters two, everything else one.
public struct Table: Sendable {
    public var header: [String]
    public var rows: [[String]]
    /// Cells wider than this are cut with "…".
    public var maxCellWidth: Int

    public init(header: [String], rows: [[String]] = [], maxCellWidth: Int = 40) {
        self.header = header
        self.rows = rows
        self.maxCellWidth = maxCellWidth
    }

    public func render() -> String {
        let cells = ([header] + rows).map { row in row.map { Self.fit(Self.oneLine($0), maxCellWidth) } }
        let columns = cells.map(\.count).max() ?? 0
        var widths = [Int](repeating: 0, count: columns)
        for row in cells { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], Self.displayWidth(cell)) } }
        var lines: [String] = []
        for (r, row) in cells.enumerated() {
            var line = ""
            for (i, cell) in row.enumerated() {
                line += cell
                if i < row.count - 1 { line += String(repeating: " ", count: widths[i] - Self.displayWidth(cell) + 2) }
            }
            lines.append(line)
            if r == 0 { lines.append(widths.map { String(repeating: "─", count: $0) }.joined(separator: "  ")) }
        }
        return lines.joined(separator: "\n")
    }

    static func oneLine(_ s: String) -> String {
        s.contains(where: \.isNewline) ? s.split(whereSeparator: \.isNewline).joined(separator: " ⏎ ") : s
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
