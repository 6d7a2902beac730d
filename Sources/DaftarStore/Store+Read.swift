public import DaftarModel
import Foundation
internal import GRDB

extension Store {
    /// One entry with its fields, conflict siblings, deleted flag and version vector; nil when
    /// this store holds no such entry.
    public func record(_ id: RecordID) throws(StoreError) -> RecordState? {
        try read { db in
            try Data.fetchOne(db, sql: "SELECT state FROM record WHERE id = ?", arguments: [id.description])
                .map { try RecordState(encoded: $0) }
        }
    }

    /// The text the full-text index keeps for an entry with shown `values` (folded text, the
    /// written digits of numbers, separators joined): for a baseline that indexes alike.
    public static func searchText(of values: [FieldName: FieldValue]) -> String? {
        SearchIndex.searchText(values: values)
    }

    /// The folded form the field index keeps beside a value for `contains` (text beyond ASCII,
    /// decimals as written), or nil: for a baseline that indexes alike.
    public static func indexFold(of value: FieldValue) -> String? {
        SearchIndex.fold(value)
    }

    /// The scope an entry belongs to, named by its creating change; nil if it is not held.
    public func scope(of id: RecordID) throws(StoreError) -> Scope? {
        try read { db in
            try String.fetchOne(db, sql: "SELECT scope FROM record WHERE id = ?", arguments: [id.description]).map { try Scope($0) }
        }
    }

