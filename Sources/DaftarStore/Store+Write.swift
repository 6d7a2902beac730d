public import DaftarModel
import Foundation
internal import GRDB

/// Local edits made inside one transaction, as one officer. Obtain one from
/// ``Store/write(as:_:)``; it is valid only inside that call.
public struct StoreTransaction {
    let ledger: Ledger
    let path: String
    let officer: String
    let wallClock: @Sendable () -> UInt64

    /// Records a new entry of `kind` in `scope` (by default where this node records new
    /// entries: see ``Store/scopeForNewEntries()``) and returns its id.
    @discardableResult
    public func add(kind: Kind, fields: [FieldName: FieldValue], in scope: Scope? = nil) throws(StoreError) -> RecordID {
        let seq = (ledger.highest[ledger.node] ?? 0) + 1
        let dot = Dot(origin: ledger.node, seq: seq)
        let id = RecordID(dot)
        let chosen: Scope
        do { chosen = try scope ?? ledger.scopeForNewEntries() } catch { throw StoreError.from(error, path: path) }
        try commit(record: id, kind: kind, scope: chosen, operation: .add, fields: fields, vector: VersionVector(dot))
        return id
    }

    /// Writes the registry statement of `grant` (the central node alone): the grant record of
    /// its node, made or set.
    func writeGrant(_ grant: Grant, record: RecordID?) throws(StoreError) {
        let seq = (ledger.highest[ledger.node] ?? 0) + 1
        let dot = Dot(origin: ledger.node, seq: seq)
        if let record {
            let loaded: (num: Int64, state: RecordState, scope: Scope, hidden: Ledger.Hidden)?
            do { loaded = try ledger.load(record) } catch { throw StoreError.from(error, path: path) }
            guard let state = loaded?.state else { throw StoreError(.inconsistent, "the grant record \(record) is missing") }
            var vector = state.vector
            vector[ledger.node] = seq
            try commit(record: record, kind: Grant.kind, scope: .registry, operation: .set, fields: grant.fields, vector: vector, registry: true)
        } else {
            try commit(record: RecordID(dot), kind: Grant.kind, scope: .registry, operation: .add, fields: grant.fields, vector: VersionVector(dot), registry: true)
        }
    }

    /// The link field a transferred entry gets, naming its new entry; and the new entry's,
    /// naming the old.
    public static let transferredTo = try! FieldName("transferred_to")
    public static let transferredFrom = try! FieldName("transferred_from")

    /// Moves an entry to another scope (DESIGN promise 11): a new entry in `scope` with the old
    /// one's shown values and a `transferred_from` link, created by a change whose vector is its
    /// own dot alone; the old entry, in its scope for life, gets a `transferred_to` link. Each
    /// keeps its history. This node must be able to write both scopes, so that no transfer leaves
    /// a one-sided link. Returns the new entry's id.
    public func transfer(_ id: RecordID, to scope: Scope) throws(StoreError) -> RecordID {
        let loaded: (num: Int64, state: RecordState, scope: Scope, hidden: Ledger.Hidden)?
        do { loaded = try ledger.load(id) } catch { throw StoreError.from(error, path: path) }
        guard let loaded, loaded.hidden == .shown else {
            throw StoreError(.unknownRecord, "no entry \(id) here to transfer: check the id with `find` or `search`")
        }
        guard scope != .registry else { throw StoreError(.badRequest, "entries cannot be transferred to the registry: choose another scope") }
        guard loaded.scope != scope else { throw StoreError(.badRequest, "\(id) is already in scope \(scope): nothing to transfer") }
        guard !loaded.state.isDeleted else { throw StoreError(.recordDeleted, "\(id) is deleted: restore it first with `restore \(id)`, then transfer it") }
        // Both scopes, checked before anything is written (the commits check each again).
        do {
            let next = (ledger.highest[ledger.node] ?? 0) + 1
            try ledger.checkMayWrite(scope, seq: next)
            try ledger.checkMayWrite(loaded.scope, seq: next + 1)
        } catch {
            throw StoreError.from(error, path: path)
        }
        var fields = loaded.state.values
        fields[Self.transferredTo] = nil
        fields[Self.transferredFrom] = .text(id.description)
        let moved = try add(kind: loaded.state.kind, fields: fields, in: scope)
        try set(id, [Self.transferredTo: .text(moved.description)])
        return moved
    }

    /// Writes fields of an existing entry. A null unsets. Ends any conflict on those fields.
    public func set(_ id: RecordID, _ fields: [FieldName: FieldValue]) throws(StoreError) {
        guard !fields.isEmpty else { throw StoreError(.badRequest, "nothing to set: name at least one field=value") }
        try edit(id, operation: .set, fields: fields)
    }

