import DaftarModel
import Foundation
internal import GRDB

/// Turns a ``Query`` into parameterised SQL over the record table and the field index.
enum QuerySQL {
    static func whereClause(_ query: Query) throws(StoreError) -> (String, StatementArguments) {
        var clauses: [String] = ["r.deleted = 0"]
        var arguments = StatementArguments()
        if let kind = query.kind {
            clauses.append("r.kind = ?")
            arguments += [kind.rawValue]
        }
        // Hidden records (registry statements, entries whose creation is void or whose scope was
        // withdrawn) are not entries of the register.
        clauses.append("r.hidden = 0")
        if let scope = query.scope {
            clauses.append("r.scope = ?")
            arguments += [scope.rawValue]
        }
        if let condition = query.condition {
            clauses.append(try sql(condition, kind: query.kind, &arguments))
        }
        return (" WHERE " + clauses.joined(separator: " AND "), arguments)
    }

    /// The field index's kind column for a query: one range for a kind, else every kind (a seek
    /// per kind, so that a value is still looked up, not scanned for).
    static func kindTerm(_ kind: Kind?, _ arguments: inout StatementArguments, column: String = "kind") -> String {
        guard let kind else { return "\(column) IN (SELECT kind FROM main.kind_count)" }
        arguments += [kind.rawValue]
        return "\(column) = ?"
    }

    /// The terms of a condition that must all hold.
    static func conjuncts(_ condition: Query.Condition) -> [Query.Condition] {
        if case .and(let a, let b) = condition { return conjuncts(a) + conjuncts(b) }
        return [condition]
    }

    /// An equality that can drive a find: walk the field index for it, in entry order, and check
    /// the other terms entry by entry, stopping at the limit. Decimals are kept as floats in the
    /// index, so they do not drive.
    static func driverCandidates(_ query: Query) -> [(FieldName, FieldValue)] {
        guard let condition = query.condition else { return [] }
        return conjuncts(condition).compactMap { term in
            guard case .compare(let name, .equal, let value) = term else { return nil }
            switch value {
            case .text, .integer, .boolean: return (name, value)
            default: return nil
            }
        }
    }

    /// The select for a find driven by the equality `driver`.
    static func driven(_ query: Query, by driver: (FieldName, FieldValue)) throws(StoreError) -> (String, StatementArguments) {
        var arguments: StatementArguments = [driver.0.rawValue]
        var clauses = ["d.name = ?"]
        clauses.append(kindTerm(query.kind, &arguments, column: "d.kind"))
        clauses.append("d.value = ?")
        arguments += [IndexValue(driver.1)!.databaseValue]
        clauses.append("r.deleted = 0")
        var skipped = false
        for term in conjuncts(query.condition!) {
            if !skipped, case .compare(let n, .equal, let v) = term, n == driver.0, v == driver.1 {
                skipped = true
                continue
            }
            clauses.append(try probe(term, kind: query.kind, &arguments))
        }
        var sql = "SELECT r.state FROM field_index d JOIN record r ON r.num = d.record WHERE " + clauses.joined(separator: " AND ") + " ORDER BY d.record"
        if let limit = query.limit {
            sql += " LIMIT ? OFFSET ?"
            arguments += [max(0, limit), max(0, query.offset)]
        }
        return (sql, arguments)
    }

    /// A term checked entry by entry: an equality is one look-up in the field index's key.
    private static func probe(_ term: Query.Condition, kind: Kind?, _ arguments: inout StatementArguments) throws(StoreError) -> String {
        if case .compare(let name, .equal, let value) = term, let indexed = IndexValue(value) {
            if case .decimal = value {
            } else {
                arguments += [name.rawValue, indexed.databaseValue]
                return "EXISTS (SELECT 1 FROM field_index p WHERE p.name = ? AND p.kind = r.kind AND p.value = ? AND p.record = r.num)"
            }
        }
        return try sql(term, kind: kind, &arguments)
    }

