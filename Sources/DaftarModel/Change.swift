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
    /// The hash of the origin's previous change, ``ContentHash/zero`` for its first.
    public var previousHash: ContentHash
    /// The hash of this change's canonical form.
    public var hash: ContentHash

    /// The change's place in the total order of stamps.
    public var stamp: Stamp { Stamp(hlc: hlc, origin: dot.origin) }

    /// Every change but a delete writes `deleted = false`; a delete writes `true`.
    public var deletes: Bool { operation == .delete }

    /// A new change, normalized, checked and hashed.
    public init(
        dot: Dot, record: RecordID, kind: Kind, operation: Operation, fields: [FieldName: FieldValue],
        vector: VersionVector, hlc: HLC, officer: String, wallTime: Int64, previousHash: ContentHash
    ) throws(ValidationError) {
        self = try Change.make(
            dot: dot, record: record, kind: kind, operation: operation, fields: fields, vector: vector, hlc: hlc, officer: officer,
            wallTime: wallTime, previousHash: previousHash
        ).change
    }

    /// A new change, normalized, checked and hashed, with its canonical encoding (hash
    /// included), computed once.
    public static func make(
        dot: Dot, record: RecordID, kind: Kind, operation: Operation, fields: [FieldName: FieldValue],
        vector: VersionVector, hlc: HLC, officer: String, wallTime: Int64, previousHash: ContentHash
    ) throws(ValidationError) -> (change: Change, encoded: [UInt8]) {
        var change = Change(
            unchecked: dot, record: record, kind: kind, operation: operation,
            fields: fields.mapValues { value in
                if case .text(let s) = value { return .text(TextForm.normalized(s)) }
                return value
            }, vector: vector, hlc: hlc, officer: TextForm.normalized(officer), wallTime: wallTime, previousHash: previousHash, hash: .zero)
        try change.validateShape()
        var encoded = try change.canonicalEncoding(withHash: false)
        try change.checkSize(encoded.count)
        change.hash = ContentHash(unchecked: SHA256.hash(encoded))
        encoded.append(contentsOf: change.hash.bytes)
        return (change, encoded)
    }

    /// Builds a change from decoded parts without checking; call ``validate()`` before trusting it.
    public init(
        unchecked dot: Dot, record: RecordID, kind: Kind, operation: Operation, fields: [FieldName: FieldValue],
        vector: VersionVector, hlc: HLC, officer: String, wallTime: Int64, previousHash: ContentHash, hash: ContentHash
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
        self.previousHash = previousHash
        self.hash = hash
    }

    /// Every check a receiver makes of a change on its own: limits, shape, and its hash. The
    /// store that makes a change runs the same checks before it keeps it. Returns the change's
    /// canonical encoding, hash included.
    @discardableResult
    public func validate() throws(ValidationError) -> [UInt8] {
        try validateShape()
        var encoded = try canonicalEncoding(withHash: false)
        try checkSize(encoded.count)
        let computed = ContentHash(unchecked: SHA256.hash(encoded))
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
