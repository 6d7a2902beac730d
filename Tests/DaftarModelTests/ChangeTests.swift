import Foundation
import PropertyBased
import Testing

@testable import DaftarModel

// MARK: Fixtures

/// The format-1 canonical form of `goldenAdd(format: 1)`, written out by hand from the
/// documented layout: changes made before scopes keep it, and their hashes.
private let goldenBytes: [UInt8] =
    [
        0x01,  // format version
        0x0a, 0x66, 0x69, 0x61, 0x2d, 0x6c, 0x61, 0x68, 0x6f, 0x72, 0x65,  // origin "fia-lahore"
        0x01,  // seq 1
        0x0c, 0x66, 0x69, 0x61, 0x2d, 0x6c, 0x61, 0x68, 0x6f, 0x72, 0x65, 0x2d, 0x31,  // record "fia-lahore-1"
        0x08, 0x69, 0x6e, 0x63, 0x69, 0x64, 0x65, 0x6e, 0x74,  // kind "incident"
        0x01,  // operation add
        0x02,  // 2 fields, sorted by name
        0x05, 0x63, 0x6f, 0x75, 0x6e, 0x74, 0x02, 0x06,  // count = integer 3 (zigzag 6)
        0x05, 0x74, 0x69, 0x74, 0x6c, 0x65, 0x01, 0x04, 0x52, 0x61, 0x69, 0x64,  // title = text "Raid"
        0x01, 0x0a, 0x66, 0x69, 0x61, 0x2d, 0x6c, 0x61, 0x68, 0x6f, 0x72, 0x65, 0x01,  // vector [fia-lahore:1]
        0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x00, 0x00, 0x02,  // HLC 1700000000000.2, big-endian
        0x09, 0x49, 0x6e, 0x73, 0x70, 0x2e, 0x20, 0x41, 0x6c, 0x69,  // officer "Insp. Ali"
        0x80, 0xa0, 0xab, 0xfe, 0xf9, 0x62,  // wall time 1700000000000 (zigzag varint)
    ] + [UInt8](repeating: 0, count: 32)  // previous hash: zero

/// SHA-256 of `goldenBytes`, computed outside Swift (Python hashlib).
private let goldenHash = "9f42c61401c509336276af84270be3ca3f7ddb369959b056ee7ecd56022dde34"

/// The format-2 content of `goldenAdd()`: record, operation, fields, vector.
private let goldenContent: [UInt8] = [
    0x0c, 0x66, 0x69, 0x61, 0x2d, 0x6c, 0x61, 0x68, 0x6f, 0x72, 0x65, 0x2d, 0x31,  // record "fia-lahore-1"
    0x01,  // operation add
    0x02,  // 2 fields, sorted by name
    0x05, 0x63, 0x6f, 0x75, 0x6e, 0x74, 0x02, 0x06,  // count = integer 3 (zigzag 6)
    0x05, 0x74, 0x69, 0x74, 0x6c, 0x65, 0x01, 0x04, 0x52, 0x61, 0x69, 0x64,  // title = text "Raid"
    0x01, 0x0a, 0x66, 0x69, 0x61, 0x2d, 0x6c, 0x61, 0x68, 0x6f, 0x72, 0x65, 0x01,  // vector [fia-lahore:1]
]

/// The format-2 header of `goldenAdd()`, ending with the content's SHA-256 digest.
private let goldenHeader: [UInt8] =
    [
        0x02,  // format version
        0x0a, 0x66, 0x69, 0x61, 0x2d, 0x6c, 0x61, 0x68, 0x6f, 0x72, 0x65,  // origin "fia-lahore"
        0x01,  // seq 1
        0x06, 0x70, 0x75, 0x6e, 0x6a, 0x61, 0x62,  // scope "punjab"
        0x08, 0x69, 0x6e, 0x63, 0x69, 0x64, 0x65, 0x6e, 0x74,  // kind "incident"
        0x00,  // prev seq 0: the chain's first
    ] + [UInt8](repeating: 0, count: 32)  // prev hash: zero
    + [
        0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x00, 0x00, 0x02,  // HLC 1700000000000.2, big-endian
        0x09, 0x49, 0x6e, 0x73, 0x70, 0x2e, 0x20, 0x41, 0x6c, 0x69,  // officer "Insp. Ali"
        0x80, 0xa0, 0xab, 0xfe, 0xf9, 0x62,  // wall time 1700000000000 (zigzag varint)
    ] + (try! ContentHash(hex: "e34fb2f99cc210367858cb1d019a35aa755201cdbb24959a494e4f1718271ddc")).bytes  // SHA-256 of the content

/// SHA-256 of `goldenHeader`, computed outside Swift (Python hashlib).
private let goldenHash2 = "d773e68e1ad8fa2e7dea2ff0c0439f0d4b1b3ada0f96ef0e86ddeed74a114bc6"

