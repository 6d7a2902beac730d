public import DaftarModel
public import DaftarStore

/// What an officer asked for, parsed from one line.
public enum Command: Sendable, Equatable {
    case add(Kind, [FieldName: FieldValue])
    /// `add KIND in SCOPE ...`: a new entry in a named scope.
    case addIn(Kind, Scope, [FieldName: FieldValue])
    /// The scopes this node holds and may write, with entries per scope.
    case scopes
    case set(String, [FieldName: FieldValue])
    case unset(String, [FieldName])
    case delete(String)
    case restore(String)
    /// `transfer ID to SCOPE`.
    case transfer(String, Scope)
    case show(String)
    case history(String)
    /// `vertical`: each entry as a block of `field  value` lines, for wide entries.
    case find(Query, vertical: Bool = false)
    case count(Query)
    /// `limit` nil: the session's page size, with a note of how many more there are.
    case search(String, limit: Int?)
    case conflicts
    case conflict(String)
    case resolve(String, [FieldName: FieldValue])
    case resolveKeep(String, side: String)
    case status
    /// `excel`: a UTF-8 byte-order mark first, so that Excel reads Urdu right.
    case export(Format, path: String, kind: Kind?, excel: Bool = false)
    /// `again`: import a file already imported into this store.
    case importFile(Format, path: String, kind: Kind?, again: Bool = false)
    case json(Bool)
    case check
    case merge(path: String)
    case sync(remote: String?)
    case remotes
    case forkDiscard(NodeID, from: UInt64)
    case forkKeep(NodeID)
    /// `fork show ORIGIN`: the forks of an origin this store keeps, with their proofs.
    case forkShow(NodeID)
    case forkFind(NodeID, remote: String)
    case undo
    case source(path: String)
    case refs(String)
    case view(vertical: Bool)
    case pager(Bool)
    case help(String?)
    case quit

    /// File formats for import and export.
    public enum Format: String, Sendable, Equatable {
        case csv, jsonl
    }
}
