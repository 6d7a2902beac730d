/// A compact binary form of a record's merged state, for a store to keep beside its change log.
/// It is derived data: the change log can always rebuild it.
extension RecordState {
    static let encodingVersion: UInt8 = 2

    /// Layout: version, id, kind, vector, then the writers (each distinct change whose values
    /// the record holds: HLC, origin index, seq; origins listed once), then the deleted flag's
    /// register and each field's register as (value, writer index) pairs. Most records were
    /// written by one or a few changes, so each value costs a byte or two beyond itself.
    public func encoded() -> [UInt8] {
        var origins: [NodeID] = []
        var originIndex: [NodeID: Int] = [:]
        var writers: [FieldEntry] = []
        var writerIndex: [Dot: Int] = [:]
        func writer(_ entry: FieldEntry) -> Int {
            if let i = writerIndex[entry.dot] { return i }
            if originIndex[entry.stamp.origin] == nil {
                originIndex[entry.stamp.origin] = origins.count
                origins.append(entry.stamp.origin)
            }
            writerIndex[entry.dot] = writers.count
            writers.append(entry)
            return writers.count - 1
        }
        let sortedFields = fields.sorted { $0.key < $1.key }
        var registers: [(String?, [(FieldValue, Int)])] = [(nil, deleted.entries.map { ($0.value, writer($0)) })]
        for (name, register) in sortedFields {
            registers.append((name.rawValue, register.entries.map { ($0.value, writer($0)) }))
        }
        var w = CanonicalWriter()
        w.bytes.reserveCapacity(64 + fields.count * 24)
        w.byte(Self.encodingVersion)
        w.string(id.description)
        w.string(kind.rawValue)
        w.varint(UInt64(vector.entries.count))
        for entry in vector.entries {
            w.string(entry.node.rawValue)
            w.varint(entry.seq)
        }
        w.varint(UInt64(origins.count))
        for origin in origins { w.string(origin.rawValue) }
        w.varint(UInt64(writers.count))
        for entry in writers {
            w.varint(entry.stamp.hlc.rawValue)
            w.varint(UInt64(originIndex[entry.stamp.origin]!))
            w.varint(entry.seq)
        }
        for (index, (name, entries)) in registers.enumerated() {
            if index == 1 { w.varint(UInt64(registers.count - 1)) }
            if let name { w.string(name) }
            w.varint(UInt64(entries.count))
            for (value, writer) in entries {
                try? w.value(value)  // values were checked when their change was
                w.varint(UInt64(writer))
            }
        }
        if registers.count == 1 { w.varint(0) }
        return w.bytes
    }

    public init(encoded bytes: some Collection<UInt8>) throws(ValidationError) {
        var r = CanonicalReader(bytes: Array(bytes))
        guard try r.byte() == Self.encodingVersion else {
            throw ValidationError(.unsupportedFormat, "a record was stored in an unknown form: upgrade Daftar, or rebuild the store from its change log")
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
        let originCount = try r.count(limit: Int.max)
        var origins: [NodeID] = []
        origins.reserveCapacity(min(originCount, 1024))
        for _ in 0..<originCount { origins.append(try r.parse { s throws(ValidationError) in try NodeID(s) }) }
        let writerCount = try r.count(limit: Int.max)
        var writers: [(HLC, NodeID, UInt64)] = []
        writers.reserveCapacity(min(writerCount, 1024))
        for _ in 0..<writerCount {
            let hlc = HLC(rawValue: try r.varint())
            let origin = try Self.pick(origins, try r.varint())
            writers.append((hlc, origin, try r.varint()))
        }
        func register(_ r: inout CanonicalReader) throws(ValidationError) -> Register {
            let count = try r.count(limit: Int.max)
            var entries: [FieldEntry] = []
            entries.reserveCapacity(min(count, 1024))
            for _ in 0..<count {
                let value = try r.value()
                let (hlc, origin, seq) = try Self.pick(writers, try r.varint())
                entries.append(FieldEntry(value: value, stamp: Stamp(hlc: hlc, origin: origin), seq: seq))
            }
            return Register(entries: entries)
        }
        let deleted = try register(&r)
        let fieldCount = try r.count(limit: Int.max)
        var fields: [FieldName: Register] = [:]
        fields.reserveCapacity(min(fieldCount, 1024))
        for _ in 0..<fieldCount {
            let name = try r.parse { s throws(ValidationError) in try FieldName(s) }
            fields[name] = try register(&r)
        }
        self.init(id: id, kind: kind, fields: fields, deleted: deleted, vector: VersionVector(pairs))
    }

    private static func pick<T>(_ list: [T], _ index: UInt64) throws(ValidationError) -> T {
        guard index < UInt64(list.count) else { throw ValidationError(.malformedEncoding, "a stored record refers to an entry it does not hold: rebuild it from the change log") }
        return list[Int(index)]
    }
}
