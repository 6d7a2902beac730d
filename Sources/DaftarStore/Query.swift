public import DaftarModel

/// What to find: entries of a kind, meeting a condition on their fields, ordered and limited.
public struct Query: Sendable, Hashable {
    public indirect enum Condition: Sendable, Hashable {
        case compare(FieldName, Comparison, FieldValue)
        case and(Condition, Condition)
        case or(Condition, Condition)
    }

    /// How a field is compared with a value. Values compare by type: numbers (integers and
    /// decimals together), text, booleans; a value of another type never matches.
    public enum Comparison: String, Sendable, Hashable, CaseIterable {
        case equal = "="
        case notEqual = "!="
        case less = "<"
        case lessOrEqual = "<="
        case greater = ">"
        case greaterOrEqual = ">="
        /// Text containing the value, ignoring case and Arabic/Urdu letter forms.
        case contains
    }

    public struct Ordering: Sendable, Hashable {
        /// The field to order by; nil orders by the entry's id.
        public var field: FieldName?
        public var descending: Bool

        public init(field: FieldName?, descending: Bool = false) {
            self.field = field
            self.descending = descending
        }
    }

    public var kind: Kind?
    /// Entries of this scope alone (`find case in punjab`); nil: every scope held.
    public var scope: Scope?
    public var condition: Condition?
    public var ordering: [Ordering]
    public var limit: Int?
    /// How many matching entries to skip, in the query's order (a later page).
    public var offset: Int

    /// Deleted entries are never found (`history ID` and `show ID` still show them).
    public init(
        kind: Kind? = nil, in scope: Scope? = nil, where condition: Condition? = nil, orderBy ordering: [Ordering] = [], limit: Int? = nil, offset: Int = 0
    ) {
        self.kind = kind
        self.scope = scope
        self.condition = condition
        self.ordering = ordering
        self.limit = limit
        self.offset = offset
    }
}
