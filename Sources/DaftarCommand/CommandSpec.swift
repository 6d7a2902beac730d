/// The commands, their aliases, usage, an example and what they do: the source of `help`,
/// tab completion and usage errors.
package struct CommandSpec: Sendable {
    package var name: String
    package var aliases: [String]
    package var usage: String
    package var example: String
    package var summary: String

    package static let all: [CommandSpec] = [
        CommandSpec(
            name: "add", aliases: ["new"], usage: "add KIND [in SCOPE] name=value ...", example: "add incident title=\"Raid on call centre\" city=Lahore status=open", summary: "record a new entry; prints its id"
        ),
        CommandSpec(name: "set", aliases: [], usage: "set ID name=value ...", example: "set fia-lahore-12 status=closed", summary: "write fields of an entry (ends any conflict on them)"),
        CommandSpec(name: "unset", aliases: [], usage: "unset ID name ...", example: "unset fia-lahore-12 phone", summary: "remove fields of an entry"),
        CommandSpec(name: "delete", aliases: ["del", "rm"], usage: "delete ID", example: "delete fia-lahore-12", summary: "delete an entry (kept in history; restore brings it back)"),
        CommandSpec(name: "restore", aliases: [], usage: "restore ID", example: "restore fia-lahore-12", summary: "bring back a deleted entry"),
        CommandSpec(
            name: "transfer", aliases: [], usage: "transfer ID to SCOPE", example: "transfer fia-lahore-12 to ct-wing",
            summary: "move an entry to another scope: a new entry there, both linked"),
        CommandSpec(
            name: "show", aliases: ["get"], usage: "show ID", example: "show fia-lahore-12",
            summary: "one entry: each field with who set it, when and from which office; conflict siblings; version vector"),
        CommandSpec(
            name: "find", aliases: ["list", "ls"], usage: "find [KIND] [in SCOPE] [where CONDITION] [order by FIELD [asc|desc], ...] [limit N] [offset N] [vertical]",
            example: "find person where city = Lahore and age >= 30 order by name limit 20 offset 20",
            summary: "entries by kind and conditions (=, !=, <, <=, >, >=, contains; and, or, parentheses); offset skips entries (the next page); vertical shows each entry as field/value lines"),
        CommandSpec(name: "count", aliases: [], usage: "count [KIND] [in SCOPE] [where CONDITION]", example: "count vehicle where colour = white", summary: "how many entries match"),
        CommandSpec(
            name: "search", aliases: ["s"], usage: "search WORDS... [limit N]", example: "search rashid karachi",
            summary: "full-text search; ignores case and Arabic/Urdu letter forms; word* matches a beginning"),
        CommandSpec(name: "history", aliases: ["hist"], usage: "history ID", example: "history fia-lahore-12", summary: "every change of an entry: officer, office, time, what it changed"),
        CommandSpec(name: "conflicts", aliases: [], usage: "conflicts [ID]", example: "conflicts fia-lahore-12", summary: "list entries in conflict, or show one entry's sides side by side"),
        CommandSpec(
            name: "resolve", aliases: [], usage: "resolve ID keep SIDE | resolve ID keep deleted|live | resolve ID name=value ...", example: "resolve fia-lahore-12 keep 2",
            summary: "end a conflict on every field by keeping one side (number or dot from `conflicts ID`), end a deleted-or-not conflict (keep deleted or keep live), or write new values"),
        CommandSpec(name: "status", aliases: [], usage: "status", example: "status", summary: "node id, officer, counts, changes not yet sent, clock warnings, forks"),
        CommandSpec(
            name: "scopes", aliases: [], usage: "scopes", example: "scopes",
            summary: "the scopes this office holds (read) and may write, with entries in each, and where `add` puts new entries"),
        CommandSpec(
            name: "export", aliases: [], usage: "export csv|jsonl FILE [KIND] [--excel]", example: "export csv persons.csv person --excel",
            summary: "write entries to a CSV or JSON-lines file; --excel marks the CSV as UTF-8 so that Excel shows Urdu"),
        CommandSpec(
            name: "import", aliases: [], usage: "import csv|jsonl FILE [KIND] [--again]", example: "import csv persons.csv person",
            summary: "record entries from a CSV or JSON-lines file, all or nothing; a file imported before needs --again"),
        CommandSpec(name: "undo", aliases: [], usage: "undo", example: "undo", summary: "revert your last change of this session (as a new change; history keeps both)"),
        CommandSpec(
            name: "refs", aliases: [], usage: "refs ID", example: "refs fia-lahore-12", summary: "entries whose fields hold this entry's id (a case's persons, a seizure's incident)"),
        CommandSpec(
            name: "source", aliases: [], usage: "source FILE", example: "source /media/usb/raid-entries.txt",
            summary: "run the commands of a file, one per line (# starts a comment); errors name the line"),
        CommandSpec(name: "view", aliases: [], usage: "view vertical|table", example: "view vertical", summary: "show found entries as field/value blocks, or as a table"),
        CommandSpec(name: "pager", aliases: [], usage: "pager on|off", example: "pager off", summary: "page results taller than the terminal through $PAGER (less -S by default)"),
        CommandSpec(name: "json", aliases: [], usage: "json on|off", example: "json on", summary: "print results as JSON documents (one per result) or as tables"),
        CommandSpec(name: "sync", aliases: [], usage: "sync [REMOTE]", example: "sync central", summary: "sync with one remembered server, or all (see `daftar remote add`)"),
        CommandSpec(name: "remotes", aliases: [], usage: "remotes", example: "remotes", summary: "the servers this node syncs with, and when it last did"),
        CommandSpec(
            name: "merge", aliases: [], usage: "merge PATH", example: "merge /media/usb/karachi.daftar",
            summary: "take every change another store file holds that this one lacks (a colleague's store brought by hand)"),
        CommandSpec(name: "check", aliases: [], usage: "check", example: "check", summary: "SQLite's integrity check of the store file"),
        CommandSpec(
            name: "fork", aliases: [], usage: "fork show ORIGIN | fork find ORIGIN with REMOTE | fork discard ORIGIN from SEQ | fork keep ORIGIN", example: "fork discard fia-lahore from 1043",
            summary: "show the forks of an office with their proofs, and recover from a store copied by hand and used twice (see the README)"),
        CommandSpec(name: "help", aliases: ["?"], usage: "help [COMMAND]", example: "help find", summary: "this list, or one command with an example"),
        CommandSpec(name: "quit", aliases: ["exit", "q"], usage: "quit", example: "quit", summary: "leave (Ctrl-D also works)"),
    ]

    package static func named(_ word: String) -> CommandSpec? {
        all.first { $0.name == word || $0.aliases.contains(word) }
    }

    /// A command an officer probably meant by a mistyped word.
    package static func closest(to word: String) -> String? {
        func distance(_ a: [Character], _ b: [Character]) -> Int {
            var row = Array(0...b.count)
            for (i, ca) in a.enumerated() {
                var previous = row[0]
                row[0] = i + 1
                for (j, cb) in b.enumerated() {
                    let old = row[j + 1]
                    row[j + 1] = min(row[j + 1] + 1, row[j] + 1, previous + (ca == cb ? 0 : 1))
                    previous = old
                }
            }
            return row[b.count]
        }
        let candidates = all.flatMap { [$0.name] + $0.aliases }
        let best = candidates.map { ($0, distance(Array(word), Array($0))) }.min { $0.1 < $1.1 }
        guard let best, best.1 <= 2, best.1 < word.count else { return nil }
        return named(best.0)?.name
    }
}
