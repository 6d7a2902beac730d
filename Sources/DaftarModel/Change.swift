/// One local edit of one record, as every node stores and sends it.
public struct Change: Sendable, Hashable, Codable {
    /// What the officer did.
    public enum Operation: String, Sendable, Hashable, Codable, CaseIterable {
        case add, set, unset, delete, restore, resolve

        var code: UInt8 {
            switch self {
            case .add: 1
            case .set: 2
            case .unset: 3
            case .delete: 4
            case .restore: 5
            case .resolve: 6
            }
        }

        init?(code: UInt8) {
            guard let op = Operation.allCases.first(where: { $0.code == code }) else { return nil }
            self = op
        }
    }

    /// The change's identity: its origin and that origin's count of changes.
    public var dot: Dot
    /// The record it edits.
    public var record: RecordID
    public var kind: Kind
    public var operation: Operation
    /// The fields it writes; null unsets.
    public var fields: [FieldName: FieldValue]
    /// The record's version vector after the edit, at the origin; it covers `dot`.
    public var vector: VersionVector
    /// The origin's clock reading when it made the change.
    public var hlc: HLC
    /// The officer on duty who made it.
    public var officer: String
    /// The origin's wall time, in milliseconds since 1970 UTC.
    public var wallTime: Int64
    /// The scope of the record it edits, named by the record's creating change.
    public var scope: Scope
    /// The origin's previous change in the same scope (its chain), ``ChainLink/start`` for the
    /// chain's first.
    public var prev: ChainLink
    /// The change format it was made in: 2 (a header hashed over a digest of the content), or
    /// 1 for changes made before scopes (scope `general`, one chain per origin).
    public var format: UInt8
    /// The hash of this change: of its header (which holds a digest of its content) in format
    /// 2, of its whole canonical form in format 1.
    public var hash: ContentHash
    /// The origin's signature, on the change that ends a signed run of its chain (DESIGN
    /// promise 16); nil on the changes before it, which it vouches for through their hashes.
    /// Not part of the hash.
    public var signature: ChangeSignature? = nil

    /// The hash of the origin's previous change in this change's chain.
    public var previousHash: ContentHash { prev.hash }

    /// The change's place in the total order of stamps.
    public var stamp: Stamp { Stamp(hlc: hlc, origin: dot.origin) }

    /// Every change but a delete writes `deleted = false`; a delete writes `true`.
    public var deletes: Bool { operation == .delete }

    /// A new change, normalized, checked and hashed.
    public init(
        dot: Dot, record: RecordID, kind: Kind, operation: Operation, fields: [FieldName: FieldValue],
        vector: VersionVector, hlc: HLC, officer: String, wallTime: Int64, scope: Scope = .general, prev: ChainLink,
        format: UInt8 = Limits.formatVersion
    ) throws(ValidationError) {
        self = try Change.make(
            dot: dot, record: record, kind: kind, operation: operation, fields: fields, vector: vector, hlc: hlc, officer: officer,
            wallTime: wallTime, scope: scope, prev: prev, format: format
        ).change
    }

    /// A new change, normalized, checked and hashed, with its canonical encoding (hash
    /// included), computed once.
    public static func make(
        dot: Dot, record: RecordID, kind: Kind, operation: Operation, fields: [FieldName: FieldValue],
        vector: VersionVector, hlc: HLC, officer: String, wallTime: Int64, scope: Scope = .general, prev: ChainLink,
        format: UInt8 = Limits.formatVersion
    ) throws(ValidationError) -> (change: Change, encoded: [UInt8]) {
        var change = Change(
            unchecked: dot, record: record, kind: kind, operation: operation,
            fields: fields.mapValues { value in
                if case .text(let s) = value { return .text(TextForm.normalized(s)) }
                return value
            }, vector: vector, hlc: hlc, officer: TextForm.normalized(officer), wallTime: wallTime, scope: scope, prev: prev,
            format: format, hash: .zero)
        try change.validateShape()
        let (form, headerLength) = try change.canonicalForm()
        var encoded = form
        try change.checkSize(encoded.count)
        change.hash = ContentHash(unchecked: SHA256.hash(encoded[..<headerLength]))
        encoded.append(contentsOf: change.hash.bytes)
        return (change, encoded)
    }

    /// Builds a change from decoded parts without checking; call ``validate()`` before trusting it.
    public init(
        unchecked dot: Dot, record: RecordID, kind: Kind, operation: Operation, fields: [FieldName: FieldValue],
        vector: VersionVector, hlc: HLC, officer: String, wallTime: Int64, scope: Scope, prev: ChainLink, format: UInt8,
        hash: ContentHash
    ) {
        self.dot = dot
        self.record = record
        self.kind = kind
        self.operation = operation
        self.fields = fields
        self.vector = vector
        self.hlc = hlc
        self.officer = officer
        self.wallTime = wallTime
        self.scope = scope
        self.prev = prev
        self.format = format
        self.hash = hash
    }