    static func select(_ query: Query) throws(StoreError) -> (String, StatementArguments) {
        var (sql, arguments) = try whereClause(query)
        sql = "SELECT r.state FROM record r" + sql
        var orders: [String] = []
        for ordering in query.ordering {
            let direction = ordering.descending ? "DESC" : "ASC"
            if let field = ordering.field {
                orders.append("daftar_field(r.state, ?) IS NULL, daftar_field(r.state, ?) \(direction)")
                arguments += [field.rawValue, field.rawValue]
            } else {
                orders.append("r.id \(direction)")
            }
        }
        // Ties in creation order, reversed with a descending first ordering (as the index walks
        // them); entries without the first ordering's field always in creation order.
        if let first = query.ordering.first, first.descending {
            if let field = first.field {
                orders.append("CASE WHEN daftar_field(r.state, ?) IS NULL THEN r.num ELSE -r.num END")
                arguments += [field.rawValue]
            } else {
                orders.append("r.num DESC")
            }
        } else {
            orders.append("r.num")
        }
        sql += " ORDER BY " + orders.joined(separator: ", ")
        if let limit = query.limit {
            sql += " LIMIT ? OFFSET ?"
            arguments += [max(0, limit), max(0, query.offset)]
        } else if query.offset > 0 {
            sql += " LIMIT -1 OFFSET ?"
            arguments += [query.offset]
        }
        return (sql, arguments)
    }

    static func count(_ query: Query) throws(StoreError) -> (String, StatementArguments) {
        let (sql, arguments) = try whereClause(query)
        return ("SELECT count(*) FROM record r" + sql, arguments)
    }

    private static func sql(_ condition: Query.Condition, kind: Kind?, _ arguments: inout StatementArguments) throws(StoreError) -> String {
        switch condition {
        case .and(let a, let b): return "(\(try sql(a, kind: kind, &arguments)) AND \(try sql(b, kind: kind, &arguments)))"
        case .or(let a, let b): return "(\(try sql(a, kind: kind, &arguments)) OR \(try sql(b, kind: kind, &arguments)))"
        case .compare(let name, let comparison, let value):
            var values = StatementArguments()
            let test = try valueTest(comparison, value, &values)
            guard let test else {
                // field = null: unset; field != null: set.
                arguments += [name.rawValue]
                let set = "r.num IN (SELECT record FROM field_index WHERE name = ? AND \(kindTerm(kind, &arguments)))"
                return comparison == .equal ? "NOT " + set : set
            }
            arguments += [name.rawValue]
            let range = kindTerm(kind, &arguments)
            arguments += values
            let member = "r.num IN (SELECT record FROM field_index WHERE name = ? AND \(range) AND \(test.sql))"
            return test.negated ? "NOT " + member : member
        }
    }

    /// The test of a field index row's `value` for one comparison; nil for a comparison with null
    /// (set or unset). `negated`: the entries are those without a matching row (`!=`).
    static func valueTest(_ comparison: Query.Comparison, _ value: FieldValue, _ arguments: inout StatementArguments) throws(StoreError) -> (sql: String, negated: Bool)? {
        if comparison == .contains {
            guard case .text(let text) = value else {
                throw StoreError(.badRequest, "contains compares text: quote the value, for example title contains \"raid\"")
            }
            // Numbers are matched by their written digits. A decimal is a float in the index: its
            // text there is its written form up to 15 digits; a larger one is a candidate anyway,
            // and the exact check decides.
            // Text of ASCII alone folds to its lower case, which SQLite's LIKE ignores: it
            // decides without a call into Swift per row. Other text has its folded form in the
            // index's `fold` column, and a decimal its written form.
            let needle = TextForm.folded(text)
            let pattern = "%" + needle.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "%"
            arguments += [pattern, needle, needle, needle]
            return (
                "(CASE WHEN value >= '' AND value < x'' THEN (fold IS NULL AND value LIKE ? ESCAPE '\\') OR instr(fold, ?) > 0"
                    + " WHEN typeof(value) = 'integer' THEN instr(value, ?) > 0"
                    + " WHEN typeof(value) = 'real' THEN instr(fold, ?) > 0 ELSE 0 END)", false
            )
        }
        if case .null = value {
            guard comparison == .equal || comparison == .notEqual else { throw StoreError(.badRequest, "null can only be compared with = or !=") }
            return nil
        }
        guard let indexed = IndexValue(value) else { throw StoreError(.badRequest, "cannot compare with \(value)") }
        // Keep a range within the value's own type: numbers sort before text, text before blobs.
        let typeBounds: String
        switch value {
        case .integer, .decimal: typeBounds = " AND value < ''"
        case .text: typeBounds = " AND value >= '' AND value < x''"
        case .boolean:
            guard comparison == .equal || comparison == .notEqual else {
                throw StoreError(.badRequest, "booleans can only be compared with = or !=")
            }
            typeBounds = ""
        case .null: typeBounds = ""
        }
        arguments += [indexed.databaseValue]
        // Decimals are floats in the index: a strict comparison with a decimal is made loose
        // there, and the exact check of the candidates decides. (A decimal field with more than
        // about 15 significant digits compared with an integer may still round the wrong way.)
        let numeric: Bool
        if case .decimal = value { numeric = true } else { numeric = false }
        switch comparison {
        case .equal: return ("value = ?", false)
        case .notEqual: return ("value = ?", true)
        case .less: return ((numeric ? "value <= ?" : "value < ?") + typeBounds, false)
        case .lessOrEqual: return ("value <= ?" + typeBounds, false)
        case .greater: return ((numeric ? "value >= ?" : "value > ?") + typeBounds, false)
        case .greaterOrEqual: return ("value >= ?" + typeBounds, false)
        case .contains: return nil  // handled above
        }
    }

