public import DaftarModel
import Foundation
internal import GRDB

/// How a find or count is answered: from the field index alone where it can be (one kind, one
/// comparison), by walking the index in the order asked for and checking each entry, or by the
/// general plan (every term a set of entries from the index). Every entry shown is checked
/// against its state as read.
extension Store {
    /// The entries that match `query`, in its order, after its offset, at most its limit.
    public func find(_ query: Query) throws(StoreError) -> [RecordState] {
        try catchUpIndex()
        return try read { db in try QueryPlan(db: db, query: query).find() }
    }

    /// How many entries match `query` (its ordering, limit and offset aside).
    public func count(_ query: Query) throws(StoreError) -> Int {
        try catchUpIndex()
        return try read { db in try QueryPlan(db: db, query: query).count() }
    }
}

struct QueryPlan {
    let db: Database
    let query: Query

    /// More candidates than this from an equality, and walking in order is cheaper than
    /// collecting and sorting them.
    static let collectAtMost = 5_000
    /// Entries read in creation order before the general plan takes over a find whose matches
    /// are rare.
    static let scanFirst = 20_000

    var limit: Int { query.limit ?? Int.max }

    // MARK: count

    func count() throws -> Int {
        var arguments = StatementArguments()
        // One scope: the index holds no scope, so the entries are read (the general plan).
        if query.scope != nil {
            if let condition = query.condition, Self.comparesDecimals(condition) { return try countReadingStates() }
            return try countGeneral()
        }
        guard let condition = query.condition else {
            // Entries per kind are kept as they change.
            if let kind = query.kind {
                return try Int.fetchOne(db, sql: "SELECT live FROM kind_count WHERE kind = ?", arguments: [kind.rawValue]) ?? 0
            }
            return try Int.fetchOne(db, sql: "SELECT coalesce(sum(live), 0) FROM kind_count") ?? 0
        }
        // One comparison: a count of index rows (which hold entries not deleted, once each per
        // field). Decimals are floats there, so their comparisons take the general plan.
        if case .compare(let name, .contains, .text(let word)) = condition, let kind = query.kind,
            let counted = try containsCount(name, kind, word)
        {
            return counted
        }
        if case .compare(let name, let comparison, let value) = condition, !value.isDecimal,
            let test = try QuerySQL.valueTest(comparison, value, &arguments), !test.negated
        {
            var all: StatementArguments = [name.rawValue]
            let range = QuerySQL.kindTerm(query.kind, &all)
            all += arguments
            return try Int.fetchOne(db, sql: "SELECT count(*) FROM field_index WHERE name = ? AND \(range) AND \(test.sql)", arguments: all) ?? 0
        }
        // A comparison with a decimal is loosened in the index (it holds floats): the
        // candidates are counted as their states say.
        if Self.comparesDecimals(condition) { return try countReadingStates() }
        return try countGeneral()
    }

    /// The general plan's count: one statement over the records.
    func countGeneral() throws -> Int {
        let (sql, arguments) = try QuerySQL.count(query)
        return try Int.fetchOne(db, sql: sql, arguments: arguments) ?? 0
    }

    /// The candidates the general plan selects, counted as their states say (a comparison with
    /// a decimal is loosened in the index, which holds floats).
    func countReadingStates() throws -> Int {
        var unbounded = query
        unbounded.limit = nil
        unbounded.offset = 0
        unbounded.ordering = []
        let (sql, arguments) = try QuerySQL.select(unbounded)
        return try states(sql, arguments, skip: 0, take: Int.max).count
    }

    /// Distinct text values of one field and kind walked one by one before a count with
    /// `contains` gives up on them and reads every entry.
    static let distinctWalk = 4_096

