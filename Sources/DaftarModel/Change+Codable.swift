/// The JSON form of a change, as the sync protocol carries it. Unknown fields are refused, so a
/// misspelt field is an error rather than silently dropped (which would change the hash).
extension Change {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case format, dot, scope, record, kind, operation, fields, vector, hlc, officer, wallTime, prev, hash, signature
    }

    public init(from decoder: any Decoder) throws {
        try KnownKeys.check(decoder, allowed: CodingKeys.allCases.map(\.rawValue), in: "a change")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            unchecked: try c.decode(Dot.self, forKey: .dot), record: try c.decode(RecordID.self, forKey: .record),
            kind: try c.decode(Kind.self, forKey: .kind), operation: try c.decode(Operation.self, forKey: .operation),
            fields: try c.decode([FieldName: FieldValue].self, forKey: .fields), vector: try c.decode(VersionVector.self, forKey: .vector),
            hlc: try c.decode(HLC.self, forKey: .hlc), officer: try c.decode(String.self, forKey: .officer),
            wallTime: try c.decode(Int64.self, forKey: .wallTime), scope: try c.decode(Scope.self, forKey: .scope),
            prev: try c.decode(ChainLink.self, forKey: .prev), format: try c.decode(UInt8.self, forKey: .format),
            hash: try c.decode(ContentHash.self, forKey: .hash))
        signature = try c.decodeIfPresent(ChangeSignature.self, forKey: .signature)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(format, forKey: .format)
        try c.encode(dot, forKey: .dot)
        try c.encode(scope, forKey: .scope)
        try c.encode(record, forKey: .record)
        try c.encode(kind, forKey: .kind)
        try c.encode(operation, forKey: .operation)
        try c.encode(fields, forKey: .fields)
        try c.encode(vector, forKey: .vector)
        try c.encode(hlc, forKey: .hlc)
        try c.encode(officer, forKey: .officer)
        try c.encode(wallTime, forKey: .wallTime)
        try c.encode(prev, forKey: .prev)
        try c.encode(hash, forKey: .hash)
        try c.encodeIfPresent(signature, forKey: .signature)
    }
}
