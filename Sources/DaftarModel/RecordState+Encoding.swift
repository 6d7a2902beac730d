/// A compact binary form of a record's merged state, for a store to keep beside its change log.
/// It is derived data: the change log can always rebuild it.
extension RecordState {
    static let encodingVersion: UInt8 = 1

    public func encoded() -> [UInt8] {
        var w = CanonicalWriter()
        w.bytes.reserveCapacity(64 + fields.count * 48)
        w.byte(Self.encodingVersion)
        w.string(id.description)
        w.string(kind.rawValue)
        w.varint(UInt64(vector.entries.count))
        for entry in vector.entries {
            w.string(entry.node.rawValue)
            w.varint(entry.seq)
        }
        Self.write(deleted, to: &w)
        w.varint(UInt64(fields.count))
        for (name, register) in fields.sorted(by: { $0.key < $1.key }) {
            w.string(name.rawValue)
            Self.write(register, to: &w)
        }
        return w.bytes
    }

    private static func write(_ register: Register, to w: inout CanonicalWriter) {
        w.varint(UInt64(register.entries.count))
        for entry in register.entries {
            try? w.value(entry.value)  // values were checked when their change was
            w.varint(entry.stamp.hlc.rawValue)
            w.string(entry.stamp.origin.rawValue)
            w.varint(entry.seq)
        }
    }

    public init(encoded bytes: some Collection<UInt8>) throws(ValidationError) {
        var r = CanonicalReader(bytes: Array(bytes))
        guard try r.byte() == Self.encodingVersion else {
            throw ValidationError(.unsupportedFormat, "a record was stored by a newer Daftar: upgrade Daftar")
        }
        let id = try r.parse { s throws(ValidationError) in try RecordID(s) }
        let kind = try r.parse { s throws(ValidationError) in try Kind(s) }
        let vectorCount = try r.count(limit: Int.max)
        var pairs: [(NodeID, UInt64)] = []
        pairs.reserveCapacity(min(vectorCount, 1024))
        for _ in 0..<vectorCount {
            let node = try r.parse { s throws(ValidationError) in try NodeID(s) }
            pairs.append((node, try r.varint()))
        }
        let deleted = try Self.readRegister(&r)
        let fieldCount = try r.count(limit: Int.max)
        var fields: [FieldName: Register] = [:]
        fields.reserveCapacity(min(fieldCount, 1024))
        for _ in 0..<fieldCount {
            let name = try r.parse { s throws(ValidationError) in try FieldName(s) }
            fields[name] = try Self.readRegister(&r)
        }
        self.init(id: id, kind: kind, fields: fields, deleted: deleted, vector: VersionVector(pairs))
    }

    private static func readRegister(_ r: inout CanonicalReader) throws(ValidationError) -> Register {
        let count = try r.count(limit: Int.max)
        var entries: [FieldEntry] = []
        entries.reserveCapacity(min(count, 1024))
        for _ in 0..<count {
            let value = try r.value()
            let hlc = HLC(rawValue: try r.varint())
            let origin = try r.parse { s throws(ValidationError) in try NodeID(s) }
            entries.append(FieldEntry(value: value, stamp: Stamp(hlc: hlc, origin: origin), seq: try r.varint()))
        }
        return Register(entries: entries)
    }
}