    /// `count KIND where FIELD contains WORD`, where the field's text takes few distinct values
    /// (a city, a status, names that repeat): a substring cannot be looked up in an ordered
    /// index, but each distinct value can be tested once and its entries counted from the index.
    /// The walk jumps from value to value through the index, and stops after `distinctWalk`
    /// of them; nil then, and the count reads every entry. Numbers are counted as usual (their
    /// range of the index is read whole).
    func containsCount(_ name: FieldName, _ kind: Kind, _ word: String) throws -> Int? {
        let needle = TextForm.folded(word)
        let walked = try Row.fetchOne(
            db,
            sql: """
                WITH RECURSIVE v(value) AS (
                    SELECT (SELECT min(value) FROM field_index WHERE name = ?1 AND kind = ?2 AND value >= '' AND value < x'')
                    UNION ALL
                    SELECT (SELECT value FROM field_index WHERE name = ?1 AND kind = ?2 AND value > v.value AND value < x''
                            ORDER BY value LIMIT 1)
                    FROM v WHERE v.value IS NOT NULL
                    LIMIT ?4
                )
                SELECT count(*) AS steps, coalesce(sum(CASE WHEN value IS NOT NULL AND instr(daftar_fold(value), ?3) > 0
                    THEN (SELECT count(*) FROM field_index c WHERE c.name = ?1 AND c.kind = ?2 AND c.value = v.value) ELSE 0 END), 0) AS entries
                FROM v
                """,
            arguments: [name.rawValue, kind.rawValue, needle, Self.distinctWalk + 2])
        // The walk ends with a NULL row: distinct values + 1 steps when it reached the end.
        guard let walked, let steps: Int = walked["steps"], steps <= Self.distinctWalk + 1, let text: Int = walked["entries"] else { return nil }
        // The rest of the field's values: numbers (below text in the index) and anything after it.
        var arguments: StatementArguments = []
        guard let test = try QuerySQL.valueTest(.contains, .text(word), &arguments) else { return nil }
        let others = try Int.fetchOne(
            db,
            sql: "SELECT (SELECT count(*) FROM field_index WHERE name = ? AND kind = ? AND value < '' AND \(test.sql))"
                + " + (SELECT count(*) FROM field_index WHERE name = ? AND kind = ? AND value >= x'' AND \(test.sql))",
            arguments: [name.rawValue, kind.rawValue] + arguments + [name.rawValue, kind.rawValue] + arguments) ?? 0
        return text + others
    }

    static func comparesDecimals(_ condition: Query.Condition) -> Bool {
        switch condition {
        case .and(let a, let b), .or(let a, let b): return comparesDecimals(a) || comparesDecimals(b)
        case .compare(_, _, let value): return value.isDecimal
        }
    }

    // MARK: find

    func find() throws -> [RecordState] {
        guard limit > 0 else { return [] }
        // One scope: the index holds no scope, so the general plan reads the entries.
        if query.scope != nil { return try general() }
        if query.ordering.count == 1, let field = query.ordering[0].field, let kind = query.kind {
            return try ordered(by: field, descending: query.ordering[0].descending, kind: kind)
        }
        if query.ordering.isEmpty { return try inCreationOrder() }
        return try general()
    }

    /// The general plan: one statement, every term a set of entries from the index, sorted by
    /// SQLite. Correct for every query; slow for broad ones on large stores.
    func general() throws -> [RecordState] {
        // Limit and offset apply after the exact check: a candidate SQL admits and the check
        // refuses (a decimal near a bound) must not take a place on the page.
        var unbounded = query
        unbounded.limit = nil
        unbounded.offset = 0
        let (sql, arguments) = try QuerySQL.select(unbounded)
        return try states(sql, arguments, skip: query.offset, take: limit)
    }

    /// Runs `sql` (selecting `state`), keeping entries that still match as read, after skipping
    /// `skip` of them, until `take` are kept.
    func states(_ sql: String, _ arguments: StatementArguments, skip: Int, take: Int) throws -> [RecordState] {
        try scan(sql, arguments, skip: skip, take: take).found
    }