    /// The id an officer meant: an exact id wins; otherwise the one id that starts with `text`.
    /// Several candidates are listed in the error. Only entries of the register are meant, except
    /// that `forHistory` also finds a registry statement or an entry whose creation is void
    /// (their changes are held and shown); an entry of a withdrawn scope is never found.
    public func resolveID(_ text: String, forHistory: Bool = false) throws(StoreError) -> RecordID {
        let prefix = text.trimmingCharacters(in: .whitespaces)
        guard !prefix.isEmpty else { throw StoreError(.unknownRecord, "no record id given: type an id such as fia-lahore-1042, or its first characters") }
        let ids: [String] = try read { db in
            if let exact = try Row.fetchOne(db, sql: "SELECT id, hidden, scope FROM record WHERE id = ?", arguments: [prefix]) {
                let id: String = exact["id"]
                let scope: String = exact["scope"]
                switch Ledger.Hidden(rawValue: exact["hidden"]) ?? .shown {
                case .shown: return [id]
                case .statement where forHistory, .voidCreation where forHistory: return [id]
                case .statement:
                    throw StoreError(.unknownRecord, "\(id) is a registry statement, not an entry: `daftar node list` shows grants; `history \(id)` its changes")
                case .voidCreation:
                    let record = try RecordID(id)
                    throw StoreError(
                        .unknownRecord,
                        "\(id) is not an entry of the register: the change that created it is void, \(try Self.voidReason(Ledger(db), origin: record.dot.origin, scope: Scope(scope), seq: record.dot.seq)); `history \(id)` shows its changes")
                case .withdrawn:
                    throw StoreError(.unknownRecord, "\(id) is of scope \(scope), which was withdrawn from this office: it is no longer shown here")
                }
            }
            // Ids are ASCII; a range scan on the unique index finds the prefix's ids.
            return try String.fetchAll(
                db, sql: "SELECT id FROM record WHERE id >= ? AND id < ? AND hidden \(forHistory ? "IN (0, 1, 2)" : "= 0") ORDER BY id LIMIT 11",
                arguments: [prefix, prefix + "\u{10FFFF}"])
        }
        switch ids.count {
        case 0:
            if (try? RecordID(prefix)) == nil, !prefix.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) {
                throw StoreError(.unknownRecord, "'\(prefix.prefix(80))' is not a record id: ids look like fia-lahore-1042")
            }
            // A full id whose office this store holds later changes of: made elsewhere, in a scope
            // this office does not hold, or not here yet.
            if let id = try? RecordID(prefix) {
                let (later, holdsAll) = try read { db -> (Bool, Bool) in
                    let ledger = try Ledger(db)
                    return ((ledger.highest[id.dot.origin] ?? 0) > id.dot.seq, try ledger.heldScopes() == nil)
                }
                if later {
                    throw StoreError(
                        .unknownRecord,
                        holdsAll
                            ? "no entry \(id) here yet: \(id.dot.origin) made it, but it has not arrived; sync, then try again"
                            : "no entry \(id) here: \(id.dot.origin) recorded it in a scope this office does not hold (or it has not arrived yet: sync to be sure); see `scopes`")
                }
            }
            throw StoreError(.unknownRecord, "no entry \(prefix.prefix(80)): check the id with `find` or `search`")
        case 1:
            return try RecordID.parse(ids[0])
        default:
            let candidates = try ids.prefix(10).map { id throws(StoreError) in try RecordID.parse(id) }
            let more = ids.count > 10 ? " and more" : ""
            throw StoreError(
                .ambiguousPrefix,
                "'\(prefix)' could be \(candidates.map(\.description).joined(separator: ", "))\(more): type more of the id",
                candidates: candidates)
        }
    }

    /// How many entries of each kind, deleted ones left out.
    public func countByKind() throws(StoreError) -> [(kind: Kind, count: Int)] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT kind, live AS n FROM kind_count WHERE live > 0 ORDER BY kind").map { row in
                (try Kind(row["kind"] as String), row["n"] as Int)
            }
        }
    }

    /// Full-text search over the entries' text, ignoring case and Arabic/Urdu letter forms. Every
    /// word must appear; a trailing `*` matches a word's beginning.
    public func search(_ text: String, kind: Kind? = nil, limit: Int = 50) throws(StoreError) -> [RecordState] {
        guard let match = QuerySQL.ftsQuery(text) else {
            throw StoreError(.badRequest, "nothing to search for: give one or more words, for example `search rashid karachi`")
        }
        var sql = "SELECT r.state FROM record_text t JOIN record r ON r.num = t.rowid WHERE record_text MATCH ? AND r.deleted = 0 AND r.hidden = 0"
        var arguments: StatementArguments = [match]
        if let kind {
            sql += " AND r.kind = ?"
            arguments += [kind.rawValue]
        }
        sql += " ORDER BY t.rank LIMIT ?"
        arguments += [max(0, limit)]
        return try indexedRead { db in
            let found = try Data.fetchAll(db, sql: sql, arguments: arguments).map { try RecordState(encoded: $0) }
            // The index file and the store are read in one transaction but may be at different
            // points of the log (a write committed between them): then every entry found is
            // checked against its text as read.
            guard try !Self.indexInStep(db) else { return found }
            return found.filter { QuerySQL.mayMatchSearch(text, $0) }
        }
    }

    /// Entries (not deleted) whose text fields hold `id` as a word of its own: a case's persons,
    /// a seizure's incident, a list `fia-lahore-2,fia-lahore-3`. Found through the full-text
    /// index, each checked against its values as read; the entry itself is left out.
    public func referring(to id: RecordID, limit: Int = 200) throws(StoreError) -> [RecordState] {
        guard let match = QuerySQL.ftsQuery(id.description) else { return [] }
        let target = id.description
        return try indexedRead { db in
            var out: [RecordState] = []
            let cursor = try Data.fetchCursor(
                db, sql: "SELECT r.state FROM record_text t JOIN record r ON r.num = t.rowid WHERE record_text MATCH ? AND r.deleted = 0 AND r.hidden = 0 ORDER BY r.num",
                arguments: [match])
            while out.count < limit, let blob = try cursor.next() {
                let state = try RecordState(encoded: blob)
                guard state.id != id else { continue }
                if state.values.values.contains(where: { Self.holdsID($0, target) }) { out.append(state) }
            }
            return out
        }
    }

    /// Whether `value` is text that holds `id` with no id letter, digit or '-' on either side.
    static func holdsID(_ value: FieldValue, _ id: String) -> Bool {
        guard case .text(let text) = value else { return false }
        let haystack = Array(text.lowercased().utf8)
        let needle = Array(id.utf8)
        guard needle.count <= haystack.count else { return false }
        func partOfID(_ byte: UInt8) -> Bool { (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39) || byte == 0x2D }
        var start = 0
        while start + needle.count <= haystack.count {
            if haystack[start..<(start + needle.count)].elementsEqual(needle) {
                let before = start == 0 || !partOfID(haystack[start - 1])
                let after = start + needle.count == haystack.count || !partOfID(haystack[start + needle.count])
                if before && after { return true }
            }
            start += 1
        }
        return false
    }

    /// Whether the index, as this read transaction sees it, is at the same point of the log as
    /// the store.
    static func indexInStep(_ db: Database) throws -> Bool {
        try Bool.fetchOne(
            db,
            sql: """
                SELECT (SELECT indexed_ord FROM ix.meta WHERE id = 1) IS (SELECT max(ord) FROM main.change)
                  AND (SELECT log_generation FROM ix.meta WHERE id = 1) IS (SELECT log_generation FROM main.store WHERE id = 1)
                  AND (SELECT recomputed_pos FROM ix.meta WHERE id = 1) IS (SELECT coalesce(max(pos), 0) FROM main.recomputed)
                """) ?? false
    }

    /// How many entries a search finds.
    public func searchCount(_ text: String) throws(StoreError) -> Int {
        guard let match = QuerySQL.ftsQuery(text) else { return 0 }
        return try indexedRead { db in
            try Int.fetchOne(
                db, sql: "SELECT count(*) FROM record_text t JOIN record r ON r.num = t.rowid WHERE record_text MATCH ? AND r.deleted = 0 AND r.hidden = 0", arguments: [match]) ?? 0
        }
    }

    /// Every change of an entry, in the order this store applied them, which is causal order.
    public func history(of id: RecordID) throws(StoreError) -> [Change] {
        try read { db in
            try Data.fetchAll(
                db, sql: "SELECT c.body FROM change c JOIN record r ON r.num = c.record WHERE r.id = ? ORDER BY c.ord",
                arguments: [id.description]
            ).map { try Change(canonical: $0) }
        }
    }

    /// The dots of an entry's changes that are void (held, but computed as if absent).
    public func voidDots(of id: RecordID) throws(StoreError) -> Set<Dot> {
        try read { db in
            var dots = Set<Dot>()
            for row in try Row.fetchAll(
                db, sql: "SELECT c.origin, c.seq FROM change c JOIN record r ON r.num = c.record WHERE r.id = ? AND c.void = 1", arguments: [id.description])
            {
                dots.insert(Dot(origin: try NodeID(row["origin"] as String), seq: UInt64(row["seq"] as Int64)))
            }
            return dots
        }
    }

    /// Why the change of `origin` at `seq` in `scope` is void, in an officer's words.
    public func voidReason(origin: NodeID, scope: Scope, seq: UInt64) throws(StoreError) -> String {
        try read { db in try Self.voidReason(Ledger(db), origin: origin, scope: scope, seq: seq) }
    }

    static func voidReason(_ ledger: Ledger, origin: NodeID, scope: Scope, seq: UInt64) throws -> String {
        guard let grant = try ledger.grant(of: origin)?.grant else {
            return "the registry holds no grant of \(origin), which therefore writes scope general alone"
        }
        if let last = grant.revokedThrough, seq > last {
            return "\(origin)'s key was revoked: its changes after seq \(last) count nowhere"
        }
        guard let ranges = grant.write[scope], !ranges.isEmpty else {
            return "\(origin)'s grant does not let it write \(scope)"
        }
        return "\(origin)'s grant lets it write \(scope) at seqs \(ranges.map(\.description).joined(separator: ",")) only, and this is seq \(seq)"
    }

    /// The void changes held, per chain: how many, and the first and last seq.
    public func voidChains() throws(StoreError) -> [VoidChain] {
        // One ledger for every chain's reason (it reads the store's knowledge once).
        try read { db in try Self.voidChains(db, ledger: try Ledger(db)) }
    }

    static func voidChains(_ db: Database, ledger: Ledger) throws -> [VoidChain] {
            try Row.fetchAll(
                db,
                sql: """
                    SELECT c.origin, r.scope, count(*) AS n, min(c.seq) AS first, max(c.seq) AS last
                    FROM change c JOIN record r ON r.num = c.record WHERE c.void = 1 GROUP BY c.origin, r.scope ORDER BY c.origin, r.scope
                    """
            ).map { row in
                let origin = try NodeID(row["origin"] as String)
                let scope = try Scope(row["scope"] as String)
                let first = UInt64(row["first"] as Int64)
                return VoidChain(
                    chain: Chain(origin, scope), count: row["n"], first: first, last: UInt64(row["last"] as Int64),
                    reason: try Self.voidReason(ledger, origin: origin, scope: scope, seq: first))
            }
    }

    /// The change at `dot`, when held.
    public func change(at dot: Dot) throws(StoreError) -> Change? {
        try read { db in
            try Data.fetchOne(db, sql: "SELECT body FROM change WHERE origin = ? AND seq = ?", arguments: [dot.origin.rawValue, Int64(dot.seq)])
                .map { try Change(canonical: $0) }
        }
    }

    /// The entries in conflict, oldest first.
    public func conflicts(limit: Int = 1000) throws(StoreError) -> [RecordState] {
        try read { db in
            try Data.fetchAll(db, sql: "SELECT state FROM record WHERE conflict = 1 AND hidden = 0 ORDER BY num LIMIT ?", arguments: [max(0, limit)])
                .map { try RecordState(encoded: $0) }
        }
    }

    /// What this store holds of each chain.
    public func knowledge() throws(StoreError) -> Knowledge {
        try read { db in try Ledger.loadKnowledge(db) }
    }

    /// How many changes this store holds: every origin's, and this node's own.
    public func changeCounts() throws(StoreError) -> (held: UInt64, own: UInt64) {
        try read { db in
            let row = try Row.fetchOne(db, sql: "SELECT coalesce(sum(held), 0) AS held, coalesce(sum(CASE WHEN origin = ? THEN held ELSE 0 END), 0) AS own FROM knowledge", arguments: [node.rawValue])
            return (UInt64(row?["held"] as Int64? ?? 0), UInt64(row?["own"] as Int64? ?? 0))
        }
    }

    /// Every record id and its merged state, sorted by id: for comparing stores.
    public func allRecords() throws(StoreError) -> [RecordState] {
        try read { db in try Data.fetchAll(db, sql: "SELECT state FROM record ORDER BY id").map { try RecordState(encoded: $0) } }
    }
}

