/// One piece of a command line.
package enum Token: Equatable, Sendable {
    /// A word or value; `quoted` when any of it was written in quotes (so it is text).
    case word(String, quoted: Bool)
    /// A comparison or assignment: `=`, `!=`, `<`, `<=`, `>`, `>=`.
    case symbol(String)
    case openParen
    case closeParen
    case comma

    package var text: String {
        switch self {
        case .word(let s, _): s
        case .symbol(let s): s
        case .openParen: "("
        case .closeParen: ")"
        case .comma: ","
        }
    }
}

/// Splits a command line into tokens. Double or single quotes make text (with `\"`, `\'`,
/// `\\`, `\n` and `\t` escapes inside); `=`, `!=`, `<`, `<=`, `>`, `>=`, parentheses and commas
/// outside quotes stand on their own, so `city=Lahore` and `city = Lahore` read the same.
package enum Tokenizer {
    package static func tokenize(_ line: String) throws(CommandError) -> [Token] {
        // Unicode scalars, not Characters: a combining mark right after a quote or `=` belongs
        // to the value, not to the quote.
        let scalars = Array(line.unicodeScalars)
        var tokens: [Token] = []
        var current = String.UnicodeScalarView()
        var quoted = false
        var inWord = false
        func flush() {
            if inWord { tokens.append(.word(String(current), quoted: quoted)) }
            current = String.UnicodeScalarView()
            quoted = false
            inWord = false
        }
        var i = 0
        while i < scalars.count {
            let c = scalars[i]
            if c == "\"" || c == "'" {
                let quote = c
                inWord = true
                quoted = true
                i += 1
                var closed = false
                while i < scalars.count {
                    let d = scalars[i]
                    if d == "\\", i + 1 < scalars.count {
                        let e = scalars[i + 1]
                        switch e {
                        case "n": current.append("\n")
                        case "t": current.append("\t")
                        default: current.append(e)
                        }
                        i += 2
                        continue
                    }
                    if d == quote {
                        closed = true
                        i += 1
                        break
                    }
                    current.append(d)
                    i += 1
                }
                if !closed {
                    throw CommandError("unterminated quote: close it with \(quote), for example title=\(quote)Raid on call centre\(quote)")
                }
                continue
            }
            if c.properties.isWhitespace {
                flush()
                i += 1
                continue
            }
            // A comma inside a value (`suspects=fia-lahore-2,fia-lahore-3`, `amount=1,250,000.50`)
            // belongs to it; between fields or names (`a=1, b=2`, `order by city, age`) it
            // separates them.
            if c == ",", inWord, !quoted, case .symbol? = tokens.last, Self.commaContinuesValue(scalars, after: i) {
                current.append(c)
                i += 1
                continue
            }
            if c == "(" || c == ")" || c == "," {
                flush()
                tokens.append(c == "(" ? .openParen : c == ")" ? .closeParen : .comma)
                i += 1
                continue
            }
            let next: Unicode.Scalar? = i + 1 < scalars.count ? scalars[i + 1] : nil
            if c == "=" || c == "<" || c == ">" || (c == "!" && next == "=") {
                flush()
                if next == "=", c != "=" {
                    tokens.append(.symbol(String(c) + "="))
                    i += 2
                } else {
                    tokens.append(.symbol(String(c)))
                    i += 1
                }
                continue
            }
            current.append(c)
            inWord = true
            i += 1
        }
        flush()
        return tokens
    }

    /// Whether the comma at `index` is followed by more of the same value: no space or `)`
    /// right after it, and no `=`, comparison or quote before the next space or `)` (which would
    /// make what follows the next field).
    package static func commaContinuesValue(_ scalars: [Unicode.Scalar], after index: Int) -> Bool {
        var j = index + 1
        guard j < scalars.count, !scalars[j].properties.isWhitespace, scalars[j] != ")", scalars[j] != "," else { return false }
        while j < scalars.count, !scalars[j].properties.isWhitespace, scalars[j] != ")" {
            let c = scalars[j]
            if "=<>\"'".unicodeScalars.contains(c) || (c == "!" && j + 1 < scalars.count && scalars[j + 1] == "=") { return false }
            j += 1
        }
        return true
    }
}
