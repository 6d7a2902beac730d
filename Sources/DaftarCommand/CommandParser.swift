import DaftarModel
import DaftarStore

/// Reads one command line into a ``Command``. Every error says what was wrong and shows the
/// right form.
public enum CommandParser {
    public static func parse(_ line: String) throws(CommandError) -> Command? {
        var p = Cursor(tokens: try Tokenizer.tokenize(line))
        guard let first = p.next() else { return nil }
        guard case .word(let verb, quoted: false) = first else {
            throw CommandError("a command starts with its name, for example: add incident title=\"Raid\"; type help for the list")
        }
        guard let spec = CommandSpec.named(verb.lowercased()) else {
            let suggestion = CommandSpec.closest(to: verb.lowercased()).map { " (did you mean \($0)?)" } ?? ""
            throw CommandError("unknown command '\(verb)'\(suggestion): type help for the list of commands")
        }
        let command = try parse(spec, &p)
        if let extra = p.peek() {
            throw CommandError("unexpected '\(extra.text)' after the command; usage: \(spec.usage)")
        }
        return command
    }

    private static func parse(_ spec: CommandSpec, _ p: inout Cursor) throws(CommandError) -> Command {
        func usage() -> CommandError { CommandError("usage: \(spec.usage)  (for example: \(spec.example))") }
        switch spec.name {
        case "add":
            guard case .word(let k, quoted: false)? = p.next() else { throw usage() }
            let kind: Kind
            do { kind = try Kind(k) } catch { throw CommandError(error.message) }
            // `in SCOPE` (not a field named `in`: that is `in=value`).
            if case .word(let word, quoted: false)? = p.peek(), word.lowercased() == "in", p.index + 1 < p.tokens.count,
                p.index + 2 >= p.tokens.count || p.tokens[p.index + 2] != .symbol("=")
            {
                _ = p.next()
                guard case .word(let name, quoted: false)? = p.next() else {
                    throw CommandError("add KIND in SCOPE needs a scope name after in, for example: add case in punjab title=\"Raid\"")
                }
                let scope: Scope
                do { scope = try Scope(name) } catch { throw CommandError(error.message) }
                return .addIn(kind, scope, try assignments(&p, spec, allowEmpty: true))
            }
            return .add(kind, try assignments(&p, spec, allowEmpty: true))
        case "set":
            let id = try p.id(spec)
            return .set(id, try assignments(&p, spec, allowEmpty: false))
        case "unset":
            let id = try p.id(spec)
            var names: [FieldName] = []
            while let token = p.next() {
                if token == .comma { continue }
                guard case .word(let n, quoted: false) = token else { throw usage() }
                names.append(try fieldName(n))
            }
            guard !names.isEmpty else { throw usage() }
            return .unset(id, names)
        case "delete": return .delete(try p.id(spec))
        case "restore": return .restore(try p.id(spec))
        case "show": return .show(try p.id(spec))
        case "transfer":
            let id = try p.id(spec)
            guard case .word(let to, quoted: false)? = p.next(), to.lowercased() == "to", case .word(let name, quoted: false)? = p.next() else {
                throw CommandError("name the scope to move the entry to: transfer \(id) to SCOPE, for example: transfer \(id) to ct-wing")
            }
            do { return .transfer(id, try Scope(name)) } catch { throw CommandError(error.message) }
        case "history": return .history(try p.id(spec))
        case "find":
            var vertical = false
            let q = try query(&p, spec, allowOrder: true, vertical: &vertical)
            return .find(q, vertical: vertical)
        case "count":
            var vertical = false
            return .count(try query(&p, spec, allowOrder: false, vertical: &vertical))
        case "search":
            var words: [String] = []
            var limit: Int?
            while let token = p.next() {
                if case .word(let word, quoted: false) = token, word.lowercased() == "limit", case .word(let n, quoted: false)? = p.peek(), let value = Int(n) {
                    _ = p.next()
                    guard value > 0 else { throw CommandError("limit takes a positive number, for example: limit 20") }
                    limit = value
                    continue
                }
                words.append(token.text)
            }
            guard !words.isEmpty else { throw usage() }
            return .search(words.joined(separator: " "), limit: limit)
        case "conflicts":
            if p.peek() == nil { return .conflicts }
            return .conflict(try p.id(spec))
        case "resolve":
            let id = try p.id(spec)
            if case .word(let word, quoted: false)? = p.peek(), word.lowercased() == "keep" {
                _ = p.next()
                guard case .word(let side, _)? = p.next() else {
                    throw CommandError(
                        "name the side to keep: resolve ID keep 2 (a side number from `conflicts ID`), keep fia-karachi:17, or for a deleted-or-not conflict keep deleted or keep live")
                }
                return .resolveKeep(id, side: side)
            }
            return .resolve(id, try assignments(&p, spec, allowEmpty: false))
        case "status": return .status
        case "scopes": return .scopes
        case "export", "import":
            guard case .word(let f, _)? = p.next(), let format = Command.Format(rawValue: f.lowercased()) else {
                throw CommandError("\(spec.name) needs a format, csv or jsonl: \(spec.usage)")
            }
            guard case .word(let path, _)? = p.next() else { throw usage() }
            var kind: Kind?
            var flag = false
            let flagName = spec.name == "export" ? "--excel" : "--again"
            while case .word(let w, let quoted)? = p.peek() {
                if !quoted, w.lowercased() == flagName, !flag {
                    flag = true
                } else if w.hasPrefix("-"), !quoted {
                    throw CommandError("unknown option '\(w)': \(spec.usage)")
                } else if kind == nil {
                    do { kind = try Kind(w) } catch { throw CommandError(error.message) }
                } else {
                    break
                }
                _ = p.next()
            }
            if spec.name == "export" { return .export(format, path: path, kind: kind, excel: flag) }
            return .importFile(format, path: path, kind: kind, again: flag)
        case "json":
            guard case .word(let setting, quoted: false)? = p.next(), ["on", "off"].contains(setting.lowercased()) else { throw usage() }
            return .json(setting.lowercased() == "on")
        case "check": return .check
        case "sync":
            if case .word(let remote, _)? = p.peek() {
                _ = p.next()
                return .sync(remote: remote)
            }
            return .sync(remote: nil)
        case "remotes": return .remotes
        case "merge":
            guard case .word(let path, _)? = p.next() else { throw usage() }
            return .merge(path: path)
        case "fork":
            guard case .word(let verb, quoted: false)? = p.next(), case .word(let o, _)? = p.next() else { throw usage() }
            let action = verb.lowercased()
            let origin: NodeID
            do { origin = try NodeID(o) } catch { throw CommandError(error.message) }
            switch action {
            case "keep": return .forkKeep(origin)
            case "show": return .forkShow(origin)
            case "find":
                guard case .word(let with, quoted: false)? = p.next(), with.lowercased() == "with", case .word(let remote, _)? = p.next() else { throw usage() }
                return .forkFind(origin, remote: remote)
            case "discard":
                guard case .word(let from, quoted: false)? = p.next(), from.lowercased() == "from", case .word(let s, _)? = p.next(), let seq = UInt64(s), seq > 0 else {
                    throw usage()
                }
                return .forkDiscard(origin, from: seq)
            default: throw usage()
            }
        case "undo": return .undo
        case "source":
            guard case .word(let path, _)? = p.next() else { throw usage() }
            return .source(path: path)
        case "refs": return .refs(try p.id(spec))
        case "view":
            guard case .word(let setting, quoted: false)? = p.next(), ["vertical", "table"].contains(setting.lowercased()) else { throw usage() }
            return .view(vertical: setting.lowercased() == "vertical")
        case "pager":
            guard case .word(let setting, quoted: false)? = p.next(), ["on", "off"].contains(setting.lowercased()) else { throw usage() }
            return .pager(setting.lowercased() == "on")
        case "help":
            if case .word(let topic, _)? = p.peek() {
                _ = p.next()
                return .help(topic.lowercased())
            }
            return .help(nil)
        case "quit": return .quit
        default: throw usage()
        }
    }

