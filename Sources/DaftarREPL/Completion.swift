/// What tab completes, by position in the command's grammar: command names first, then what may
/// stand where the cursor is (a kind, a field of that kind, an entry id, a keyword, a remote, a
/// file name), read from the store as it is at that moment.
public enum Completion {
    public enum Result: Equatable, Sendable {
        /// These words (already filtered by the word being typed); none: nothing fits here.
        case words([String])
        /// A file name goes here.
        case files
    }

    /// Where completions come from; each is asked only when its kind of word is wanted.
    public struct Source {
        public var kinds: () -> [String]
        /// Field names, of one kind or of every kind.
        public var fields: (_ kind: String?) -> [String]
        /// Entry ids that start with a prefix.
        public var ids: (_ prefix: String) -> [String]
        /// The kind of the entry an id (or its beginning) names.
        public var kindOf: (_ id: String) -> String?
        public var remotes: () -> [String]

        public init(
            kinds: @escaping () -> [String], fields: @escaping (String?) -> [String], ids: @escaping (String) -> [String],
            kindOf: @escaping (String) -> String?, remotes: @escaping () -> [String]
        ) {
            self.kinds = kinds
            self.fields = fields
            self.ids = ids
            self.kindOf = kindOf
            self.remotes = remotes
        }
    }

    /// `line` is the text before the cursor; `word` the word being typed at its end.
    public static func candidates(line: String, word: String, source: Source) -> Result {
        let before = String(line.dropLast(line.hasSuffix(word) ? word.count : 0))
        guard let tokens = try? Tokenizer.tokenize(before) else { return .words([]) }
        func offer(_ pool: [String]) -> Result { .words(Array(Set(pool.filter { $0.hasPrefix(word) })).sorted()) }
        guard let first = tokens.first else { return offer(CommandSpec.all.map(\.name)) }
        guard case .word(let verbText, quoted: false) = first, let spec = CommandSpec.named(verbText.lowercased()) else { return .words([]) }
        let rest = Array(tokens.dropFirst())
        let words = rest.compactMap { token -> String? in if case .word(let w, _) = token { return w } else { return nil } }
        let last = rest.last
        let afterAssign = last == .symbol("=")
        // After an id-taking verb the first word is the id; a symbol there leaves nothing to offer.
        let id = words.first ?? ""
        switch spec.name {
        case "add":
            if rest.isEmpty { return offer(source.kinds()) }
            if afterAssign { return .words([]) }
            if rest.count >= 2, case .word(let w, quoted: false) = rest[rest.count - 1], w.lowercased() == "in" { return .words([]) }
            return offer(source.fields(words.first))
        case "set", "unset":
            if rest.isEmpty { return offer(source.ids(word)) }
            if afterAssign || words.isEmpty { return .words([]) }
            return offer(source.fields(source.kindOf(id)))
        case "resolve":
            if rest.isEmpty { return offer(source.ids(word)) }
            if afterAssign || words.isEmpty { return .words([]) }
            if rest.count == 1 { return offer(["keep"] + source.fields(source.kindOf(id))) }
            if case .word(let w, quoted: false)? = last, w.lowercased() == "keep" { return offer(["deleted", "live"]) }
            if words.count >= 2, words[1].lowercased() == "keep" { return .words([]) }
            return offer(source.fields(source.kindOf(id)))
        case "delete", "restore", "show", "history", "conflicts", "refs":
            return rest.isEmpty ? offer(source.ids(word)) : .words([])
        case "transfer":
            if rest.isEmpty { return offer(source.ids(word)) }
            return rest.count == 1 ? offer(["to"]) : .words([])
        case "find", "count":
            return query(rest, isFind: spec.name == "find", word: word, source: source, offer: offer)
        case "export", "import":
            switch rest.count {
            case 0: return offer(["csv", "jsonl"])
            case 1: return .files
            default:
                let flags = spec.name == "export" ? ["--excel"] : ["--again"]
                return offer((rest.count == 2 ? source.kinds() : []) + flags)
            }
        case "merge", "source": return rest.isEmpty ? .files : .words([])
        case "json": return rest.isEmpty ? offer(["on", "off"]) : .words([])
        case "view": return rest.isEmpty ? offer(["vertical", "table"]) : .words([])
        case "help": return rest.isEmpty ? offer(CommandSpec.all.map(\.name)) : .words([])
        case "sync": return rest.isEmpty ? offer(source.remotes()) : .words([])
        case "fork":
            if rest.isEmpty { return offer(["show", "find", "discard", "keep"]) }
            let action = words.first?.lowercased() ?? ""
            if rest.count == 2 { return offer(action == "find" ? ["with"] : action == "discard" ? ["from"] : []) }
            if rest.count == 3, action == "find" { return offer(source.remotes()) }
            return .words([])
        default: return .words([])
        }
    }

    /// `find|count [KIND] [where CONDITION] [order by FIELD [asc|desc], ...] [limit N] [offset N]`
    private static func query(_ rest: [Token], isFind: Bool, word: String, source: Source, offer: ([String]) -> Result) -> Result {
        let tail = isFind ? ["order", "limit", "offset", "vertical"] : []
        guard let last = rest.last else { return offer(source.kinds() + ["where"] + tail) }
        var kind: String?
        if case .word(let k, quoted: false) = rest[0], !["in", "where", "order", "limit", "offset", "vertical"].contains(k.lowercased()) { kind = k }
        // `in SCOPE`: the scope's name is typed, not offered.
        if case .word(let w, quoted: false) = last, w.lowercased() == "in" { return .words([]) }
        func keyword(_ token: Token) -> String? {
            if case .word(let w, quoted: false) = token { return w.lowercased() }
            return nil
        }
        if rest.count == 1, kind != nil { return offer(["in", "where"] + tail) }
        // Which clause the cursor is in, and what the token before it was.
        var clause = "start"
        var sinceKeyword = 0
        for token in rest {
            if let k = keyword(token), ["where", "order", "limit", "offset", "by"].contains(k) {
                clause = k
                sinceKeyword = 0
            } else {
                sinceKeyword += 1
            }
        }
        let fields = source.fields(kind)
        switch clause {
        case "where":
            switch last {
            case .openParen: return offer(fields)
            case .symbol: return .words([])
            default: break
            }
            if let k = keyword(last), ["where", "and", "or"].contains(k) { return offer(fields) }
            if keyword(last) == "contains" { return .words([]) }
            // A field name just typed wants an operator; a value just typed ends a comparison.
            if rest.count >= 2 {
                let previous = rest[rest.count - 2]
                let isValue: Bool
                switch previous {
                case .symbol: isValue = true
                default: isValue = keyword(previous) == "contains"
                }
                if isValue || last == .closeParen { return offer(["and", "or"] + tail) }
            }
            return offer(["contains"])
        case "order": return offer(["by"])
        case "by":
            if sinceKeyword == 0 || last == .comma { return offer(fields + ["id"]) }
            return offer(["asc", "desc", "limit", "offset", "vertical"])
        case "limit", "offset":
            if sinceKeyword == 0 { return .words([]) }
            return offer(["limit", "offset", "vertical"].filter { $0 != clause })
        default: return offer(["where"] + tail)
        }
    }
}