    /// Unsets fields of an existing entry.
    public func unset(_ id: RecordID, _ names: [FieldName]) throws(StoreError) {
        guard !names.isEmpty else { throw StoreError(.badRequest, "nothing to unset: name at least one field") }
        try edit(id, operation: .unset, fields: Dictionary(names.map { ($0, FieldValue.null) }, uniquingKeysWith: { a, _ in a }))
    }

    /// Resolves a conflict by writing the chosen values; an ordinary change that supersedes every
    /// value of those fields this store holds.
    public func resolve(_ id: RecordID, _ fields: [FieldName: FieldValue]) throws(StoreError) {
        guard !fields.isEmpty else { throw StoreError(.badRequest, "nothing to resolve: name at least one field=value") }
        try edit(id, operation: .resolve, fields: fields, allowDeleted: true)
    }

    /// Deletes an entry. It stays in the log and can be restored.
    public func delete(_ id: RecordID) throws(StoreError) {
        try edit(id, operation: .delete, fields: [:], allowDeleted: true)
    }

    /// Restores a deleted entry.
    public func restore(_ id: RecordID) throws(StoreError) {
        try edit(id, operation: .restore, fields: [:], allowDeleted: true)
    }

    private func edit(_ id: RecordID, operation: Change.Operation, fields: [FieldName: FieldValue], allowDeleted: Bool = false) throws(StoreError) {
        let loaded: (num: Int64, state: RecordState, scope: Scope, hidden: Ledger.Hidden)?
        do { loaded = try ledger.load(id) } catch { throw StoreError.from(error, path: path) }
        guard let (_, state, scope, hidden) = loaded, hidden != .statement else {
            throw StoreError(.unknownRecord, "no entry \(id): check the id with `find` or `search`")
        }
        switch hidden {
        case .voidCreation:
            throw StoreError(
                .unknownRecord,
                "\(id) is not an entry of the register: the change that created it is void (\(id.dot.origin) had no write grant on \(scope) at seq \(id.dot.seq)); `history \(id)` shows it; nothing was recorded")
        case .withdrawn:
            throw StoreError(.unknownRecord, "\(id) is of scope \(scope), which was withdrawn from this office: it cannot be changed here; nothing was recorded")
        default: break
        }
        switch operation {
        case .delete where state.isDeleted && !state.isDeletedInConflict:
            throw StoreError(.recordDeleted, "\(id) is already deleted")
        case .restore where !state.isDeleted && !state.isDeletedInConflict:
            throw StoreError(.recordNotDeleted, "\(id) is not deleted: nothing to restore")
        case .set where state.isDeleted && !allowDeleted, .unset where state.isDeleted && !allowDeleted:
            throw StoreError(.recordDeleted, "\(id) is deleted: restore it first with `restore \(id)`")
        default: break
        }
        var vector = state.vector
        vector[ledger.node] = (ledger.highest[ledger.node] ?? 0) + 1
        try commit(record: id, kind: state.kind, scope: scope, operation: operation, fields: fields, vector: vector)
    }

    /// Writes the root's heartbeat statement: its heartbeat record set again, or made.
    func writeHeartbeat(_ heartbeat: Heartbeat, record: RecordID?) throws(StoreError) {
        guard let record else {
            let dot = Dot(origin: ledger.node, seq: (ledger.highest[ledger.node] ?? 0) + 1)
            try commitStatement(record: RecordID(dot), kind: Heartbeat.kind, fields: heartbeat.fields, vector: VersionVector(dot))
            return
        }
        let loaded: (num: Int64, state: RecordState, scope: Scope, hidden: Ledger.Hidden)?
        do { loaded = try ledger.load(record) } catch { throw StoreError.from(error, path: path) }
        guard let state = loaded?.state else { throw StoreError(.inconsistent, "the heartbeat record \(record) is missing") }
        var vector = state.vector
        vector[ledger.node] = (ledger.highest[ledger.node] ?? 0) + 1
        try commit(record: record, kind: Heartbeat.kind, scope: .registry, operation: .set, fields: heartbeat.fields, vector: vector, registry: true)
    }

    /// Makes a registry statement that creates a record (the central node alone).
    func commitStatement(record: RecordID, kind: Kind, fields: [FieldName: FieldValue], vector: VersionVector) throws(StoreError) {
        try commit(record: record, kind: kind, scope: .registry, operation: .add, fields: fields, vector: vector, registry: true)
    }