    static func fieldName(_ text: String) throws(CommandError) -> FieldName {
        do { return try FieldName(text) } catch { throw CommandError(error.message) }
    }

    /// `name=value name2="text with spaces" ...`
    private static func assignments(_ p: inout Cursor, _ spec: CommandSpec, allowEmpty: Bool) throws(CommandError) -> [FieldName: FieldValue] {
        var fields: [FieldName: FieldValue] = [:]
        while let token = p.next() {
            if token == .comma { continue }
            guard case .word(let n, quoted: false) = token else {
                throw CommandError("expected a field name, not '\(token.text)'; write fields as name=value, for example city=Lahore")
            }
            guard p.next() == .symbol("=") else {
                throw CommandError("'\(n)' needs a value: write name=value, for example \(n)=Lahore, and quote values with spaces: \(n)=\"two words\"")
            }
            guard case .word(let raw, let quoted)? = p.next() else {
                throw CommandError("'\(n)=' needs a value: write \(n)=value, or \(n)=\"\" for empty text")
            }
            let name = try fieldName(n)
            guard fields[name] == nil else { throw CommandError("field \(n) is given twice: give each field once") }
            fields[name] = try ValueSyntax.value(raw, quoted: quoted)
        }
        if fields.isEmpty, !allowEmpty { throw CommandError("usage: \(spec.usage)  (for example: \(spec.example))") }
        return fields
    }

