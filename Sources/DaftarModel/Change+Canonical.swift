/// The canonical binary form of a change. Its bytes (without the trailing hash) are what the
/// hash is computed from; with the hash they are how a store keeps a change and a compact way to
/// send it. Fields are sorted by name, the vector by node, text is NFC, decimals in normal form.
/// Strings are a varint length and UTF-8 bytes; numbers are LEB128 varints.
///
/// Format 2 is a header, then the content. The header: format version (1 byte, 2), origin, seq,
/// scope, kind, prev seq, prev hash (32 bytes), HLC (8 bytes, big-endian), officer, wall time
/// (zigzag varint), and the SHA-256 digest of the content (32 bytes). The content: record id,
/// operation (1 byte), field count and fields (name, tag, payload), vector count and entries
/// (node, seq). The hash is SHA-256 of the header alone, so a header proves a change without
/// showing its content.
///
/// Format 1 (changes made before scopes): format version (1 byte, 1), origin, seq, record id,
/// kind, operation, fields, vector, HLC, officer, wall time, previous hash (32 bytes); the hash
/// is SHA-256 of all of it.
extension Change {
    /// The canonical form with its trailing hash.
    public func canonicalEncoding(withHash: Bool = true) throws(ValidationError) -> [UInt8] {
        var (bytes, _) = try canonicalForm()
        if withHash { bytes.append(contentsOf: hash.bytes) }
        return bytes
    }

    /// The canonical form without the hash, and how many of its first bytes the hash covers.
    func canonicalForm() throws(ValidationError) -> (bytes: [UInt8], hashed: Int) {
        var w = CanonicalWriter()
        w.bytes.reserveCapacity(320)
        guard format >= 2 else {
            w.byte(1)
            w.string(dot.origin.rawValue)
            w.varint(dot.seq)
            try writeContent(&w, kind: true)
            writeStamps(&w)
            w.bytes.append(contentsOf: prev.hash.bytes)
            return (w.bytes, w.bytes.count)
        }
        var content = CanonicalWriter()
        content.bytes.reserveCapacity(256)
        try writeContent(&content, kind: false)
        w.byte(format)
        w.string(dot.origin.rawValue)
        w.varint(dot.seq)
        w.string(scope.rawValue)
        w.string(kind.rawValue)
        w.varint(prev.seq)
        w.bytes.append(contentsOf: prev.hash.bytes)
        writeStamps(&w)
        w.bytes.append(contentsOf: SHA256.hash(content.bytes))
        let header = w.bytes.count
        w.bytes.append(contentsOf: content.bytes)
        return (w.bytes, header)
    }

    /// Record id, (format 1: kind,) operation, fields and vector.
    private func writeContent(_ w: inout CanonicalWriter, kind writesKind: Bool) throws(ValidationError) {
        w.string(record.description)
        if writesKind { w.string(kind.rawValue) }
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
    }

    /// HLC, officer and wall time.
    private func writeStamps(_ w: inout CanonicalWriter) {
        for shift in stride(from: 56, through: 0, by: -8) { w.byte(UInt8(truncatingIfNeeded: hlc.rawValue >> UInt64(shift))) }
        w.string(TextForm.normalized(officer))
        w.varint(UInt64(bitPattern: (wallTime << 1) ^ (wallTime >> 63)))
    }

    /// Reads a change from its canonical form (with the trailing hash), in format 2 or 1. The
    /// result is not yet checked: call ``validate()``.
    public init(canonical bytes: some Collection<UInt8>) throws(ValidationError) {
        var r = CanonicalReader(bytes: Array(bytes))
        let format = try r.byte()
        guard format == 1 || format == 2 else {
            if format > Limits.formatVersion {
                throw ValidationError(.unsupportedFormat, "this change uses format version \(format) but this Daftar reads up to version \(Limits.formatVersion): upgrade Daftar")
            }
            throw ValidationError(.malformedEncoding, "unknown change format version \(format)")
        }
        let origin = try r.parse { s throws(ValidationError) in try NodeID(s) }
        let seq = try r.varint()
        if format == 1 {
            let record = try r.parse { s throws(ValidationError) in try RecordID(s) }
            let kind = try r.parse { s throws(ValidationError) in try Kind(s) }
            let (operation, fields, vector) = try Self.readContent(&r)
            let (hlc, officer, wallTime) = try Self.readStamps(&r)
            let previous = try ContentHash(bytes: Array(try r.take(32)))
            let hash = try ContentHash(bytes: Array(try r.take(32)))
            guard r.atEnd else { throw ValidationError(.malformedEncoding, "a change has bytes after its end") }
            self.init(
                unchecked: Dot(origin: origin, seq: seq), record: record, kind: kind, operation: operation, fields: fields,
                vector: vector, hlc: hlc, officer: officer, wallTime: wallTime, scope: .general,
                prev: ChainLink(seq: seq &- 1, hash: previous), format: 1, hash: hash)
            return
        }
        let scope = try r.parse { s throws(ValidationError) in try Scope(s) }
        let kind = try r.parse { s throws(ValidationError) in try Kind(s) }
        let prevSeq = try r.varint()
        let prevHash = try ContentHash(bytes: Array(try r.take(32)))
        let (hlc, officer, wallTime) = try Self.readStamps(&r)
        let digest = Array(try r.take(32))
        let contentStart = r.offset
        let record = try r.parse { s throws(ValidationError) in try RecordID(s) }
        let (operation, fields, vector) = try Self.readContent(&r)
        guard r.bytes.count - r.offset >= 32 else { throw CanonicalReader.truncated }
        guard SHA256.hash(r.bytes[contentStart..<r.offset]) == digest else {
            throw ValidationError(.hashMismatch, "change \(origin):\(seq)'s content does not match the digest in its header: it was altered or damaged on the way")
        }
        let hash = try ContentHash(bytes: Array(try r.take(32)))
        guard r.atEnd else { throw ValidationError(.malformedEncoding, "a change has bytes after its end") }
        self.init(
            unchecked: Dot(origin: origin, seq: seq), record: record, kind: kind, operation: operation, fields: fields,
            vector: vector, hlc: hlc, officer: officer, wallTime: wallTime, scope: scope,
            prev: ChainLink(seq: prevSeq, hash: prevHash), format: format, hash: hash)
    }