    /// Makes, checks and integrates one local change. The checks are the receiver's own
    /// (``Change/validate()``), so what this store keeps every other store accepts.
    private func commit(
        record: RecordID, kind: Kind, scope: Scope, operation: Change.Operation, fields: [FieldName: FieldValue], vector: VersionVector,
        registry: Bool = false
    ) throws(StoreError) {
        // Seqs are the node's own, across scopes; `prev` is its last change in this scope.
        let own = ledger.knowledge.entries[Chain(ledger.node, scope)]
        let dot = Dot(origin: ledger.node, seq: (ledger.highest[ledger.node] ?? 0) + 1)
        if !registry {
            do {
                try ledger.checkMayWrite(scope, seq: dot.seq)
                // A scope granted again after this node deleted it: its own earlier changes there
                // must come back first, or the next change could not link to them (PROTOCOL
                // choice 1).
                if let kept = try ledger.keptHead(scope), (own?.seq ?? 0) < kept.seq {
                    throw StoreError(
                        .badRequest,
                        "this office's earlier changes in \(scope) (up to seq \(kept.seq)) have not come back since the scope was granted again: sync first, then write; nothing was recorded")
                }
            } catch {
                throw StoreError.from(error, path: path)
            }
        }
        let wall = wallClock()
        guard wall <= Limits.latestStampMilliseconds else {
            let when = Date(timeIntervalSince1970: Double(wall) / 1000)
            throw StoreError(
                .badRequest,
                "this computer's clock says \(when.formatted(.iso8601)), past the year 2200 that changes may be stamped with: set the clock to the right date and time, then try again; nothing was recorded")
        }
        let hlc = ledger.clock.tick(wallMilliseconds: wall)
        ledger.lastIssued = hlc
        do {
            let (change, encoded) = try Change.make(
                dot: dot, record: record, kind: kind, operation: operation, fields: fields, vector: vector, hlc: hlc,
                officer: officer, wallTime: Int64(clamping: wall), scope: scope,
                prev: ChainLink(seq: own?.seq ?? 0, hash: own?.hash ?? .zero))
            try ledger.integrate(change, encoded: encoded)
            try ledger.noteOwn(change, bytes: encoded.count)
        } catch {
            throw StoreError.from(error, path: path)
        }
    }
}

extension Store {
    /// Runs `body` as one transaction of local edits by `officer`: everything in it is kept, or,
    /// if it throws, nothing.
    public func write<T>(as officer: String, _ body: (StoreTransaction) throws -> T) throws(StoreError) -> T {
        // Foundation's trimming is slow enough to show in a single write; most names need none.
        let trimmed =
            officer.unicodeScalars.first.map(\.properties.isWhitespace) == false && officer.unicodeScalars.last.map(\.properties.isWhitespace) == false
            ? officer : officer.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else {
            throw StoreError(.badRequest, "no officer named: every change records who made it; give --officer NAME or set DAFTAR_OFFICER")
        }
        let clock = options.wallClock
        let signer = try signer()
        return try writeTransaction { db in
            let ledger = try Ledger(db)
            ledger.signer = signer
            let result = try body(StoreTransaction(ledger: ledger, path: path, officer: trimmed, wallClock: clock))
            try ledger.finish()
            return result
        }
    }

    /// Records one new entry in its own transaction.
    @discardableResult
    public func add(kind: Kind, fields: [FieldName: FieldValue], as officer: String) throws(StoreError) -> RecordID {
        try write(as: officer) { tx in try tx.add(kind: kind, fields: fields) }
    }
}

/// A file imported into the store before.
public struct ImportedFile: Sendable, Equatable {
    public var path: String
    public var entries: Int
    public var importedAt: Int64
    public var officer: String
}

extension StoreTransaction {
    /// Notes, in this transaction, that the file whose bytes hash to `hash` was imported.
    public func noteImport(hash: [UInt8], path: String, entries: Int) throws(StoreError) {
        do {
            try ledger.db.execute(
                sql: "INSERT OR REPLACE INTO imported_file (hash, path, entries, imported_at, officer) VALUES (?, ?, ?, ?, ?)",
                arguments: [Data(hash), path, entries, Int64(clamping: wallClock()), officer])
        } catch {
            throw StoreError.from(error, path: self.path)
        }
    }
}

extension Store {
    /// When the file whose bytes hash to `hash` was imported here before.
    public func importedFile(hash: [UInt8]) throws(StoreError) -> ImportedFile? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT path, entries, imported_at, officer FROM imported_file WHERE hash = ?", arguments: [Data(hash)]).map {
                ImportedFile(path: $0["path"], entries: $0["entries"], importedAt: $0["imported_at"], officer: $0["officer"])
            }
        }
    }
}
