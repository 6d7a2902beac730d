/// The limits of the change format (the same in versions 1 and 2). A receiver applies exactly these, and so does the
/// store that makes a change, so a change one store accepted is never refused by another.
public enum Limits {
    /// The change format this build writes and the newest it reads.
    public static let formatVersion: UInt8 = 2
    /// Longest node id, in characters.
    public static let nodeIDLength = 63
    /// Longest kind or field name, in characters.
    public static let nameLength = 64
    /// Largest text value, in UTF-8 bytes after normalization.
    public static let textBytes = 8192
    /// Most digits in an exact decimal.
    public static let decimalDigits = 40
    /// Most fields one change may write.
    public static let fieldsPerChange = 64
    /// Most entries in a change's version vector.
    public static let vectorEntries = 512
    /// Longest officer name, in UTF-8 bytes.
    public static let officerBytes = 128
    /// Largest change in its canonical encoding, in bytes. Its worst-case JSON form (every
    /// byte escaped as `\u00XX`, six bytes each) still fits in ``batchBytes``.
    public static let changeBytes = 128 * 1024
    /// Largest batch of changes, in bytes of canonical encoding.
    public static let batchBytes = 4 * 1024 * 1024
    /// Most changes of one chain after its last signature: the origin signs again before a
    /// run of its unsigned changes could grow past this (DESIGN promise 16), so that a signed
    /// run always fits in one batch.
    public static let signedRunChanges = 256
    /// Most bytes (canonical encoding) of one chain's changes after its last signature, less
    /// one change: a signed run is at most this plus ``changeBytes``, well within ``batchBytes``.
    public static let signedRunBytes = 1024 * 1024
    /// The latest time a change may be stamped with, in milliseconds since 1970 UTC: the start
    /// of the year 2200. A change whose HLC or wall time lies beyond it (or whose wall time is
    /// before 1970) is invalid everywhere, so a clock set absurdly far ahead cannot win every
    /// conflict for ever; stamps within it but ahead of a receiver's clock are still applied
    /// and reported.
    public static let latestStampMilliseconds: UInt64 = 7_258_118_400_000
}