    /// Operation, fields and vector.
    private static func readContent(_ r: inout CanonicalReader) throws(ValidationError) -> (Operation, [FieldName: FieldValue], VersionVector) {
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
        return (operation, fields, VersionVector(pairs))
    }

    /// HLC, officer and wall time.
    fileprivate static func readStamps(_ r: inout CanonicalReader) throws(ValidationError) -> (HLC, String, Int64) {
        var raw: UInt64 = 0
        for _ in 0..<8 { raw = raw << 8 | UInt64(try r.byte()) }
        let officer = try r.string()
        let zigzag = try r.varint()
        return (HLC(rawValue: raw), officer, Int64(bitPattern: zigzag >> 1) ^ -Int64(bitPattern: zigzag & 1))
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

    /// An unsigned LEB128 varint in its shortest form (the canonical form admits no other, so
    /// that the bytes received are the bytes hashed).
    mutating func varint() throws(ValidationError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try byte()
            guard shift < 64, shift < 63 || b <= 1 else { throw ValidationError(.malformedEncoding, "a number in a change is too long") }
            result |= UInt64(b & 0x7F) << shift
            if b < 0x80 {
                guard b != 0 || shift == 0 else { throw ValidationError(.malformedEncoding, "a number in a change is not in its shortest form") }
                return result
            }
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
        case 3:
            let text = try string()
            let decimal = try ExactDecimal(text)
            guard decimal.normalForm == text else {
                throw ValidationError(.malformedEncoding, "a decimal in a change is not in its normal form ('\(text.prefix(60))')")
            }
            return .decimal(decimal)
        case 4: return .boolean(false)
        case 5: return .boolean(true)
        default: throw ValidationError(.malformedEncoding, "unknown value type in a change")
        }
    }
}

/// The header of a format-2 change: the bytes its hash is computed from (DESIGN promise 16).
/// It proves a change (dot, scope, `prev`, stamps, officer, and a digest of the content) without
/// showing its content; fork proofs are made of headers.
public struct ChangeHeader: Sendable, Hashable, CustomStringConvertible {
    public let bytes: [UInt8]
    public let dot: Dot
    public let scope: Scope
    public let kind: Kind
    public let prev: ChainLink
    public let officer: String
    public let wallTime: Int64
    /// SHA-256 of ``bytes``: the change's hash.
    public let hash: ContentHash

    /// Reads a header; anything but a whole format-2 header is refused.
    public init(bytes: [UInt8]) throws(ValidationError) {
        var r = CanonicalReader(bytes: bytes)
        guard try r.byte() == 2 else {
            throw ValidationError(.malformedEncoding, "a change header is of format 2 (a format-1 change has no header apart from its content)")
        }
        let origin = try r.parse { s throws(ValidationError) in try NodeID(s) }
        let seq = try r.varint()
        guard seq >= 1, seq <= UInt64(Int64.max) else { throw ValidationError(.malformedEncoding, "a change header's seq is between 1 and \(Int64.max)") }
        let scope = try r.parse { s throws(ValidationError) in try Scope(s) }
        let kind = try r.parse { s throws(ValidationError) in try Kind(s) }
        let prevSeq = try r.varint()
        let prevHash = try ContentHash(bytes: Array(try r.take(32)))
        guard prevSeq < seq, (prevSeq == 0) == (prevHash == .zero) else {
            throw ValidationError(.malformedEncoding, "change header \(origin):\(seq) names prev \(prevSeq), which is not a change before it")
        }
        let (_, officer, wallTime) = try Change.readStamps(&r)
        _ = try r.take(32)
        guard r.atEnd else { throw ValidationError(.malformedEncoding, "a change header has bytes after its end") }
        self.bytes = bytes
        self.dot = Dot(origin: origin, seq: seq)
        self.scope = scope
        self.kind = kind
        self.prev = ChainLink(seq: prevSeq, hash: prevHash)
        self.officer = officer
        self.wallTime = wallTime
        self.hash = ContentHash(unchecked: SHA256.hash(bytes))
    }

    public var chain: Chain { Chain(dot.origin, scope) }

    public var description: String { "\(dot) in \(scope) after \(prev.seq), hash \(hash)" }
}

extension Change {
    /// Its header, for a change of format 2; nil for format 1.
    public func header() throws(ValidationError) -> ChangeHeader? {
        guard format >= 2 else { return nil }
        let (bytes, hashed) = try canonicalForm()
        return try ChangeHeader(bytes: Array(bytes[0..<hashed]))
    }
}
