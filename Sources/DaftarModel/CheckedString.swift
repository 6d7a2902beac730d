/// A value written as one checked string: a node id, a scope, a kind, a field name, a record id.
/// Its JSON form is that string, and reading it runs the same checks as making it, so a value
/// that breaks a rule is refused with the rule's own message.
public protocol CheckedString: Codable, CustomStringConvertible {
    init(_ string: String) throws(ValidationError)
}

extension CheckedString {
    public init(from decoder: any Decoder) throws {
        let string = try decoder.singleValueContainer().decode(String.self)
        do { try self.init(string) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