    /// The hash the change's parts give, whatever hash it carries.
    public func computedHash() throws(ValidationError) -> ContentHash {
        let (bytes, hashed) = try canonicalForm()
        return ContentHash(unchecked: SHA256.hash(bytes[..<hashed]))
    }

    /// Every check a receiver makes of a change on its own: limits, shape, and its hash. The
    /// store that makes a change runs the same checks before it keeps it. Returns the change's
    /// canonical encoding, hash included.
    @discardableResult
    public func validate() throws(ValidationError) -> [UInt8] {
        try validateShape()
        let (form, headerLength) = try canonicalForm()
        var encoded = form
        try checkSize(encoded.count)
        let computed = ContentHash(unchecked: SHA256.hash(encoded[..<headerLength]))
        guard computed == hash else {
            throw ValidationError(.hashMismatch, "change \(dot) carries hash \(hash) but its content hashes to \(computed): it was altered or damaged on the way")
        }
        encoded.append(contentsOf: hash.bytes)
        return encoded
    }

    func checkSize(_ count: Int) throws(ValidationError) {
        guard count <= Limits.changeBytes else {
            throw ValidationError(.changeTooLarge, "change \(dot) is \(count) bytes, over the limit of \(Limits.changeBytes): write fewer or shorter fields at once")
        }
    }

    /// The checks of a change's parts and limits, before its encoding.
    func validateShape() throws(ValidationError) {
        func invalid(_ why: String) -> ValidationError {
            ValidationError(.invalidChange, "change \(dot) is not valid: \(why)")
        }
        guard dot.seq > 0 else { throw invalid("its seq must be 1 or more") }
        guard dot.seq <= UInt64(Int64.max) else { throw invalid("its seq (\(dot.seq)) is past the format's limit of \(Int64.max)") }
        guard format >= 1, format <= Limits.formatVersion else {
            throw ValidationError(.unsupportedFormat, "change \(dot) is in format \(format); this Daftar reads formats 1 to \(Limits.formatVersion)")
        }
        guard prev.seq < dot.seq else { throw invalid("its prev (\(prev.seq)) must be below its own seq") }
        guard (prev.seq == 0) == (prev.hash == .zero) else {
            throw invalid("its prev must be seq 0 with the zero hash (the chain's first change) or a seq of 1 or more with its hash")
        }
        if format == 1 {
            guard scope == .general, prev.seq == dot.seq - 1 else {
                throw invalid("a format-1 change is in scope general and follows its origin's previous change (seq \(dot.seq - 1))")
            }
        }
        guard vector[dot.origin] == dot.seq else {
            throw invalid("its version vector must hold its own dot (\(dot.origin): \(dot.seq)), not \(vector[dot.origin])")
        }
        guard hlc.milliseconds <= Limits.latestStampMilliseconds else {
            throw invalid("its clock reading (\(hlc.milliseconds) ms since 1970) is past the format's limit of \(Limits.latestStampMilliseconds) (the year 2200): the clock of \(dot.origin) is wrong")
        }
        guard wallTime >= 0, UInt64(wallTime) <= Limits.latestStampMilliseconds else {
            throw invalid("its wall time (\(wallTime) ms since 1970) is outside 1970 to 2200: the clock of \(dot.origin) is wrong")
        }
        guard vector.entries.count <= Limits.vectorEntries else {
            throw invalid("its version vector has \(vector.entries.count) entries, over the limit of \(Limits.vectorEntries)")
        }
        guard fields.count <= Limits.fieldsPerChange else {
            throw ValidationError(.tooManyFields, "change \(dot) writes \(fields.count) fields, over the limit of \(Limits.fieldsPerChange): split it into several edits")
        }
        switch operation {
        case .add:
            guard record.dot == dot else { throw invalid("an add must create the record named by its own dot (\(RecordID(dot)))") }
        case .delete, .restore:
            guard fields.isEmpty else { throw invalid("a \(operation.rawValue) writes no fields") }
        case .unset:
            guard !fields.isEmpty, fields.values.allSatisfy(\.isNull) else { throw invalid("an unset writes only nulls, at least one") }
        case .set, .resolve:
            guard !fields.isEmpty else { throw invalid("a \(operation.rawValue) writes at least one field") }
        }
        if operation != .add {
            guard record.dot != dot, vector.covers(record.dot) else {
                throw invalid("it edits \(record) but its version vector does not cover the change that created it")
            }
        }
        for value in fields.values { try value.validate() }
        let officerBytes = officer.utf8.count
        guard officerBytes > 0, officerBytes <= Limits.officerBytes,
            !officer.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }),
            TextForm.normalized(officer).utf8.elementsEqual(officer.utf8)
        else {
            throw ValidationError(.invalidOfficer, "the officer's name must be 1 to \(Limits.officerBytes) bytes of NFC text without control characters")
        }
    }
}