private let t0: UInt64 = 1_700_000_000_000

private func goldenAdd(format: UInt8 = 2) throws -> Change {
    let dot = Dot(origin: node("fia-lahore"), seq: 1)
    return try Change(
        dot: dot, record: RecordID(dot), kind: kind("incident"), operation: .add,
        fields: [field("title"): .text("Raid"), field("count"): .integer(3)],
        vector: VersionVector(dot), hlc: HLC(milliseconds: t0, counter: 2), officer: "Insp. Ali",
        wallTime: Int64(t0), scope: format == 1 ? .general : try Scope("punjab"), prev: .start, format: format)
}

/// A `set` at fia-lahore:5 of a record central created, with a bit of everything.
private func sampleSet(
    fields: [FieldName: FieldValue]? = nil, officer: String = "SI Ayesha Khan", vector: VersionVector? = nil,
    operation: Change.Operation = .set, record: String = "central-3", seq: UInt64 = 5
) throws -> Change {
    try Change(
        dot: Dot(origin: node("fia-lahore"), seq: seq), record: RecordID(record), kind: kind("person"), operation: operation,
        fields: fields ?? [
            field("name"): .text("محمد علی"), field("cnic"): .text("03001234567"), field("age"): .integer(-41),
            field("fine"): .decimal(dec("1250.75")), field("armed"): .boolean(false), field("alias"): .null,
        ],
        vector: vector ?? vv([("central", 3), ("fia-lahore", seq), ("punjab-hub", 2)]),
        hlc: HLC(milliseconds: t0 + 77, counter: 9), officer: officer, wallTime: Int64(t0) + 80,
        scope: try Scope("punjab"),
        prev: ChainLink(seq: 2, hash: try ContentHash(hex: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")))
}

/// The hash of a change as it stands now (not the hash it carries).
private func contentHash(_ c: Change) throws -> ContentHash {
    let (bytes, hashed) = try c.canonicalForm()
    return try ContentHash(bytes: SHA256.hash(bytes[..<hashed]))
}

// MARK: Random valid changes

private let textPool = [
    "", "Raid", "03001234567", "0042", "محمد علی", "کراچی", "e\u{301}te\u{301}", "Ali KHAN", "line\nbreak", "🚓 call-centre",
    "ہے", "ع\u{650}لی", "\"quoted\" \\ slash",
]
private let officerPool = ["Insp. Ali", "SI Ayesha Khan", "ASI نادیہ", "Cafe\u{301} officer", "x"]
private let nodePool = ["fia-lahore", "central", "punjab-hub", "cyber-1", "a"]
private let namePool = ["title", "cnic", "age", "fine", "armed", "alias", "seized_at", "_note", "Z"]

private func randomValue(_ rng: inout SplitMix64) -> FieldValue {
    switch rng.next() % 6 {
    case 0: return .null
    case 1, 2: return .text(textPool[Int(rng.next() % UInt64(textPool.count))])
    case 3: return .integer(Int64(bitPattern: rng.next()) >> (rng.next() % 64))
    case 4:
        let n = Int64(bitPattern: rng.next()) >> 20
        return .decimal(dec("\(n).\(rng.next() % 1000)"))
    default: return .boolean(rng.next() % 2 == 0)
    }
}

private func randomChange(seed: UInt64) throws -> Change {
    var rng = SplitMix64(seed: seed)
    let origin = node(nodePool[Int(rng.next() % UInt64(nodePool.count))])
    let seq = 1 + rng.next() % 100_000
    let dot = Dot(origin: origin, seq: seq)
    let op = Change.Operation.allCases[Int(rng.next() % UInt64(Change.Operation.allCases.count))]
    var vector = VersionVector(dot)
    for name in nodePool where rng.next() % 2 == 0 && node(name) != origin { vector[node(name)] = 1 + rng.next() % 50 }
    var record = RecordID(dot)
    if op != .add {
        let creator = node(nodePool[Int(rng.next() % UInt64(nodePool.count))])
        let creatorSeq = creator == origin ? max(1, seq - 1) : 1 + rng.next() % 50
        if creator == origin && seq == 1 {
            vector[node("central")] = max(vector[node("central")], 1)
            record = RecordID(Dot(origin: node("central"), seq: 1))
        } else {
            vector[creator] = max(vector[creator], creatorSeq)
            record = RecordID(Dot(origin: creator, seq: creatorSeq))
        }
    }
    var fields: [FieldName: FieldValue] = [:]
    let fieldCount: UInt64
    switch op {
    case .add: fieldCount = rng.next() % 6
    case .delete, .restore: fieldCount = 0
    case .set, .unset, .resolve: fieldCount = 1 + rng.next() % 5
    }
    for _ in 0..<fieldCount {
        let name = field(namePool[Int(rng.next() % UInt64(namePool.count))])
        fields[name] = op == .unset ? .null : randomValue(&rng)
    }
    return try Change(
        dot: dot, record: record, kind: kind(["incident", "person", "call_centre_raid"][Int(rng.next() % 3)]), operation: op,
        fields: fields, vector: vector, hlc: HLC(rawValue: rng.next()),
        officer: officerPool[Int(rng.next() % UInt64(officerPool.count))],
        wallTime: Int64(bitPattern: rng.next()) >> (rng.next() % 64),
        scope: try Scope(["general", "punjab", "ct-wing", "a"][Int(rng.next() % 4)]),
        prev: ChainLink(seq: seq - 1 - rng.next() % seq, hash: .zero).linked(rng.next()))
}

extension ChainLink {
    /// The same seq with a made-up hash, or the zero hash at seq 0.
    fileprivate func linked(_ salt: UInt64) -> ChainLink {
        seq == 0 ? .start : ChainLink(seq: seq, hash: try! ContentHash(bytes: SHA256.hash(withUnsafeBytes(of: salt) { Array($0) })))
    }
}

// MARK: Tests

@Suite struct ChangeEncodingTests {
    @Test func canonicalFormMatchesTheDocumentedLayout() throws {
        let c = try goldenAdd()
        #expect(try c.canonicalEncoding(withHash: false) == goldenHeader + goldenContent)
        #expect(c.hash.hex == goldenHash2)
        #expect(try c.canonicalEncoding() == goldenHeader + goldenContent + c.hash.bytes)
        let decoded = try Change(canonical: goldenHeader + goldenContent + c.hash.bytes)
        #expect(decoded == c)
        try decoded.validate()
    }

    /// A change made before scopes keeps its format-1 form and hash, read as scope general
    /// following its origin's previous change.
    @Test func formatOneChangesStayReadable() throws {
        let c = try goldenAdd(format: 1)
        #expect(try c.canonicalEncoding(withHash: false) == goldenBytes)
        #expect(c.hash.hex == goldenHash)
        #expect(try c.canonicalEncoding() == goldenBytes + c.hash.bytes)
        let decoded = try Change(canonical: goldenBytes + c.hash.bytes)
        #expect(decoded == c && decoded.scope == .general && decoded.prev == .start && decoded.format == 1)
        try decoded.validate()
        #expect(try c.canonicalEncoding().count == goldenBytes.count + 32)
    }

    @Test func roundTripThroughCanonicalForm() throws {
        for c in [try goldenAdd(), try sampleSet()] {
            let decoded = try Change(canonical: try c.canonicalEncoding())
            #expect(decoded == c)
            #expect(throws: Never.self) { try decoded.validate() }
            #expect(try decoded.canonicalEncoding() == c.canonicalEncoding())
        }
    }

    @Test func roundTripOfRandomChanges() async {
        await propertyCheck(count: 200, input: Gen.uint64()) { seed in
            let c = try randomChange(seed: seed)
            let bytes = try c.canonicalEncoding()
            let decoded = try Change(canonical: bytes)
            #expect(decoded == c)
            try decoded.validate()
            #expect(try decoded.canonicalEncoding() == bytes)
            // JSON carries the same change.
            let json = try JSONDecoder().decode(Change.self, from: JSONEncoder().encode(c))
            #expect(json == c)
            try json.validate()
        }
    }

    @Test func extremeNumbersRoundTrip() throws {
        let latest = Limits.latestStampMilliseconds
        for (n, wall) in [(Int64.min, Int64(latest)), (Int64.max, Int64(latest)), (0, 0), (-1, 1), (1, 1)] {
            let c = try sampleSet(fields: [field("n"): .integer(n)])
            var changed = c
            changed.wallTime = wall
            changed.hlc = HLC(milliseconds: UInt64(wall), counter: wall == 0 ? 0 : .max)
            changed.hash = try contentHash(changed)
            try changed.validate()
            #expect(try Change(canonical: changed.canonicalEncoding()) == changed)
        }
    }

    /// A clock set absurdly far ahead cannot stamp a change that wins every conflict for ever:
    /// stamps and wall times past the year 2200 (or wall times before 1970) are invalid.
    @Test func stampsPastTheFormatsLimitAreInvalid() throws {
        let latest = Limits.latestStampMilliseconds
        #expect(latest == 7_258_118_400_000)  // 2200-01-01T00:00:00Z
        let c = try sampleSet()
        for (hlc, wall) in [(HLC(rawValue: .max), Int64(latest)), (HLC(milliseconds: latest + 1), Int64(latest)), (c.hlc, Int64(latest) + 1), (c.hlc, -1)] {
            var changed = c
            changed.hlc = hlc
            changed.wallTime = wall
            changed.hash = try contentHash(changed)
            let error = expectValidationError(.invalidChange) { try changed.validate() }
            #expect(error?.message.contains(hlc == c.hlc ? "wall time" : "2200") == true, "\(error?.message ?? "")")
        }
    }

    @Test func leadingZeroTextAndDecimalsSurvive() throws {
        let c = try sampleSet(fields: [field("cnic"): .text("03001234567"), field("amount"): .decimal(dec("0012.500"))])
        let decoded = try Change(canonical: try c.canonicalEncoding())
        #expect(decoded.fields[field("cnic")] == .text("03001234567"))
        #expect(decoded.fields[field("amount")] == .decimal(dec("12.5")))
    }

    @Test func everyTruncationIsRefused() throws {
        let bytes = try sampleSet().canonicalEncoding()
        for n in 0..<bytes.count {
            let error = expectValidationError(.malformedEncoding) { _ = try Change(canonical: bytes.prefix(n)) }
            if let error, n > 0 { #expect(error.message.contains("cut off"), "at \(n): \(error.message)") }
        }
    }

    @Test func trailingBytesAreRefused() throws {
        let bytes = try goldenAdd().canonicalEncoding()
        expectValidationError(.malformedEncoding, containing: "after its end") { _ = try Change(canonical: bytes + [0]) }
    }

    @Test func newerFormatVersionSaysUpgrade() throws {
        var bytes = try goldenAdd(format: 1).canonicalEncoding()
        for version: UInt8 in [3, 9, 255] {
            bytes[0] = version
            let error = expectValidationError(.unsupportedFormat, containing: "upgrade") { _ = try Change(canonical: bytes) }
            #expect(error?.message.contains("format version \(version)") == true)
        }
    }

    @Test func unknownOlderFormatVersionIsMalformed() throws {
        var bytes = try goldenAdd(format: 1).canonicalEncoding()
        bytes[0] = 0
        expectValidationError(.malformedEncoding) { _ = try Change(canonical: bytes) }
    }

    @Test func unknownOperationOrValueTagIsMalformed() throws {
        let bytes = try goldenAdd(format: 1).canonicalEncoding()
        #expect(bytes[35] == 1 && bytes[43] == 2)  // operation and the first field's tag
        var badOp = bytes
        badOp[35] = 7
        expectValidationError(.malformedEncoding, containing: "operation") { _ = try Change(canonical: badOp) }
        var badTag = bytes
        badTag[43] = 6
        expectValidationError(.malformedEncoding, containing: "value type") { _ = try Change(canonical: badTag) }
    }

    @Test func unsortedOrRepeatedFieldsAreMalformed() throws {
        let bytes = try goldenAdd(format: 1).canonicalEncoding()
        let head = Array(bytes[..<37])
        let count = Array(bytes[37..<45])
        let title = Array(bytes[45..<57])
        let tail = Array(bytes[57...])
        #expect(head + count + title + tail == bytes)
        expectValidationError(.malformedEncoding, containing: "sorted") { _ = try Change(canonical: head + title + count + tail) }
        var twice = head + count + count + tail
        twice[36] = 2
        expectValidationError(.malformedEncoding, containing: "sorted") { _ = try Change(canonical: twice) }
    }

    @Test func fieldCountOverLimitIsMalformed() throws {
        var bytes = try goldenAdd(format: 1).canonicalEncoding()
        bytes[36] = 65
        expectValidationError(.malformedEncoding, containing: "at most 64") { _ = try Change(canonical: bytes) }
    }

    @Test func decodedChangeWithAlteredContentFailsItsHash() throws {
        var bytes = try goldenAdd(format: 1).canonicalEncoding()
        // "Raid" -> "Rain": still well formed, but not what was hashed.
        let at = 56  // the 'd' of "Raid" (see goldenBytes)
        #expect(bytes[at] == 0x64)
        bytes[at] = 0x6e
        let decoded = try Change(canonical: bytes)
        #expect(decoded.fields[field("title")] == .text("Rain"))
        expectValidationError(.hashMismatch, containing: "altered or damaged") { try decoded.validate() }
    }

    /// In format 2 the header carries the content's digest: content altered on the way is
    /// refused as it is read, a header altered on the way by its hash.
    @Test func formatTwoAlteredContentOrHeaderIsRefused() throws {
        let c = try goldenAdd()
        let bytes = try c.canonicalEncoding()
        var content = bytes
        let at = goldenHeader.count + 34  // the 'd' of "Raid" (see goldenContent)
        #expect(content[at] == 0x64)
        content[at] = 0x6e
        expectValidationError(.hashMismatch, containing: "digest") { _ = try Change(canonical: content) }
        var header = bytes
        #expect(header[71] == 0x49)  // the 'I' of "Insp. Ali"
        header[71] = 0x4a
        let decoded = try Change(canonical: header)
        #expect(decoded.officer == "Jnsp. Ali")
        expectValidationError(.hashMismatch, containing: "altered or damaged") { try decoded.validate() }
    }

    /// The canonical form admits one spelling of each change: a number not in its shortest
    /// varint, a varint past 64 bits, or a decimal not in its normal form cannot be read.
    @Test func nonCanonicalSpellingsAreRefused() throws {
        let bytes = try goldenAdd().canonicalEncoding()
        #expect(bytes[12] == 0x01)  // seq 1
        let longSeq = Array(bytes[..<12]) + [0x81, 0x00] + Array(bytes[13...])
        expectValidationError(.malformedEncoding, containing: "shortest") { _ = try Change(canonical: longSeq) }
        let overflow = Array(bytes[..<12]) + [UInt8](repeating: 0xff, count: 9) + [0x02] + Array(bytes[13...])
        expectValidationError(.malformedEncoding, containing: "too long") { _ = try Change(canonical: overflow) }
        let c = try sampleSet(fields: [field("amount"): .decimal(dec("12.5"))])
        let encoded = try c.canonicalEncoding()
        let written: [UInt8] = [0x03, 0x04] + Array("12.5".utf8)
        let at = try #require((0...(encoded.count - written.count)).first { Array(encoded[$0..<$0 + written.count]) == written })
        let padded = Array(encoded[..<at]) + [0x03, 0x05] + Array("12.50".utf8) + Array(encoded[(at + written.count)...])
        expectValidationError(.malformedEncoding, containing: "normal form") { _ = try Change(canonical: padded) }
    }

    @Test func formatOneChangeOutsideGeneralOrWithAGapIsInvalid() throws {
        var c = try goldenAdd(format: 1)
        c.scope = try Scope("punjab")
        expectValidationError(.invalidChange, containing: "format-1") { try c.validate() }
        var gap = try sampleSet()
        gap.format = 1
        gap.scope = .general
        expectValidationError(.invalidChange, containing: "format-1") { try gap.validate() }
    }

    @Test func prevMustLieBelowTheChangeAndCarryAHash() throws {
        for prev in [ChainLink(seq: 5, hash: try ContentHash(bytes: SHA256.hash([1]))), ChainLink(seq: 3, hash: .zero), ChainLink(seq: 0, hash: try ContentHash(bytes: SHA256.hash([1])))] {
            let error = expectValidationError(.invalidChange) { _ = try Change(
                dot: Dot(origin: node("fia-lahore"), seq: 5), record: RecordID("central-3"), kind: kind("person"), operation: .set,
                fields: [field("a"): .integer(1)], vector: vv([("central", 3), ("fia-lahore", 5)]), hlc: HLC(rawValue: 1), officer: "o",
                wallTime: 0, prev: prev) }
            #expect(error?.message.contains("prev") == true)
        }
    }

    @Test func invalidIdsInsideTheEncodingAreRefused() throws {
        var bytes = try goldenAdd(format: 1).canonicalEncoding()
        bytes[2] = 0x46  // "Fia-lahore"
        #expect(throws: ValidationError.self) { _ = try Change(canonical: bytes) }
    }
}

@Suite struct ChangeHashTests {
    @Test func hashIsStable() throws {
        #expect(try goldenAdd().hash == goldenAdd().hash)
        #expect(try sampleSet().hash == sampleSet().hash)
        #expect(try contentHash(sampleSet()) == sampleSet().hash)
    }

    @Test func hashIgnoresFieldInsertionOrder() throws {
        var a: [FieldName: FieldValue] = [:]
        var b: [FieldName: FieldValue] = [:]
        let names = namePool.map(field)
        for (i, n) in names.enumerated() { a[n] = .integer(Int64(i)) }
        for (i, n) in names.enumerated().reversed() { b[n] = .integer(Int64(i)) }
        #expect(try sampleSet(fields: a).hash == sampleSet(fields: b).hash)
    }

    @Test func hashUsesNFCAndDecimalNormalForm() throws {
        let nfc = try sampleSet(fields: [field("name"): .text("Caf\u{E9}"), field("fine"): .decimal(dec("12.5"))], officer: "Jos\u{E9}")
        let nfd = try sampleSet(fields: [field("name"): .text("Cafe\u{301}"), field("fine"): .decimal(dec("012.50"))], officer: "Jose\u{301}")
        #expect(nfc.hash == nfd.hash)
        // Compared as bytes: Swift's String == is canonical equivalence and would hide NFD.
        guard case .text(let name)? = nfd.fields[field("name")] else { Issue.record("name is not text"); return }
        #expect(Array(name.utf8) == Array("Caf\u{E9}".utf8))
        #expect(Array(nfd.officer.utf8) == Array("Jos\u{E9}".utf8))
        #expect(nfc == nfd)
    }

    @Test func tamperedHashIsRefused() throws {
        var c = try sampleSet()
        var bytes = c.hash.bytes
        bytes[31] ^= 1
        c.hash = try ContentHash(bytes: bytes)
        expectValidationError(.hashMismatch) { try c.validate() }
        c.hash = .zero
        expectValidationError(.hashMismatch) { try c.validate() }
    }

    /// Every part of a change is covered by its hash: altering any one of them, keeping the change
    /// otherwise valid, changes the content hash, and the carried hash no longer matches.
    @Test(arguments: [
        "origin", "seq", "record", "kind", "operation", "field value", "field type int to decimal", "field type decimal to text",
        "field type bool to null", "field name", "field added", "field removed", "vector entry", "vector extra node", "hlc",
        "hlc counter", "officer", "wall time", "wall time high bit", "previous hash", "prev seq", "scope", "text case", "text leading zero",
    ])
    func hashIsSensitiveTo(part: String) throws {
        let original = try sampleSet()
        var c = original
        switch part {
        case "origin":
            c.dot.origin = node("fia-karachi")
            c.vector[node("fia-lahore")] = 0
            c.vector[node("fia-karachi")] = c.dot.seq
        case "seq":
            c.dot.seq += 1
            c.vector[c.dot.origin] = c.dot.seq
        case "record":
            c.record = try RecordID("central-2")
        case "kind": c.kind = kind("suspect")
        case "operation": c.operation = .resolve
        case "field value": c.fields[field("name")] = .text("محمد علي")
        case "field type int to decimal": c.fields[field("age")] = .decimal(dec("-41"))
        case "field type decimal to text": c.fields[field("fine")] = .text("1250.75")
        case "field type bool to null": c.fields[field("armed")] = .null
        case "field name":
            c.fields[field("cnic")] = nil
            c.fields[field("cnic2")] = .text("03001234567")
        case "field added": c.fields[field("extra")] = .boolean(true)
        case "field removed": c.fields[field("alias")] = nil
        case "vector entry": c.vector[node("punjab-hub")] = 3
        case "vector extra node": c.vector[node("cyber-1")] = 1
        case "hlc": c.hlc = HLC(milliseconds: c.hlc.milliseconds + 1, counter: c.hlc.counter)
        case "hlc counter": c.hlc = HLC(milliseconds: c.hlc.milliseconds, counter: c.hlc.counter + 1)
        case "officer": c.officer = "SI Ayesha Khan."
        case "wall time": c.wallTime += 1
        case "wall time high bit": c.wallTime ^= 1 << 40
        case "previous hash": c.prev.hash = try ContentHash(bytes: SHA256.hash([1]))
        case "prev seq": c.prev.seq = 1
        case "scope": c.scope = try Scope("sindh")
        case "text case": c.fields[field("cnic")] = .text("03001234567 ".trimmingCharacters(in: .whitespaces) + "a")
        case "text leading zero": c.fields[field("cnic")] = .text("3001234567")
        default: Issue.record("unknown part \(part)")
        }
        #expect(c != original)
        #expect(try contentHash(c) != original.hash, "altering \(part) must change the hash")
        expectValidationError(.hashMismatch) { try c.validate() }
        // Re-hashed, the altered change is valid again: the only thing wrong was the hash.
        c.hash = try contentHash(c)
        #expect(throws: Never.self) { try c.validate() }
    }

    @Test func differentRandomChangesHashDifferently() async {
        await propertyCheck(count: 100, input: Gen.uint64(), Gen.uint64()) { s1, s2 in
            let a = try randomChange(seed: s1)
            let b = try randomChange(seed: s2)
            #expect((a.hash == b.hash) == (try a.canonicalEncoding(withHash: false) == b.canonicalEncoding(withHash: false)))
        }
    }
}

@Suite struct ChangeValidationTests {
    @Test func validChangesPass() throws {
        #expect(throws: Never.self) { try goldenAdd().validate() }
        #expect(throws: Never.self) { try sampleSet().validate() }
        for op in [Change.Operation.delete, .restore] {
            #expect(throws: Never.self) { _ = try sampleSet(fields: [:], operation: op) }
        }
        #expect(throws: Never.self) { _ = try sampleSet(fields: [field("alias"): .null], operation: .unset) }
        #expect(throws: Never.self) { _ = try sampleSet(fields: [field("alias"): .text("x")], operation: .resolve) }
    }

    @Test func derivedProperties() throws {
        let c = try sampleSet()
        #expect(c.stamp == Stamp(hlc: c.hlc, origin: node("fia-lahore")))
        #expect(!c.deletes)
        #expect(try sampleSet(fields: [:], operation: .delete).deletes)
    }

    @Test func ownDotMustBeInTheVector() {
        let error = expectValidationError(.invalidChange, containing: "must hold its own dot") {
            _ = try sampleSet(vector: vv([("central", 3), ("fia-lahore", 4)]))
        }
        #expect(error?.message.contains("fia-lahore:5") == true)
        expectValidationError(.invalidChange, containing: "must hold its own dot") {
            _ = try sampleSet(vector: vv([("central", 3), ("fia-lahore", 6)]))
        }
        expectValidationError(.invalidChange, containing: "must hold its own dot") { _ = try sampleSet(vector: vv([("central", 3)])) }
    }

    @Test func seqZeroIsRefused() {
        expectValidationError(.invalidChange, containing: "seq must be 1 or more") {
            let dot = Dot(origin: node("a"), seq: 0)
            _ = try Change(
                dot: dot, record: RecordID(Dot(origin: node("a"), seq: 1)), kind: kind("x"), operation: .add, fields: [:],
                vector: VersionVector(), hlc: HLC(rawValue: 1), officer: "o", wallTime: 0, prev: .start)
        }
    }

    @Test func addMustCreateTheRecordNamedByItsDot() {
        expectValidationError(.invalidChange, containing: "an add must create the record named by its own dot (fia-lahore-5)") {
            _ = try sampleSet(operation: .add)  // record central-3
        }
        expectValidationError(.invalidChange, containing: "an add must create") {
            _ = try sampleSet(operation: .add, record: "fia-lahore-4")
        }
    }

    @Test func editMustCoverTheCreatingChange() {
        expectValidationError(.invalidChange, containing: "does not cover the change that created it") {
            _ = try sampleSet(record: "central-4")
        }
        expectValidationError(.invalidChange, containing: "does not cover the change that created it") {
            _ = try sampleSet(record: "cyber-1-1")
        }
        // A non-add cannot name a record after its own dot.
        expectValidationError(.invalidChange, containing: "does not cover") { _ = try sampleSet(record: "fia-lahore-5") }
        // Its own earlier change is fine.
        #expect(throws: Never.self) { _ = try sampleSet(record: "fia-lahore-2") }
    }

    @Test func operationShapes() {
        expectValidationError(.invalidChange, containing: "a delete writes no fields") { _ = try sampleSet(operation: .delete) }
        expectValidationError(.invalidChange, containing: "a restore writes no fields") { _ = try sampleSet(operation: .restore) }
        expectValidationError(.invalidChange, containing: "a set writes at least one field") { _ = try sampleSet(fields: [:]) }
        expectValidationError(.invalidChange, containing: "a resolve writes at least one field") {
            _ = try sampleSet(fields: [:], operation: .resolve)
        }
        expectValidationError(.invalidChange, containing: "an unset writes only nulls") { _ = try sampleSet(operation: .unset) }
        expectValidationError(.invalidChange, containing: "an unset writes only nulls") { _ = try sampleSet(fields: [:], operation: .unset) }
    }

    @Test func oversizedTextIsRefused() {
        #expect(throws: Never.self) { _ = try sampleSet(fields: [field("notes"): .text(String(repeating: "x", count: 8192))]) }
        expectValidationError(.valueTooLarge, containing: "over the limit of 8192 bytes") {
            _ = try sampleSet(fields: [field("notes"): .text(String(repeating: "x", count: 8193))])
        }
        expectValidationError(.valueTooLarge) {
            _ = try sampleSet(fields: [field("notes"): .text(String(repeating: "ی", count: 4097))])
        }
    }

    @Test func textWithNULIsRefused() {
        expectValidationError(.invalidText) { _ = try sampleSet(fields: [field("notes"): .text("a\u{0}")]) }
    }

    @Test func tooManyFieldsIsRefused() {
        let sixtyFour = Dictionary(uniqueKeysWithValues: (0..<64).map { (field("f\($0)"), FieldValue.integer(Int64($0))) })
        #expect(throws: Never.self) { _ = try sampleSet(fields: sixtyFour) }
        var sixtyFive = sixtyFour
        sixtyFive[field("f64")] = .integer(64)
        expectValidationError(.tooManyFields, containing: "writes 65 fields, over the limit of 64") { _ = try sampleSet(fields: sixtyFive) }
    }

    @Test func tooManyVectorEntriesIsRefused() {
        var vector = vv([("central", 3), ("fia-lahore", 5)])
        for i in 0..<510 { vector[node("n\(i)")] = 1 }
        #expect(vector.entries.count == 512)
        #expect(throws: Never.self) { _ = try sampleSet(vector: vector) }
        vector[node("n510")] = 1
        expectValidationError(.invalidChange, containing: "over the limit of 512") { _ = try sampleSet(vector: vector) }
    }

    @Test func oversizedChangeIsRefused() {
        let big = String(repeating: "x", count: 8192)
        let fifteen = Dictionary(uniqueKeysWithValues: (0..<15).map { (field("f\($0)"), FieldValue.text(big)) })
        #expect(throws: Never.self) { _ = try sampleSet(fields: fifteen) }
        let sixteen = Dictionary(uniqueKeysWithValues: (0..<16).map { (field("f\($0)"), FieldValue.text(big)) })
        expectValidationError(.changeTooLarge, containing: "over the limit of 131072") { _ = try sampleSet(fields: sixteen) }
    }

    @Test(arguments: ["", "Ali\nKhan", "Ali\u{7}", "\u{0}", String(repeating: "a", count: 129), String(repeating: "ع", count: 65)])
    func badOfficerIsRefused(officer: String) {
        expectValidationError(.invalidOfficer, containing: "1 to 128 bytes of NFC text") { _ = try sampleSet(officer: officer) }
    }

    @Test func officerLimits() throws {
        #expect(throws: Never.self) { _ = try sampleSet(officer: String(repeating: "a", count: 128)) }
        #expect(throws: Never.self) { _ = try sampleSet(officer: String(repeating: "ع", count: 64)) }
        // A decoded change whose officer is not NFC is refused (the maker would have normalized it).
        var c = try sampleSet(officer: "Jos\u{E9}")
        c.officer = "Jose\u{301}"
        expectValidationError(.invalidOfficer) { try c.validate() }
    }

    /// A receiver must not keep text that is not NFC: the hash is taken over the NFC form, so a
    /// change carrying NFD text hashes like its NFC twin, and only the NFC check can refuse it.
    @Test func receivedChangeWithNFDTextIsRefused() throws {
        var c = try sampleSet(fields: [field("name"): .text("Caf\u{E9}")])
        c.fields[field("name")] = .text("Cafe\u{301}")  // as a JSON body could carry it
        #expect(try contentHash(c) == c.hash)  // same hash: the canonical form normalizes
        expectValidationError(.invalidText, containing: "NFC") { try c.validate() }
    }

    @Test func limitsFitInABatch() {
        #expect(Limits.formatVersion == 2)
        #expect(Limits.changeBytes * 6 <= Limits.batchBytes)
        #expect(Limits.fieldsPerChange * Limits.textBytes > Limits.changeBytes)  // so the change limit matters
    }
}

@Suite struct KnowledgeTests {
    @Test func chainsAndDependencies() {
        let punjab = try! Scope("punjab")
        let k = Knowledge([
            Chain(node("a"), .general): .init(seq: 3, hash: .zero), Chain(node("b"), .general): .init(seq: 1, hash: .zero),
            Chain(node("a"), punjab): .init(seq: 7, hash: .zero),
        ])
        #expect(k[Chain(node("a"), .general)] == 3)
        #expect(k[Chain(node("a"), punjab)] == 7)
        #expect(k[Chain(node("z"), .general)] == 0)
        #expect(k[Chain(node("b"), punjab)] == 0)
        #expect(k.highestSeq(of: node("a")) == 7)
        #expect(k.highestSeq(of: node("z")) == 0)
        #expect(k.scopes == [.general, punjab])
        #expect(k.restricted(to: [punjab]).entries.keys.map(\.origin) == [node("a")])
        // A vector's dots are of its record's scope: held when that scope's chain is held as far.
        let origin = node("a")
        #expect(k.missingDependency(of: vv([("a", 4), ("b", 1)]), in: .general, except: origin) == nil)
        #expect(k.missingDependency(of: vv([("a", 4), ("b", 3)]), in: .general, except: origin) == Dot(origin: node("b"), seq: 3))
        #expect(k.missingDependency(of: vv([("a", 4), ("c", 1)]), in: .general, except: origin) == Dot(origin: node("c"), seq: 1))
        #expect(k.missingDependency(of: vv([("c", 4), ("b", 1)]), in: punjab, except: node("c")) == Dot(origin: node("b"), seq: 1))
    }

    @Test func jsonRoundTrip() throws {
        let k = Knowledge([
            Chain(node("fia-lahore"), .general): .init(seq: 3, hash: try ContentHash(bytes: SHA256.hash([1]))),
            Chain(node("fia-lahore"), try Scope("punjab")): .init(seq: 5, hash: try ContentHash(bytes: SHA256.hash([2]))),
        ])
        let data = try JSONEncoder().encode(k)
        #expect(try JSONDecoder().decode(Knowledge.self, from: data) == k)
        // Per scope, then per origin.
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: [String: [String: Any]]])
        #expect(object["punjab"]?["fia-lahore"]?["seq"] as? Int == 5)
        #expect(object["general"]?["fia-lahore"]?["seq"] as? Int == 3)
        let hash = String(repeating: "00", count: 32)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(Knowledge.self, from: Data(#"{"general": {"BAD": {"seq": 1, "hash": "\#(hash)"}}}"#.utf8))
        }
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(Knowledge.self, from: Data(#"{"Bad Scope": {"fia-lahore": {"seq": 1, "hash": "\#(hash)"}}}"#.utf8))
        }
        // The per-origin form of protocol version 1 is not read as knowledge.
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(Knowledge.self, from: Data(#"{"fia-lahore": {"seq": 1, "hash": "\#(hash)"}}"#.utf8))
        }
    }
}