    /// As ``states(_:_:skip:take:)``, with how many rows were read.
    func scan(_ sql: String, _ arguments: StatementArguments, skip: Int, take: Int) throws -> (found: [RecordState], read: Int) {
        var out: [RecordState] = []
        var skipped = 0
        var read = 0
        let cursor = try Data.fetchCursor(db, sql: sql, arguments: arguments)
        while out.count < take, let blob = try cursor.next() {
            read += 1
            let state = try RecordState(encoded: blob)
            guard matches(state) else { continue }
            if skipped < skip {
                skipped += 1
                continue
            }
            out.append(state)
        }
        return (out, read)
    }

    func matches(_ state: RecordState) -> Bool {
        !state.isDeleted && (query.kind == nil || state.kind == query.kind) && ((try? QuerySQL.matchesExactly(query.condition, state)) ?? false)
    }

    /// The entries not deleted, of the query's kind: a statement to add an order to.
    func liveEntries() -> (String, StatementArguments) {
        // Hidden records (registry statements, entries whose creation is void or whose scope was
        // withdrawn) are not entries of the register.
        guard let kind = query.kind else { return ("SELECT state FROM record WHERE deleted = 0 AND hidden = 0", []) }
        return ("SELECT state FROM record WHERE deleted = 0 AND kind = ? AND hidden = 0", [kind.rawValue])
    }

    /// No ordering: creation order.
    func inCreationOrder() throws -> [RecordState] {
        guard let condition = query.condition else {
            var (sql, arguments) = liveEntries()
            sql += " ORDER BY num LIMIT ? OFFSET ?"
            arguments += [limit == Int.max ? -1 : limit, query.offset]
            return try states(sql, arguments, skip: 0, take: limit)
        }
        // An equality drives: its index rows are in creation order within the value.
        let drivers = QuerySQL.driverCandidates(query)
        if !drivers.isEmpty, query.limit != nil {
            var best = drivers[0]
            var fewest = Int.max
            for candidate in drivers {
                var arguments: StatementArguments = [candidate.0.rawValue]
                let range = QuerySQL.kindTerm(query.kind, &arguments)
                arguments += [IndexValue(candidate.1)!.databaseValue]
                let n =
                    try Int.fetchOne(
                        db, sql: "SELECT count(*) FROM (SELECT 1 FROM field_index WHERE name = ? AND \(range) AND value = ? LIMIT 20000)", arguments: arguments) ?? 0
                if n < fewest {
                    fewest = n
                    best = candidate
                }
            }
            let (sql, arguments) = try QuerySQL.driven(Query(kind: query.kind, where: condition), by: best)
            return try states(sql, arguments, skip: query.offset, take: limit)
        }
        // Otherwise read entries in creation order, checking each, while matches come often
        // enough; when they are rare the index finds them.
        if query.limit != nil {
            var (sql, arguments) = liveEntries()
            sql += " ORDER BY num LIMIT \(Self.scanFirst)"
            let (out, read) = try scan(sql, arguments, skip: query.offset, take: limit)
            if out.count == limit || read < Self.scanFirst { return out }
        }
        return try general()
    }