extension RecordID {
    static func parse(_ text: String) throws(StoreError) -> RecordID {
        do { return try RecordID(text) } catch { throw StoreError(.corrupt, "the store holds a malformed record id '\(text)': restore it from a backup") }
    }
}

extension Store {
    /// Origins whose stamps ran ahead of this node's clock by more than the allowed drift, with
    /// the latest such change and its skew.
    public func clockWarnings() throws(StoreError) -> [SkewReport] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT origin, seq, skew_ms FROM clock_warning ORDER BY origin").map { row in
                SkewReport(dot: Dot(origin: try NodeID(row["origin"] as String), seq: UInt64(row["seq"] as Int64)), skewMilliseconds: UInt64(row["skew_ms"] as Int64))
            }
        }
    }
}

extension Store {
    /// How many entries are in conflict.
    public func conflictCount() throws(StoreError) -> Int {
        try read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM record WHERE conflict = 1 AND hidden = 0") ?? 0 }
    }

    /// The kinds of entries held, sorted.
    public func kinds() throws(StoreError) -> [Kind] {
        try read { db in try Self.distinct(db, "kind", in: "record").compactMap { try? Kind($0) } }
    }

    /// The names of the fields that have a value in some entry, sorted.
    public func fieldNames() throws(StoreError) -> [FieldName] {
        try indexedRead { db in try Self.distinct(db, "name", in: "field_index").compactMap { try? FieldName($0) } }
    }

