/// Refuses JSON objects with keys a type does not know, so that a misspelt or foreign field is
/// an error rather than silently dropped (which, inside a change, would change its hash).
public enum KnownKeys {
    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Throws when the object `decoder` holds has a key not in `allowed`.
    public static func check(_ decoder: any Decoder, allowed: [String], in what: String = "this object") throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        for key in container.allKeys where !allowed.contains(key.stringValue) {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: decoder.codingPath + [key],
                    debugDescription: "unknown field '\(key.stringValue.prefix(64))' in \(what); allowed: \(allowed.joined(separator: ", "))"))
        }
    }
}
