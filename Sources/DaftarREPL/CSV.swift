/// RFC 4180 CSV: fields with commas, quotes or line breaks are quoted, quotes doubled.
enum CSV {
    static func line(_ fields: [String]) -> String {
        fields.map { field in
            guard field.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) else { return field }
            return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }.joined(separator: ",")
    }

    /// Reads every row; a line break inside quotes belongs to the field.
    static func rows(_ text: String) throws(CommandError) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var inQuotes = false
        var atFieldStart = true
        var line = 1
        var chars = text.makeIterator()
        var pending: Character?
        func nextChar() -> Character? {
            if let p = pending {
                pending = nil
                return p
            }
            return chars.next()
        }
        while let c = nextChar() {
            if inQuotes {
                if c == "\"" {
                    if let d = nextChar() {
                        if d == "\"" {
                            field.append("\"")
                        } else {
                            inQuotes = false
                            pending = d
                        }
                    } else {
                        inQuotes = false
                    }
                } else {
                    if c.isNewline { line += 1 }
                    field.append(c)
                }
                continue
            }
            switch c {
            case "\"" where atFieldStart:
                inQuotes = true
                atFieldStart = false
            case ",":
                row.append(field)
                field = ""
                atFieldStart = true
            case "\n", "\r\n", "\r":
                row.append(field)
                rows.append(row)
                row = []
                field = ""
                atFieldStart = true
                line += 1
            default:
                field.append(c)
                atFieldStart = false
            }
        }
        if inQuotes { throw CommandError("the CSV file has a quote opened on or before line \(line) that is never closed: fix the file") }
        if !field.isEmpty || !row.isEmpty {
            row.append(field)
            rows.append(row)
        }
        return rows.filter { !($0.count == 1 && $0[0].isEmpty) }
    }
}
