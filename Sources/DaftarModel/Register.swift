/// One value written by one change, with what decides among concurrent values.
public struct FieldEntry: Sendable, Hashable, Codable {
    public var value: FieldValue
    public var stamp: Stamp
    public var seq: UInt64

    /// The dot of the change that wrote the value.
    public var dot: Dot { Dot(origin: stamp.origin, seq: seq) }

    public init(value: FieldValue, stamp: Stamp, seq: UInt64) {
        self.value = value
        self.stamp = stamp
        self.seq = seq
    }
}

/// The values of one field (or of a record's deleted flag) that no other held write of that
/// field supersedes: a multi-value register with a last-writer-wins choice of what is shown.
public struct Register: Sendable, Hashable, Codable {
    /// Sorted by stamp, greatest first: the first is the value shown.
    public private(set) var entries: [FieldEntry]

    public init(entries: [FieldEntry] = []) {
        self.entries = entries.sorted { $0.stamp > $1.stamp }
    }

    /// The merge rule of a change that writes this field: drop the values its version vector
    /// supersedes, then add its own.
    public mutating func write(_ entry: FieldEntry, vector: VersionVector) {
        entries.removeAll { vector.covers($0.dot) }
        let at = entries.firstIndex { $0.stamp < entry.stamp } ?? entries.count
        entries.insert(entry, at: at)
    }

    /// The entry shown: the greatest stamp among the concurrent values.
    public var winner: FieldEntry? { entries.first }

    public var value: FieldValue { entries.first?.value ?? .null }

    /// The other concurrent values, kept and shown beside the winner.
    public var siblings: ArraySlice<FieldEntry> { entries.dropFirst() }

    /// Whether concurrent writes left different values; equal values are no conflict.
    public var inConflict: Bool {
        guard let first = entries.first else { return false }
        return entries.dropFirst().contains { $0.value != first.value }
    }
}

/// A record as the merge rule leaves it: every field's register, the deleted flag's register and
/// the record's version vector. It depends only on the set of changes applied.
public struct RecordState: Sendable, Hashable, Codable {
    public var id: RecordID
    public var kind: Kind
    public var fields: [FieldName: Register]
    public var deleted: Register
    public var vector: VersionVector

    public init(id: RecordID, kind: Kind, fields: [FieldName: Register] = [:], deleted: Register = Register(), vector: VersionVector = VersionVector()) {
        self.id = id
        self.kind = kind
        self.fields = fields
        self.deleted = deleted
        self.vector = vector
    }

    /// Applies a change of this record under promise 4. The caller guarantees causal delivery
    /// and applies each change once (a store's knowledge does both).
    public mutating func apply(_ change: Change) {
        let stamp = change.stamp
        for (name, value) in change.fields {
            fields[name, default: Register()].write(FieldEntry(value: value, stamp: stamp, seq: change.dot.seq), vector: change.vector)
        }
        deleted.write(FieldEntry(value: .boolean(change.deletes), stamp: stamp, seq: change.dot.seq), vector: change.vector)
        vector.merge(change.vector)
    }

    public var isDeleted: Bool { deleted.value == .boolean(true) }

    /// The fields in conflict, sorted by name; the deleted flag is reported as `isDeletedInConflict`.
    public var conflictingFields: [FieldName] { fields.filter { $0.value.inConflict }.map(\.key).sorted() }

    public var isDeletedInConflict: Bool { deleted.inConflict }

    public var inConflict: Bool { isDeletedInConflict || fields.values.contains { $0.inConflict } }

    /// The values shown, nulls left out.
    public var values: [FieldName: FieldValue] {
        fields.compactMapValues { $0.value.isNull ? nil : $0.value }
    }
}