    /// `[KIND] [where CONDITION] [order by FIELD [asc|desc], ...] [limit N] [offset N] [vertical]`
    private static func query(_ p: inout Cursor, _ spec: CommandSpec, allowOrder: Bool, vertical: inout Bool) throws(CommandError) -> Query {
        var query = Query()
        let keywords = ["in", "where", "order", "limit", "offset", "vertical"]
        if case .word(let k, quoted: false)? = p.peek(), !keywords.contains(k.lowercased()) {
            _ = p.next()
            do { query.kind = try Kind(k) } catch { throw CommandError(error.message) }
        }
        if case .word(let w, quoted: false)? = p.peek(), w.lowercased() == "in" {
            _ = p.next()
            guard case .word(let name, quoted: false)? = p.next() else {
                throw CommandError("\(spec.name) ... in SCOPE needs a scope name after in, for example: \(spec.name) case in punjab")
            }
            do { query.scope = try Scope(name) } catch { throw CommandError(error.message) }
        }
        if case .word(let w, quoted: false)? = p.peek(), w.lowercased() == "where" {
            _ = p.next()
            query.condition = try orCondition(&p)
        }
        if allowOrder, case .word(let w, quoted: false)? = p.peek(), w.lowercased() == "order" {
            _ = p.next()
            guard case .word(let by, quoted: false)? = p.next(), by.lowercased() == "by" else {
                throw CommandError("write order by FIELD [desc], for example: find person order by name")
            }
            repeat {
                guard case .word(let n, quoted: false)? = p.next() else { throw CommandError("order by needs a field name, for example: order by seized_at desc") }
                var ordering = Query.Ordering(field: n.lowercased() == "id" ? nil : try fieldName(n))
                if case .word(let d, quoted: false)? = p.peek(), ["asc", "desc"].contains(d.lowercased()) {
                    _ = p.next()
                    ordering.descending = d.lowercased() == "desc"
                }
                query.ordering.append(ordering)
            } while p.skip(.comma)
        }
        // limit, offset and vertical, in any order, each once.
        var seen = Set<String>()
        while allowOrder, case .word(let w, quoted: false)? = p.peek(), ["limit", "offset", "vertical"].contains(w.lowercased()) {
            let word = w.lowercased()
            _ = p.next()
            guard seen.insert(word).inserted else { throw CommandError("\(word) is given twice: give it once") }
            switch word {
            case "vertical": vertical = true
            case "limit":
                guard case .word(let n, quoted: false)? = p.next(), let limit = Int(n), limit > 0 else {
                    throw CommandError("limit takes a positive number, for example: limit 20")
                }
                query.limit = limit
            default:
                guard case .word(let n, quoted: false)? = p.next(), let offset = Int(n), offset >= 0 else {
                    throw CommandError("offset takes a number of entries to skip, for example: offset 40 (with limit 20: the third page)")
                }
                query.offset = offset
            }
        }
        if let extra = p.peek() {
            throw CommandError("unexpected '\(extra.text)'; usage: \(spec.usage)")
        }
        return query
    }