    /// The names of the fields entries of `kind` have had a value in, sorted.
    public func fieldNames(of kind: Kind) throws(StoreError) -> [FieldName] {
        try indexedRead { db in
            try String.fetchAll(db, sql: "SELECT name FROM ix.kind_field WHERE kind = ? ORDER BY name", arguments: [kind.rawValue]).compactMap { try? FieldName($0) }
        }
    }

    /// Up to `limit` entry ids that start with `prefix`, in order.
    public func ids(startingWith prefix: String, limit: Int = 50) throws(StoreError) -> [String] {
        try read { db in
            try String.fetchAll(
                db, sql: "SELECT id FROM record WHERE id >= ? AND id < ? AND hidden = 0 ORDER BY id LIMIT ?", arguments: [prefix, prefix + "\u{10FFFF}", max(0, limit)])
        }
    }

    /// The distinct values of an indexed column, found one index step at a time so that it stays
    /// fast on large stores. `column` and `table` are this file's constants, never input.
    private static func distinct(_ db: Database, _ column: String, in table: String) throws -> [String] {
        try String.fetchAll(
            db,
            sql: """
                WITH RECURSIVE v(x) AS (
                  SELECT min(\(column)) FROM \(table)
                  UNION ALL SELECT (SELECT min(\(column)) FROM \(table) WHERE \(column) > v.x) FROM v WHERE v.x IS NOT NULL)
                SELECT x FROM v WHERE x IS NOT NULL
                """)
    }

