/// A record's id, taken from the dot of the change that created it: `fia-lahore-1042`.
///
/// Unique without coordination, short to type, and it names the office that created the record.
/// The last `-` separates the node id from the sequence number, so node ids that contain `-` or
/// end in digits still read back unambiguously.
public struct RecordID: Sendable, Hashable, Comparable, CheckedString {
    /// The dot of the change that created the record.
    public let dot: Dot

    public init(_ dot: Dot) { self.dot = dot }

    public init(_ string: String) throws(ValidationError) {
        guard let dash = string.lastIndex(of: "-"),
            string[string.index(after: dash)...].allSatisfy({ $0.isASCII && $0.isNumber }),
            let seq = UInt64(string[string.index(after: dash)...]), seq > 0,
            string[string.index(after: dash)...].first != "0",
            let origin = try? NodeID(String(string[..<dash]))
        else {
            throw ValidationError(
                .invalidRecordID,
                "'\(string.prefix(80))' is not a record id: a record id is the creating office's node id, '-', and a number, for example fia-lahore-1042"
            )
        }
        dot = Dot(origin: origin, seq: seq)
    }

    public var description: String { "\(dot.origin.rawValue)-\(dot.seq)" }
    public static func < (a: RecordID, b: RecordID) -> Bool { a.dot < b.dot }
}
