public import DaftarModel
public import DaftarStore

/// What an officer asked for, parsed from one line.
public enum Command: Sendable, Equatable {
    case add(Kind, [FieldName: FieldValue])
    case set(String, [FieldName: FieldValue])
    case unset(String, [FieldName])
    case delete(String)
    case restore(String)
    case show(String)
    case history(String)
    case find(Query)
    case count(Query)
    case search(String, limit: Int)
    case conflicts
    case conflict(String)
    case resolve(String, [FieldName: FieldValue])
    case resolveKeep(String, side: String)
    case status
    case export(Format, path: String, kind: Kind?)
    case importFile(Format, path: String, kind: Kind?)
    case json(Bool)
    case check
    case merge(path: String)
    case sync(remote: String?)
    case remotes
    case forkDiscard(NodeID, from: UInt64)
    case forkKeep(NodeID)
    case forkFind(NodeID, remote: String)
    case help(String?)
    case quit

    /// File formats for import and export.
    public enum Format: String, Sendable, Equatable {
        case csv, jsonl
    }
}