    /// Far past what an officer types: a longer or deeper condition (a script gone wrong) is
    /// refused, instead of overflowing the stack while it is parsed, compared or freed.
    static let maxComparisons = 256
    static let maxNesting = 64

    private static func orCondition(_ p: inout Cursor) throws(CommandError) -> Query.Condition {
        var left = try andCondition(&p)
        while case .word(let w, quoted: false)? = p.peek(), w.lowercased() == "or" {
            _ = p.next()
            left = .or(left, try andCondition(&p))
        }
        return left
    }

    private static func andCondition(_ p: inout Cursor) throws(CommandError) -> Query.Condition {
        var left = try primary(&p)
        while case .word(let w, quoted: false)? = p.peek(), w.lowercased() == "and" {
            _ = p.next()
            left = .and(left, try primary(&p))
        }
        return left
    }

    private static func primary(_ p: inout Cursor) throws(CommandError) -> Query.Condition {
        if p.skip(.openParen) {
            guard p.nesting < maxNesting else { throw CommandError("the condition nests parentheses more than \(maxNesting) deep: simplify it") }
            p.nesting += 1
            let inner = try orCondition(&p)
            p.nesting -= 1
            guard p.skip(.closeParen) else { throw CommandError("a '(' is not closed: add ')'") }
            return inner
        }
        p.comparisons += 1
        guard p.comparisons <= maxComparisons else {
            throw CommandError("the condition has more than \(maxComparisons) comparisons: split the query")
        }
        guard case .word(let n, quoted: false)? = p.next() else {
            throw CommandError("expected a condition such as city = Lahore, age >= 30 or name contains ali")
        }
        let name = try fieldName(n)
        let comparison: Query.Comparison
        switch p.next() {
        case .symbol(let s)?:
            guard let c = Query.Comparison(rawValue: s) else { throw CommandError("unknown operator '\(s)': use =, !=, <, <=, >, >= or contains") }
            comparison = c
        case .word(let w, quoted: false)? where w.lowercased() == "contains":
            comparison = .contains
        case let other?:
            throw CommandError("unknown operator '\(other.text)' after \(n): use =, !=, <, <=, >, >= or contains, for example \(n) = value")
        case nil:
            throw CommandError("\(n) needs an operator and a value, for example \(n) = value")
        }
        guard case .word(let raw, let quoted)? = p.next() else {
            let example: String
            switch comparison {
            case .less, .lessOrEqual, .greater, .greaterOrEqual: example = "30"
            case .contains: example = "ali"
            default: example = "Lahore"
            }
            throw CommandError("\(n) \(comparison.rawValue) needs a value, for example \(n) \(comparison.rawValue) \(example)")
        }
        var value = try ValueSyntax.value(raw, quoted: quoted)
        if comparison == .contains, !quoted {
            do { value = try FieldValue.text(normalizing: raw) } catch { throw CommandError(error.message) }
        }
        return .compare(name, comparison, value)
    }
}

/// Walks the tokens of one line.
struct Cursor {
    var tokens: [Token]
    var index = 0
    /// In a condition: the parentheses open, and the comparisons read so far.
    var nesting = 0
    var comparisons = 0

    mutating func next() -> Token? {
        guard index < tokens.count else { return nil }
        defer { index += 1 }
        return tokens[index]
    }

    func peek() -> Token? { index < tokens.count ? tokens[index] : nil }

    mutating func skip(_ token: Token) -> Bool {
        guard peek() == token else { return false }
        index += 1
        return true
    }

    /// An entry id or the beginning of one.
    mutating func id(_ spec: CommandSpec) throws(CommandError) -> String {
        guard case .word(let id, _)? = next(), !id.isEmpty else {
            throw CommandError("\(spec.name) needs an entry id (or its first characters): \(spec.usage)  (for example: \(spec.example))")
        }
        return id
    }
}
