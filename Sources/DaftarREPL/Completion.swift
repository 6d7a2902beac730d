/// What tab completes: command names first, then kinds where a kind goes, field names elsewhere.
public enum Completion {
    public static func candidates(line: String, word: String, kinds: [String], fields: [String]) -> [String] {
        let before = line.split(separator: " ", omittingEmptySubsequences: true)
        let typingFirst = before.isEmpty || (before.count == 1 && !line.hasSuffix(" "))
        let pool: [String]
        if typingFirst {
            pool = CommandSpec.all.map(\.name)
        } else {
            let verb = CommandSpec.named(String(before[0]).lowercased())?.name ?? ""
            let position = line.hasSuffix(" ") ? before.count : before.count - 1
            switch verb {
            case "add" where position == 1, "find" where position == 1, "count" where position == 1: pool = kinds
            case "help": pool = CommandSpec.all.map(\.name)
            case "json": pool = ["on", "off"]
            case "export" where position == 1, "import" where position == 1: pool = ["csv", "jsonl"]
            default: pool = fields + (verb == "find" || verb == "count" ? ["where", "and", "or", "contains", "order", "by", "limit", "asc", "desc"] : [])
            }
        }
        return pool.filter { $0.hasPrefix(word) }.sorted()
    }
}
