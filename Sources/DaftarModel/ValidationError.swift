/// A value that breaks one of Daftar's rules: a malformed id, an oversized value, a change that
/// does not hold together. The message says what was wrong and what to do instead.
public struct ValidationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of rule was broken; stable, for callers that react to it.
    public enum Code: String, Sendable, Hashable, Codable {
        case invalidNodeID = "invalid_node_id"
        case invalidScope = "invalid_scope"
        case invalidRecordID = "invalid_record_id"
        case invalidKind = "invalid_kind"
        case invalidFieldName = "invalid_field_name"
        case invalidDecimal = "invalid_decimal"
        case invalidText = "invalid_text"
        case valueTooLarge = "value_too_large"
        case tooManyFields = "too_many_fields"
        case invalidOfficer = "invalid_officer"
        case invalidChange = "invalid_change"
        case changeTooLarge = "change_too_large"
        case hashMismatch = "hash_mismatch"
        case unsupportedFormat = "unsupported_format"
        case malformedEncoding = "malformed_encoding"
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
