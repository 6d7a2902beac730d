public import DaftarModel

/// Why the store refused or failed an operation. The message says what happened and what to do.
public struct StoreError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable, Codable {
        /// No store at the path.
        case noStore = "no_store"
        /// A store already exists at the path.
        case storeExists = "store_exists"
        /// The file is not a Daftar store (another SQLite database, or not SQLite at all).
        case notAStore = "not_a_store"
        /// The store was written by a newer Daftar.
        case newerSchema = "newer_schema"
        /// Another process holds the store's write lock.
        case locked
        /// The store or its folder cannot be written.
        case readOnly = "read_only"
        /// The disk is full.
        case diskFull = "disk_full"
        /// The file is damaged.
        case corrupt
        /// Reading or writing the file failed.
        case io
        /// No record has that id, or no record id starts with that prefix.
        case unknownRecord = "unknown_record"
        /// A prefix that more than one record id starts with.
        case ambiguousPrefix = "ambiguous_prefix"
        /// The record is deleted; restore it first.
        case recordDeleted = "record_deleted"
        /// The record is not deleted.
        case recordNotDeleted = "record_not_deleted"
        /// A value, name or change that breaks the format's rules.
        case invalid
        /// A request that does not hold together (for example an empty edit).
        case badRequest = "bad_request"
        /// The store's own data contradicts itself; it needs an operator.
        case inconsistent
        /// An officer's name and passphrase did not sign in (or the officer may not do that).
        case signInFailed = "sign_in_failed"
    }

    public var code: Code
    public var message: String
    /// For ``Code/ambiguousPrefix``: the candidates.
    public var candidates: [RecordID]
    /// For ``Code/invalid``: the rule that was broken.
    public var validation: ValidationError?

    public init(_ code: Code, _ message: String, candidates: [RecordID] = [], validation: ValidationError? = nil) {
        self.code = code
        self.message = message
        self.candidates = candidates
        self.validation = validation
    }

    public init(_ error: ValidationError) {
        self.init(.invalid, error.message, validation: error)
    }

    public var description: String { message }
}
