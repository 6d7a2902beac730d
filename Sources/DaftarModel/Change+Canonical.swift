/// The canonical binary form of a change. Its bytes (without the trailing hash) are what the
/// content hash covers; with the hash they are how a store keeps a change and a compact way to
/// send it. Fields are sorted by name, the vector by node, text is NFC, decimals in normal form.
///
/// Layout: format version (1 byte), origin, seq, record id, kind, operation (1 byte), field
/// count and fields (name, tag, payload), vector count and entries (node, seq), HLC (8 bytes,
/// big-endian), officer, wall time (zigzag varint), previous hash (32 bytes), then the hash (32
/// bytes). Strings are a varint length and UTF-8 bytes; numbers are LEB128 varints.
extension Change {
    public func canonicalEncoding(withHash: Bool = true) throws(ValidationError) -> [UInt8] {
        var w = CanonicalWriter()
        w.bytes.reserveCapacity(256)
        w.byte(Limits.formatVersion)
        w.string(dot.origin.rawValue)
        w.varint(dot.seq)
        w.string(record.description)
        w.string(kind.rawValue)
        w.byte(operation.code)
        w.varint(UInt64(fields.count))
        for (name, value) in fields.sorted(by: { $0.key < $1.key }) {
            w.string(name.rawValue)
            try w.value(value)
        }
        w.varint(UInt64(vector.entries.count))
        for entry in vector.entries {
            w.string(entry.node.rawValue)
            w.varint(entry.seq)
        }
        for shift in stride(from: 56, through: 0, by: -8) { w.byte(UInt8(truncatingIfNeeded: hlc.rawValue >> UInt64(shift))) }
        w.string(TextForm.normalized(officer))
        w.varint(UInt64(bitPattern: (wallTime << 1) ^ (wallTime >> 63)))
        w.bytes.append(contentsOf: previousHash.bytes)
        if withHash { w.bytes.append(contentsOf: hash.bytes) }
        return w.bytes
    }

    /// Reads a change from its canonical form (with the trailing hash). The result is not yet
    /// checked: call ``validate()``.
    public init(canonical bytes: some Collection<UInt8>) throws(ValidationError) {
        var r = CanonicalReader(bytes: Array(bytes))
        let format = try r.byte()
        guard format == Limits.formatVersion else {
            if format > Limits.formatVersion {
                throw ValidationError(.unsupportedFormat, "this change uses format version \(format) but this Daftar reads up to version \(Limits.formatVersion): upgrade Daftar")
            }
            throw ValidationError(.malformedEncoding, "unknown change format version \(format)")
        }
        let origin = try r.parse { s throws(ValidationError) in try NodeID(s) }
        let seq = try r.varint()
        let record = try r.parse { s throws(ValidationError) in try RecordID(s) }
        let kind = try r.parse { s throws(ValidationError) in try Kind(s) }
        guard let operation = Operation(code: try r.byte()) else {
            throw ValidationError(.malformedEncoding, "unknown operation code in a change")
        }
        let fieldCount = try r.count(limit: Limits.fieldsPerChange)
        var fields: [FieldName: FieldValue] = [:]
        fields.reserveCapacity(fieldCount)
        var previousName: FieldName?
        for _ in 0..<fieldCount {
            let name = try r.parse { s throws(ValidationError) in try FieldName(s) }
            guard previousName.map({ $0 < name }) ?? true else {
                throw ValidationError(.malformedEncoding, "fields of a change must be sorted by name, each once")
            }
            previousName = name
            fields[name] = try r.value()
        }
        let vectorCount = try r.count(limit: Limits.vectorEntries)
        var pairs: [(NodeID, UInt64)] = []
        var previousNode: NodeID?
        for _ in 0..<vectorCount {
            let node = try r.parse { s throws(ValidationError) in try NodeID(s) }
            guard previousNode.map({ $0 < node }) ?? true else {
                throw ValidationError(.malformedEncoding, "a version vector must be sorted by node, each once")
            }
            previousNode = node
            let s = try r.varint()
            guard s > 0 else { throw ValidationError(.malformedEncoding, "a version vector entry must be 1 or more") }
            pairs.append((node, s))
        }
        var raw: UInt64 = 0
        for _ in 0..<8 { raw = raw << 8 | UInt64(try r.byte()) }
        let officer = try r.string()
        let zigzag = try r.varint()
        let wallTime = Int64(bitPattern: zigzag >> 1) ^ -Int64(bitPattern: zigzag & 1)
        let previous = try ContentHash(bytes: Array(try r.take(32)))
        let hash = try ContentHash(bytes: Array(try r.take(32)))
        guard r.atEnd else { throw ValidationError(.malformedEncoding, "a change has bytes after its end") }
        self.init(
            unchecked: Dot(origin: origin, seq: seq), record: record, kind: kind, operation: operation, fields: fields,
            vector: VersionVector(pairs), hlc: HLC(rawValue: raw), officer: officer, wallTime: wallTime,
            previousHash: previous, hash: hash)
    }
}