    /// Calls `body` with every entry (deleted ones only when asked), of one kind or all, in
    /// creation order, without holding them all in memory.
    public func forEachRecord(kind: Kind? = nil, includeDeleted: Bool = false, _ body: (RecordState) throws -> Void) throws(StoreError) {
        var sql = "SELECT state FROM record WHERE hidden = 0"
        var arguments: StatementArguments = []
        if !includeDeleted { sql += " AND deleted = 0" }
        if let kind {
            sql += " AND kind = ?"
            arguments += [kind.rawValue]
        }
        try read { db in
            let cursor = try Data.fetchCursor(db, sql: sql + " ORDER BY num", arguments: arguments)
            while let blob = try cursor.next() { try body(try RecordState(encoded: blob)) }
        }
    }

    /// How many of this node's own changes no remote is known to hold yet: all of them until it
    /// has synced with a remote.
    public func unsentCount() throws(StoreError) -> UInt64 {
        let node = self.node
        return try read { db in
            let mine = try Ledger.loadKnowledge(db).entries.filter { $0.key.origin == node }
            let remotes = try Data.fetchAll(db, sql: "SELECT last_knowledge FROM remote WHERE last_knowledge IS NOT NULL").compactMap {
                try? JSONDecoder().decode(Knowledge.self, from: $0)
            }
            // Per remote, the own changes above what it holds of each own chain; the fewest.
            var fewest: UInt64?
            for remote in remotes {
                var unsent: UInt64 = 0
                for (chain, held) in mine where held.seq > remote[chain] {
                    unsent += UInt64(
                        try Int64.fetchOne(
                            db, sql: "SELECT count(*) FROM change c JOIN record r ON r.num = c.record WHERE c.origin = ? AND c.seq > ? AND r.scope = ?",
                            arguments: [node.rawValue, Int64(remote[chain]), chain.scope.rawValue]) ?? 0)
                }
                fewest = min(fewest ?? unsent, unsent)
            }
            if let fewest { return fewest }
            return UInt64(try Int64.fetchOne(db, sql: "SELECT coalesce(sum(held), 0) FROM knowledge WHERE origin = ?", arguments: [node.rawValue]) ?? 0)
        }
    }
}
