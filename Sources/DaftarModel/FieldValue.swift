/// The value of one field: text, integer, exact decimal, boolean, or null (null means unset).
///
/// Text is kept in Unicode NFC and is never reinterpreted, so an identity-card number such as
/// `03001234567` keeps its leading zero.
public enum FieldValue: Sendable, Hashable {
    case null
    case text(String)
    case integer(Int64)
    case decimal(ExactDecimal)
    case boolean(Bool)

    /// Text in its normal form, checked against the size limit.
    public static func text(normalizing raw: String) throws(ValidationError) -> FieldValue {
        let value = FieldValue.text(TextForm.normalized(raw))
        try value.validate()
        return value
    }

    /// Checks the limits of the change format.
    public func validate() throws(ValidationError) {
        if case .text(let s) = self {
            guard s.utf8.count <= Limits.textBytes else {
                throw ValidationError(
                    .valueTooLarge,
                    "a text value of \(s.utf8.count) bytes is over the limit of \(Limits.textBytes) bytes: shorten it or split it over several fields"
                )
            }
            guard !s.unicodeScalars.contains(where: { $0.value == 0 }) else {
                throw ValidationError(.invalidText, "a text value contains a NUL character: remove it")
            }
            guard TextForm.normalized(s).utf8.elementsEqual(s.utf8) else {
                throw ValidationError(.invalidText, "a text value is not in Unicode NFC: normalize text before making a change")
            }
        }
    }

    public var isNull: Bool { if case .null = self { true } else { false } }

    /// The name of the value's type, as shown to officers.
    public var typeName: String {
        switch self {
        case .null: "null"
        case .text: "text"
        case .integer: "integer"
        case .decimal: "decimal"
        case .boolean: "boolean"
        }
    }

    /// The value as an officer reads it: text as it is, numbers in normal form.
    public var displayText: String {
        switch self {
        case .null: ""
        case .text(let s): s
        case .integer(let n): String(n)
        case .decimal(let d): d.normalForm
        case .boolean(let b): b ? "true" : "false"
        }
    }

    /// Orders two values by type: numbers (integers and decimals) among themselves, text among
    /// itself, booleans among themselves. `nil` when the two are not comparable.
    public func compare(to other: FieldValue) -> Int? {
        switch (self, other) {
        case (.integer(let a), .integer(let b)): return a == b ? 0 : (a < b ? -1 : 1)
        case (.decimal(let a), .decimal(let b)): return a == b ? 0 : (a < b ? -1 : 1)
        case (.decimal(let a), .integer(let b)): return a.compare(toInteger: b)
        case (.integer(let a), .decimal(let b)): return -b.compare(toInteger: a)
        case (.text(let a), .text(let b)): return a == b ? 0 : (a < b ? -1 : 1)
        case (.boolean(let a), .boolean(let b)): return a == b ? 0 : (!a ? -1 : 1)
        case (.null, .null): return 0
        default: return nil
        }
    }
}

extension FieldValue: Codable {
    private enum DecimalKey: String, CodingKey { case decimal }


    /// JSON form: `null`, `true`/`false`, a whole number for an integer, a string for text, and
    /// `{"decimal": "12.5"}` for an exact decimal.
    public init(from decoder: any Decoder) throws {
        if let keyed = try? decoder.container(keyedBy: DecimalKey.self) {
            try KnownKeys.check(decoder, allowed: ["decimal"], in: "a decimal (written {\"decimal\": \"12.5\"})")
            let text = try keyed.decode(String.self, forKey: .decimal)
            do { self = .decimal(try ExactDecimal(text)) } catch {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message))
            }
            return
        }
        let single = try decoder.singleValueContainer()
        if single.decodeNil() {
            self = .null
        } else if let b = try? single.decode(Bool.self) {
            self = .boolean(b)
        } else if let n = try? single.decode(Int64.self) {
            self = .integer(n)
        } else if let s = try? single.decode(String.self) {
            self = .text(s)
        } else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "a field value must be null, a boolean, a whole number, a string or {\"decimal\": \"...\"}")
            )
        }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .decimal(let d):
            var keyed = encoder.container(keyedBy: DecimalKey.self)
            try keyed.encode(d.normalForm, forKey: .decimal)
        case .null:
            var single = encoder.singleValueContainer()
            try single.encodeNil()
        case .boolean(let b):
            var single = encoder.singleValueContainer()
            try single.encode(b)
        case .integer(let n):
            var single = encoder.singleValueContainer()
            try single.encode(n)
        case .text(let s):
            var single = encoder.singleValueContainer()
            try single.encode(s)
        }
    }
}

extension ExactDecimal: Codable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do { try self.init(text) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var single = encoder.singleValueContainer()
        try single.encode(normalForm)
    }
}