    /// Whether a record's state, as read, meets the condition. The index chose the candidates,
    /// but it lives in its own file and may be read a moment before or after the record: every
    /// candidate is checked again against the state it is shown with (and decimals compare
    /// exactly only here).
    static func matchesExactly(_ condition: Query.Condition?, _ state: RecordState) throws -> Bool {
        guard let condition else { return true }
        return evaluate(condition, state)
    }

    /// Whether a record's text, as read, still holds every word of a search: a full-text match
    /// needs each word's letters and digits in the text, so a record that lacks one is one the
    /// index found in an older state.
    static func mayMatchSearch(_ text: String, _ state: RecordState) -> Bool {
        // As the full-text index reads them: without case or diacritics.
        func plain(_ s: String) -> String { s.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil) }
        let haystack = plain(SearchIndex.searchText(state) ?? "")
        let words = plain(TextForm.folded(text)).split(whereSeparator: { !($0.isLetter || $0.isNumber) })
        return words.allSatisfy { haystack.contains($0) }
    }

    static func evaluate(_ condition: Query.Condition, _ state: RecordState) -> Bool {
        switch condition {
        case .and(let a, let b): return evaluate(a, state) && evaluate(b, state)
        case .or(let a, let b): return evaluate(a, state) || evaluate(b, state)
        case .compare(let name, let comparison, let value):
            let field = state.fields[name]?.value ?? .null
            if comparison == .contains {
                guard case .text(let want) = value else { return false }
                switch field {
                case .text(let have): return TextForm.folded(have).contains(TextForm.folded(want))
                case .integer, .decimal: return field.displayText.contains(TextForm.folded(want))
                default: return false
                }
            }
            guard let order = field.compare(to: value) else { return comparison == .notEqual }
            switch comparison {
            case .equal: return order == 0
            case .notEqual: return order != 0
            case .less: return order < 0
            case .lessOrEqual: return order <= 0
            case .greater: return order > 0
            case .greaterOrEqual: return order >= 0
            case .contains: return false
            }
        }
    }

    /// An FTS5 query from an officer's words: each word folded and quoted, so no word is read as
    /// FTS5 syntax; a trailing `*` keeps prefix matching.
    /// A word with separators inside (`LEA-1234`) also matches its joined form (`lea1234`),
    /// which the index holds for such values.
    static func ftsQuery(_ text: String) -> String? {
        let words = TextForm.folded(text).split(whereSeparator: { $0.isWhitespace || $0 == "\"" })
        let terms = words.compactMap { word -> String? in
            let prefix = word.hasSuffix("*")
            let bare = prefix ? word.dropLast() : word[...]
            guard !bare.isEmpty else { return nil }
            let star = prefix ? "*" : ""
            let pieces = bare.split(whereSeparator: { !($0.isLetter || $0.isNumber) })
            guard pieces.count > 1 else { return "\"\(bare)\"" + star }
            return "(\"\(bare)\"\(star) OR \"\(pieces.joined())\"\(star))"
        }
        return terms.isEmpty ? nil : terms.joined(separator: " ")
    }
}