struct CanonicalWriter {
    var bytes: [UInt8] = []

    mutating func byte(_ b: UInt8) { bytes.append(b) }

    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func string(_ s: String) {
        varint(UInt64(s.utf8.count))
        bytes.append(contentsOf: s.utf8)
    }

    mutating func value(_ value: FieldValue) throws(ValidationError) {
        switch value {
        case .null: byte(0)
        case .text(let s):
            byte(1)
            string(TextForm.normalized(s))
        case .integer(let n):
            byte(2)
            varint(UInt64(bitPattern: (n << 1) ^ (n >> 63)))
        case .decimal(let d):
            byte(3)
            string(d.normalForm)
        case .boolean(let b): byte(b ? 5 : 4)
        }
    }
}

struct CanonicalReader {
    let bytes: [UInt8]
    var offset = 0

    var atEnd: Bool { offset == bytes.count }

    static let truncated = ValidationError(.malformedEncoding, "a change's encoding ends too early: it was cut off")

    mutating func byte() throws(ValidationError) -> UInt8 {
        guard offset < bytes.count else { throw Self.truncated }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func varint() throws(ValidationError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try byte()
            guard shift < 64 else { throw ValidationError(.malformedEncoding, "a number in a change is too long") }
            result |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return result }
            shift += 7
        }
    }

    mutating func count(limit: Int) throws(ValidationError) -> Int {
        let n = try varint()
        guard n <= UInt64(limit) else { throw ValidationError(.malformedEncoding, "a change holds \(n) items where at most \(limit) are allowed") }
        return Int(n)
    }

    mutating func take(_ n: Int) throws(ValidationError) -> ArraySlice<UInt8> {
        guard n >= 0, bytes.count - offset >= n else { throw Self.truncated }
        defer { offset += n }
        return bytes[offset..<offset + n]
    }

    mutating func string() throws(ValidationError) -> String {
        let n = try count(limit: Limits.changeBytes)
        let slice = try take(n)
        guard let s = String(validating: slice, as: UTF8.self) else {
            throw ValidationError(.malformedEncoding, "a change holds text that is not valid UTF-8")
        }
        return s
    }

    mutating func parse<T>(_ make: (String) throws(ValidationError) -> T) throws(ValidationError) -> T {
        try make(try string())
    }

    mutating func value() throws(ValidationError) -> FieldValue {
        switch try byte() {
        case 0: return .null
        case 1: return .text(try string())
        case 2:
            let z = try varint()
            return .integer(Int64(bitPattern: z >> 1) ^ -Int64(bitPattern: z & 1))
        case 3: return .decimal(try ExactDecimal(try string()))
        case 4: return .boolean(false)
        case 5: return .boolean(true)
        default: throw ValidationError(.malformedEncoding, "unknown value type in a change")
        }
    }
}
