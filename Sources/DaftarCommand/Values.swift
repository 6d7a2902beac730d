public import DaftarModel

/// How officers write values: quoted is always text; unquoted `true`/`false` are booleans; an
/// unquoted canonical number (no leading zero, no plus sign) is an integer or an exact decimal;
/// anything else is text, so `cnic=03001234567` keeps its zero.
public enum ValueSyntax {
    public static func value(_ raw: String, quoted: Bool) throws(CommandError) -> FieldValue {
        do {
            if quoted { return try FieldValue.text(normalizing: raw) }
            if raw == "true" { return .boolean(true) }
            if raw == "false" { return .boolean(false) }
            // 1,250,000.50 is a number written with thousands separators.
            let number = isGroupedNumber(raw) ? raw.replacingOccurrences(of: ",", with: "") : raw
            if isCanonicalNumber(number) {
                if !number.contains("."), let n = Int64(number) { return .integer(n) }
                return .decimal(try ExactDecimal(number))
            }
            return try FieldValue.text(normalizing: raw)
        } catch {
            throw CommandError(error.message)
        }
    }

    /// `-?[1-9][0-9]{0,2}(,[0-9]{3})+(\.[0-9]+)?`: digits grouped in threes by commas.
    static func isGroupedNumber(_ raw: String) -> Bool {
        guard raw.contains(",") else { return false }
        var s = Substring(raw)
        if s.hasPrefix("-") { s = s.dropFirst() }
        let whole = s.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)[0]
        let groups = whole.split(separator: ",", omittingEmptySubsequences: false)
        guard let lead = groups.first, (1...3).contains(lead.count), !lead.hasPrefix("0") else { return false }
        return groups.allSatisfy { $0.allSatisfy { $0.isASCII && $0.isNumber } } && groups.dropFirst().allSatisfy { $0.count == 3 }
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?`
    static func isCanonicalNumber(_ raw: String) -> Bool {
        var s = Substring(raw)
        if s.hasPrefix("-") { s = s.dropFirst() }
        let parts = s.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, !whole.isEmpty, whole.allSatisfy({ $0.isASCII && $0.isNumber }) else { return false }
        if whole.count > 1, whole.hasPrefix("0") { return false }
        if parts.count == 2 {
            guard !parts[1].isEmpty, parts[1].allSatisfy({ $0.isASCII && $0.isNumber }) else { return false }
        }
        return true
    }

    /// A value as a CSV cell: as it is, unless it would read back as another type (a number,
    /// true or false, empty text, or text in quotes), which is written quoted.
    public static func csvCell(_ value: FieldValue) -> String {
        guard case .text(let s) = value else { return literal(value) }
        let misread = s.isEmpty || s == "true" || s == "false" || isCanonicalNumber(s) || isGroupedNumber(s) || (s.hasPrefix("\"") && s.hasSuffix("\"")) || s.hasPrefix("'")
        return misread ? literal(value) : s
    }

    /// A value as an officer would type it back: text that would read as another type, or that
    /// holds spaces, quotes or symbols, is quoted.
    public static func literal(_ value: FieldValue) -> String {
        switch value {
        case .text(let s):
            // Unicode scalars, as the tokenizer reads them: a quote, `=` or space followed by a
            // combining mark is one Character, but still a quote, `=` or space to the tokenizer.
            let plain =
                !s.isEmpty && s != "true" && s != "false" && !isCanonicalNumber(s)
                && !s.unicodeScalars.contains(where: { $0.properties.isWhitespace || "\"'=<>!(),\\".unicodeScalars.contains($0) })
            if plain { return s }
            var out = String.UnicodeScalarView()
            out.append("\"")
            for c in s.unicodeScalars {
                switch c {
                case "\"": out.append(contentsOf: "\\\"".unicodeScalars)
                case "\\": out.append(contentsOf: "\\\\".unicodeScalars)
                case "\n": out.append(contentsOf: "\\n".unicodeScalars)
                case "\t": out.append(contentsOf: "\\t".unicodeScalars)
                default: out.append(c)
                }
            }
            out.append("\"")
            return String(out)
        case .decimal(let d):
            // A whole decimal keeps its point, so that it reads back as a decimal, not an integer.
            return d.normalForm.contains(".") ? d.normalForm : d.normalForm + ".0"
        default:
            return value.displayText
        }
    }
}
