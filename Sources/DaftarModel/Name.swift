/// Rules shared by kinds and field names: ASCII identifiers, so that they are easy to type,
/// unambiguous in queries and safe wherever they are shown.
enum Identifier {
    static func isValid(_ string: String) -> Bool {
        let bytes = string.utf8
        guard !bytes.isEmpty, bytes.count <= Limits.nameLength else { return false }
        for (i, b) in bytes.enumerated() {
            let letter = (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || b == 0x5F
            let digit = b >= 0x30 && b <= 0x39
            guard letter || (digit && i > 0) else { return false }
        }
        return true
    }
}

/// The kind of a record: `incident`, `case`, `person`, `vehicle`, `seizure`, ...
public struct Kind: Sendable, Hashable, Comparable, CheckedString {
    public let rawValue: String

    public init(_ string: String) throws(ValidationError) {
        guard !string.isEmpty else {
            throw ValidationError(.invalidKind, "the kind is empty: name what the entry is, for example incident, person or vehicle")
        }
        guard Identifier.isValid(string) else {
            throw ValidationError(
                .invalidKind,
                "'\(string.prefix(80))' is not a kind: use up to \(Limits.nameLength) English letters (a-z, A-Z), digits and '_', starting with a letter or '_' (for example call_centre_raid; Urdu goes in values, not names)"
            )
        }
        rawValue = string
    }

    public var description: String { rawValue }
    public static func < (a: Kind, b: Kind) -> Bool { a.rawValue < b.rawValue }
}

/// The name of a field: an identifier such as `title`, `cnic` or `seized_at`.
public struct FieldName: Sendable, Hashable, Comparable, CheckedString, CodingKeyRepresentable {
    public let rawValue: String

    public init(_ string: String) throws(ValidationError) {
        guard Identifier.isValid(string) else {
            throw ValidationError(
                .invalidFieldName,
                "'\(string.prefix(80))' is not a field name: use up to \(Limits.nameLength) English letters (a-z, A-Z), digits and '_', starting with a letter or '_' (for example cnic or seized_at; Urdu goes in values, not names)"
            )
        }
        rawValue = string
    }

    public var description: String { rawValue }
    public static func < (a: FieldName, b: FieldName) -> Bool { a.rawValue < b.rawValue }

    public var codingKey: any CodingKey { Key(stringValue: rawValue) }
    public init?<T: CodingKey>(codingKey: T) { try? self.init(codingKey.stringValue) }

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