    /// `order by FIELD` within one kind: the index rows of that field and kind are in value
    /// order (numbers, then text, then booleans), entries without the field after them.
    func ordered(by field: FieldName, descending: Bool, kind: Kind) throws -> [RecordState] {
        let direction = descending ? "DESC" : "ASC"
        var out: [RecordState] = []
        var skip = query.offset
        if query.condition == nil {
            // Only the index: skip and take there, then read the entries.
            let nums = try Int64.fetchAll(
                db, sql: "SELECT record FROM field_index WHERE name = ? AND kind = ? ORDER BY value \(direction), record \(direction) LIMIT ? OFFSET ?",
                arguments: [field.rawValue, kind.rawValue, limit == Int.max ? -1 : limit, skip])
            out = try nums.compactMap(state(of:)).filter(matches)
            if out.count == limit || !nums.isEmpty && nums.count == limit { return out }
            let having = try Int.fetchOne(db, sql: "SELECT count(*) FROM field_index WHERE name = ? AND kind = ?", arguments: [field.rawValue, kind.rawValue]) ?? 0
            skip = max(0, skip - having)
        } else if let collected = try collectedByDriver() {
            // Few candidates: gather them and sort.
            // As the index orders them: by value, then by creation (both reversed for desc),
            // entries without the field last, in creation order.
            let sorted = collected.sorted { a, b in
                let (va, vb) = (a.state.fields[field]?.value, b.state.fields[field]?.value)
                let (ha, hb) = (va.map { !$0.isNull } ?? false, vb.map { !$0.isNull } ?? false)
                if ha != hb { return ha }
                if !ha { return a.num < b.num }
                let order = Self.order(va, vb)
                if order != 0 { return descending ? order > 0 : order < 0 }
                return descending ? a.num > b.num : a.num < b.num
            }
            return Array(sorted.dropFirst(query.offset).prefix(limit).map(\.state))
        } else {
            let cursor = try Int64.fetchCursor(
                db, sql: "SELECT record FROM field_index WHERE name = ? AND kind = ? ORDER BY value \(direction), record \(direction)",
                arguments: [field.rawValue, kind.rawValue])
            while out.count < limit, let num = try cursor.next() {
                guard let state = try state(of: num), matches(state) else { continue }
                if skip > 0 {
                    skip -= 1
                    continue
                }
                out.append(state)
            }
            if out.count == limit { return out }
        }
        // Then the entries of the kind that lack the field, in creation order.
        let cursor = try Data.fetchCursor(
            db, sql: "SELECT state FROM record WHERE kind = ? AND deleted = 0 AND hidden = 0 ORDER BY num", arguments: [kind.rawValue])
        while out.count < limit, let blob = try cursor.next() {
            let state = try RecordState(encoded: blob)
            guard state.fields[field].map({ $0.value.isNull }) ?? true, matches(state) else { continue }
            if skip > 0 {
                skip -= 1
                continue
            }
            out.append(state)
        }
        return out
    }

    /// Every entry the rarest equality of the condition may match, when there are few.
    func collectedByDriver() throws -> [(num: Int64, state: RecordState)]? {
        let drivers = QuerySQL.driverCandidates(Query(kind: query.kind, where: query.condition))
        for (name, value) in drivers {
            var arguments: StatementArguments = [name.rawValue]
            let range = QuerySQL.kindTerm(query.kind, &arguments)
            arguments += [IndexValue(value)!.databaseValue, Self.collectAtMost + 1]
            let nums = try Int64.fetchAll(db, sql: "SELECT record FROM field_index WHERE name = ? AND \(range) AND value = ? LIMIT ?", arguments: arguments)
            if nums.count <= Self.collectAtMost {
                return try nums.compactMap { num in try state(of: num).map { (num, $0) } }.filter { matches($0.state) }
            }
        }
        return nil
    }

    func state(of num: Int64) throws -> RecordState? {
        try Data.fetchOne(db.cachedStatement(sql: "SELECT state FROM record WHERE num = ? AND hidden = 0"), arguments: [num]).map { try RecordState(encoded: $0) }
    }

    /// The order of two shown values as the field index sorts them: numbers, then text (by
    /// bytes), then booleans; a missing value last. Negative when `a` comes first.
    static func order(_ a: FieldValue?, _ b: FieldValue?) -> Int {
        func rank(_ v: FieldValue?) -> Int {
            switch v {
            case .integer?, .decimal?: 0
            case .text?: 1
            case .boolean?: 2
            default: 3
            }
        }
        let (ra, rb) = (rank(a), rank(b))
        if ra != rb { return ra < rb ? -1 : 1 }
        switch (a, b) {
        case (.text(let x)?, .text(let y)?):
            if x == y { return 0 }
            return Array(x.utf8).lexicographicallyPrecedes(Array(y.utf8)) ? -1 : 1
        case (.boolean(let x)?, .boolean(let y)?): return x == y ? 0 : (!x ? -1 : 1)
        default: return a?.compare(to: b ?? .null) ?? 0
        }
    }
}

extension FieldValue {
    var isDecimal: Bool {
        if case .decimal = self { return true }
        return false
    }
}
