import DaftarModel
import Foundation
internal import GRDB
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The field index and the full-text index, kept in a file of their own beside the store
/// (`STORE-index`) and brought up to date on a connection of their own, so that their upkeep
/// runs on the other core while the store goes on writing: SQLite lets one writer at a time into
/// a file, and the indexes cost about as much to keep as everything else a write does.
///
/// The index follows the change log: it notes the apply position (`ord`) it has caught up to,
/// and every entry a later change touched is indexed again from its merged state. Every find and
/// search first brings it up to the log's end, so none misses an entry committed before it
/// started. It is derived data: when it is missing, unreadable, from another store or from
/// another version, it is rebuilt from the store; a crash at any point only leaves it behind.
final class SearchIndex: Sendable {
    let path: String
    let queue: DatabaseQueue
    /// One index transaction at a time in this process; other processes wait on SQLite's
    /// write lock.
    private let catchingUp = Mutex(())
    /// The layout of the index file; another one is rebuilt.
    static let version = 6
    /// The last failure of background upkeep, until upkeep succeeds again; and whom to tell.
    private let backgroundFailure = Mutex<(at: Date, message: String)?>(nil)
    let onBackgroundError: (@Sendable (String) -> Void)?
    /// Changes read from the log per index transaction: for a find that waits, and in the
    /// background, where a short transaction lets a find that needs the index go first.
    static let batchChanges = 20_000
    static let backgroundBatchChanges = 1_000
    /// How long to wait for another process's index transaction: longer than for the store,
    /// since a find that waits here only waits for derived work to finish.
    static let busyTimeoutSeconds = 30.0

    static let schema = """
        CREATE TABLE IF NOT EXISTS meta (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            version INTEGER NOT NULL,
            indexed_ord INTEGER NOT NULL,      -- the store's change log is indexed up to here
            indexed_hash BLOB,                 -- the hash of the change at indexed_ord
            log_generation INTEGER NOT NULL DEFAULT 0, -- the store's log generation it was made from
            recomputed_pos INTEGER NOT NULL DEFAULT 0  -- the store's recomputed records are indexed up to here
        );
        CREATE TABLE IF NOT EXISTS field_index (
            name TEXT NOT NULL,                -- entries not deleted, by field, kind and value:
            kind TEXT NOT NULL,                -- a find or count of one kind reads one range,
            value NOT NULL,                    -- in value order (for order by) and, within a
            record INTEGER NOT NULL,           -- value, in creation order
            fold TEXT,                         -- for contains: text beyond ASCII folded; a decimal as written
            PRIMARY KEY (name, kind, value, record)
        ) WITHOUT ROWID;
        CREATE VIRTUAL TABLE IF NOT EXISTS record_text USING fts5 (body, tokenize = 'unicode61 remove_diacritics 2');
        CREATE TABLE IF NOT EXISTS kind_field (
            kind TEXT NOT NULL,                -- every field name entries of a kind have had a value in
            name TEXT NOT NULL,
            PRIMARY KEY (kind, name)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS indexed (
            record INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            fields BLOB NOT NULL,              -- the values the field index holds for the record
            text_hash BLOB                     -- SHA-256 of the text in record_text; NULL when none
        );
        """

    /// The index file beside the store at `storePath`.
    static func path(for storePath: String) -> String { storePath + "-index" }

    /// Removes an index file and its journal files.
    static func remove(at path: String) {
        for suffix in ["", "-wal", "-shm", "-journal"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    /// Opens the index of the store `pool` holds, creating it, or rebuilding it when it cannot
    /// be used.
    init(storePath: String, busyTimeout: Double, onBackgroundError: (@Sendable (String) -> Void)? = nil) throws {
        path = Self.path(for: storePath)
        self.onBackgroundError = onBackgroundError
        var config = Configuration()
        config.busyMode = .timeout(busyTimeout)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA cache_size = -\(Store.writerCacheKiB)")
            // Derived data: after a power cut it may lose its last transactions (and catch up
            // again), never its consistency.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        queue = try Self.openQueue(path, config)
    }

    private static func openQueue(_ path: String, _ config: Configuration) throws -> DatabaseQueue {
        func open() throws -> DatabaseQueue {
            let queue = try DatabaseQueue(path: path, configuration: config)
            // Usually the index is there, of this version: reading says so without waiting for
            // another process that is writing to it.
            let existing = try queue.read { db in try db.tableExists("meta") ? try Int.fetchOne(db, sql: "SELECT version FROM meta WHERE id = 1") : nil }
            if let existing {
                guard existing == Self.version else { throw DatabaseError(resultCode: .SQLITE_MISMATCH, message: "index version \(existing)") }
                return queue
            }
            try queue.writeWithoutTransaction { db in
                if try String.fetchOne(db, sql: "PRAGMA journal_mode") != "wal" { try db.execute(sql: "PRAGMA journal_mode = WAL") }
                try db.inTransaction(.immediate) {
                    try db.execute(sql: schema)
                    let version = try Int.fetchOne(db, sql: "SELECT version FROM meta WHERE id = 1")
                    if version == nil {
                        try db.execute(sql: "INSERT INTO meta (id, version, indexed_ord) VALUES (1, ?, 0)", arguments: [Self.version])
                    } else if version != Self.version {
                        throw DatabaseError(resultCode: .SQLITE_MISMATCH, message: "index version \(version!)")
                    }
                    return .commit
                }
            }
            return queue
        }
        do {
            return try open()
        } catch let error as DatabaseError where [.SQLITE_NOTADB, .SQLITE_CORRUPT, .SQLITE_MISMATCH, .SQLITE_ERROR].contains(error.resultCode.primaryResultCode) {
            // Not an index this Daftar can use: it is derived data, so it is made again.
            remove(at: path)
            return try open()
        }
    }

    /// Starts again from an empty index, which the next catch-up fills from the whole log.
    func reset() throws {
        try write { db in try Self.empty(db, generation: nil) }
    }

    /// Empties the index in the transaction `db` holds; `generation` is the store's log
    /// generation it will be made from (nil: unchanged).
    static func empty(_ db: Database, generation: Int64?) throws {
        // Emptied after the log was rewritten: a fork recovery, or a withdrawn scope deleted, whose
        // values must leave no byte behind. Freed pages are overwritten, and the full-text
        // index's shadow tables are dropped whole (a delete there would only mark its terms).
        try db.execute(sql: "PRAGMA secure_delete = ON")
        defer { try? db.execute(sql: "PRAGMA secure_delete = OFF") }
        try db.execute(sql: "DELETE FROM field_index; DELETE FROM indexed; DELETE FROM kind_field; DROP TABLE record_text")
        try db.execute(sql: "CREATE VIRTUAL TABLE record_text USING fts5 (body, tokenize = 'unicode61 remove_diacritics 2')")
        try db.execute(sql: "UPDATE meta SET indexed_ord = 0, indexed_hash = NULL, recomputed_pos = 0 WHERE id = 1")
        if let generation { try db.execute(sql: "UPDATE meta SET log_generation = ? WHERE id = 1", arguments: [generation]) }
    }

    /// Moves every page of the index file's write-ahead log into the file and empties the log.
    func checkpoint() throws {
        try catchingUp.withLock { _ in
            try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        }
    }

    /// Background upkeep's last failure, while it has not succeeded since.
    var problem: (at: Date, message: String)? { backgroundFailure.withLock { $0 } }

    /// Catches up in the background; a failure is kept for `status` and told to
    /// `onBackgroundError`, and cleared by the next success.
    func catchUpInBackground(_ pool: DatabasePool) {
        do {
            try catchUp(pool, batchChanges: Self.backgroundBatchChanges, prune: true)
            backgroundFailure.withLock { $0 = nil }
        } catch {
            let message = "keeping the index \(path) up to date failed: \(error)"
            backgroundFailure.withLock { $0 = (Date(), message) }
            onBackgroundError?(message)
        }
    }

    /// A write transaction that takes the index's write lock first (waiting for another
    /// process's), so that it never finds the file changed under a read it already made.
    private func write(_ body: (Database) throws -> Void) throws {
        try queue.writeWithoutTransaction { db in
            try db.inTransaction(.immediate) {
                try body(db)
                return .commit
            }
        }
    }

    /// Resets the index when it was not made from this store's log (a store file replaced or
    /// restored beside an old index).
    func checkBelongs(to pool: DatabasePool) throws {
        let (ord, hash) = try queue.read { db -> (Int64, Data?) in
            let row = try Row.fetchOne(db, sql: "SELECT indexed_ord, indexed_hash FROM meta WHERE id = 1")
            return (row?["indexed_ord"] ?? 0, row?["indexed_hash"])
        }
        guard ord > 0 else { return }
        let held = try pool.read { db in try Data.fetchOne(db, sql: "SELECT substr(body, -32) FROM change WHERE ord = ?", arguments: [ord]) }
        if held == nil || held != hash { try reset() }
    }

    /// Catches up in the background when a core is idle; several calls before it runs make one
    /// catch-up.
    func schedule(_ pool: DatabasePool) {
        IndexWorker.shared.schedule(self, pool)
    }

    /// Indexes every change the store's log holds past what is indexed, in batches, until the
    /// index reaches the end of the log as it was when this began (or later).
    /// `prune`: drop the store's queue rows read (background upkeep and `updateIndex` do; a
    /// find never takes the store's write lock for it).
    func catchUp(_ pool: DatabasePool, batchChanges: Int = SearchIndex.batchChanges, prune: Bool = false) throws {
        // How far the store's queue of recomputed records is indexed, once caught up.
        var indexedQueue: Int64 = 0
        defer { if prune, indexedQueue > 0 { Self.pruneRecomputed(pool, below: indexedQueue) } }
        while true {
            let done = try catchingUp.withLock { _ -> Bool in
                let (from, generation, recomputedFrom) = try queue.read { db -> (Int64, Int64, Int64) in
                    let row = try Row.fetchOne(db, sql: "SELECT indexed_ord, log_generation, recomputed_pos FROM meta WHERE id = 1")
                    return (row?["indexed_ord"] ?? 0, row?["log_generation"] ?? 0, row?["recomputed_pos"] ?? 0)
                }
                // The store's log was rewritten since this index was made (a fork recovery bumps
                // the generation in the same transaction): start again from the whole log.
                let (storeGeneration, pruned) = try pool.read { db -> (Int64, Int64) in
                    let row = try Row.fetchOne(db, sql: "SELECT log_generation, recomputed_pruned FROM store WHERE id = 1")
                    return (row?["log_generation"] ?? 0, row?["recomputed_pruned"] ?? 0)
                }
                // Queue rows this index has not read were dropped (it is an older copy): the
                // entries they named may be computed otherwise now, so it starts again too.
                if storeGeneration != generation || recomputedFrom < pruned {
                    try write { db in
                        // Another handle (or process) may have started again meanwhile.
                        guard let meta = try Row.fetchOne(db, sql: "SELECT log_generation, recomputed_pos FROM meta WHERE id = 1"),
                            meta["log_generation"] as Int64 == generation, meta["recomputed_pos"] as Int64 == recomputedFrom
                        else { return }
                        try Self.empty(db, generation: storeGeneration)
                        // Made again from the whole log, it reads every state as it is now: the
                        // queue's rows so far are of no more use to it.
                        try db.execute(sql: "UPDATE meta SET recomputed_pos = ? WHERE id = 1", arguments: [pruned])
                    }
                    return false
                }
                // What changed past `from`: the records touched, and their merged states now.
                let batch = try pool.read { db -> (to: Int64, hash: Data, recomputedTo: Int64, states: [(Int64, Data)])? in
                    // Read in the same snapshot as the changes: a rewrite since the check above
                    // is found at the next round.
                    guard try Int64.fetchOne(db, sql: "SELECT log_generation FROM store WHERE id = 1") == generation else { return (from, Data(), recomputedFrom, []) }
                    var records: [Int64] = []
                    var seen = Set<Int64>()
                    /// Reads (position, record) rows past `after`; returns the last position read.
                    func collect(_ sql: String, after: Int64) throws -> Int64 {
                        var last = after
                        let rows = try Row.fetchCursor(db, sql: sql, arguments: [after, batchChanges])
                        while let row = try rows.next() {
                            last = row[0]
                            let record: Int64 = row[1]
                            if seen.insert(record).inserted { records.append(record) }
                        }
                        return last
                    }
                    let last = try collect("SELECT ord, record FROM change WHERE ord > ? ORDER BY ord LIMIT ?", after: from)
                    // Records computed again without a change of their own (a late registry statement).
                    let recomputedTo = try collect("SELECT pos, record FROM recomputed WHERE pos > ? ORDER BY pos LIMIT ?", after: recomputedFrom)
                    guard last > from || recomputedTo > recomputedFrom else { return nil }
                    let hash = try Data.fetchOne(db, sql: "SELECT substr(body, -32) FROM change WHERE ord = ?", arguments: [last]) ?? Data()
                    // Hidden records (registry statements, entries whose creation is void or whose
                    // scope was withdrawn) are not entries: never indexed, found by no find or search.
                    let state = try db.cachedStatement(sql: "SELECT state FROM record WHERE num = ? AND hidden = 0")
                    var states: [(Int64, Data)] = []
                    states.reserveCapacity(records.count)
                    for num in records {
                        // A record a fork recovery removed has no state: its index entries go.
                        states.append((num, try Data.fetchOne(state, arguments: [num]) ?? Data()))
                    }
                    return (last, hash, recomputedTo, states)
                }
                guard let batch else {
                    indexedQueue = recomputedFrom
                    return true
                }
                guard batch.to > from || batch.recomputedTo > recomputedFrom else { return false }
                try write { db in
                    // Another process may have indexed this stretch meanwhile.
                    guard let meta = try Row.fetchOne(db, sql: "SELECT indexed_ord, log_generation, recomputed_pos FROM meta WHERE id = 1"),
                        meta["indexed_ord"] as Int64 == from, meta["log_generation"] as Int64 == generation,
                        meta["recomputed_pos"] as Int64 == recomputedFrom
                    else { return }
                    // The kinds' fields already noted: most entries add none.
                    var kindFields = Set(try Row.fetchAll(db, sql: "SELECT kind, name FROM kind_field").map { ($0["kind"] as String) + "." + ($0["name"] as String) })
                    for (num, blob) in batch.states {
                        try Self.reindex(num, blob.isEmpty ? nil : try RecordState(encoded: blob), db, kindFields: &kindFields)
                    }
                    try db.execute(
                        sql: "UPDATE meta SET indexed_ord = ?, indexed_hash = ?, recomputed_pos = ? WHERE id = 1", arguments: [batch.to, batch.hash, batch.recomputedTo])
                }
                return false
            }
            if done { return }
        }
    }

    /// Rows of the store's `recomputed` queue are read by the index file alone. Once it holds
    /// at least this many below the position indexed, they are dropped.
    static let pruneRecomputedAt: Int64 = 1024

    /// Drops the queue's rows below `position` (indexed already) when there are many. The row
    /// at `position` stays, so that the next row's position (SQLite's largest rowid plus one) is
    /// above what the index holds. A store opened read-only, or busy with another writer, keeps
    /// the rows until the next catch-up: they cost only space.
    static func pruneRecomputed(_ pool: DatabasePool, below position: Int64) {
        do {
            let first = try pool.read { db in try Int64.fetchOne(db, sql: "SELECT min(pos) FROM recomputed") } ?? position
            guard position - first >= pruneRecomputedAt else { return }
            try pool.write { db in
                try db.execute(sql: "DELETE FROM recomputed WHERE pos < ?", arguments: [position])
                try db.execute(sql: "UPDATE store SET recomputed_pruned = max(recomputed_pruned, ?) WHERE id = 1", arguments: [position])
            }
        } catch {
            return
        }
    }

    /// A value as the field index holds it, comparable by type and content.
    enum Key: Hashable {
        case integer(Int64), real(UInt64), text(String), blob([UInt8])

        init?(_ value: FieldValue) {
            guard let stored = IndexValue(value)?.databaseValue.storage else { return nil }
            switch stored {
            case .int64(let n): self = .integer(n)
            case .double(let d): self = .real(d.bitPattern)
            case .string(let s): self = .text(s)
            case .blob(let b): self = .blob([UInt8](b))
            case .null: return nil
            }
        }

        var databaseValue: DatabaseValue {
            switch self {
            case .integer(let n): n.databaseValue
            case .real(let bits): Double(bitPattern: bits).databaseValue
            case .text(let s): s.databaseValue
            case .blob(let b): Data(b).databaseValue
            }
        }
    }

    /// What `contains` reads for a value besides the value itself: text beyond ASCII folded, a
    /// decimal as written (the index keeps it as a float, whose text may differ); nil otherwise.
    static func fold(_ value: FieldValue) -> String? {
        switch value {
        case .text(let text) where !text.utf8.allSatisfy({ $0 < 0x80 }): TextForm.folded(text)
        case .decimal(let decimal): decimal.normalForm
        default: nil
        }
    }

    /// Brings one record's field-index rows and text in line with its state (nil: removed).
    /// A deleted entry has no field-index rows (finds and counts never show one) and no text.
    static func reindex(_ num: Int64, _ state: RecordState?, _ db: Database, kindFields: inout Set<String>) throws {
        let previous = try Row.fetchOne(db.cachedStatement(sql: "SELECT kind, fields, text_hash FROM indexed WHERE record = ?"), arguments: [num])
        let old = try previous.map { try decode([UInt8]($0["fields"] as Data)) } ?? [:]
        let oldKind: String? = previous?["kind"]
        let oldTextHash: Data? = previous?["text_hash"]
        let live = state.map { !$0.isDeleted } ?? false
        let kind = state?.kind.rawValue ?? oldKind ?? ""
        var new: [String: Key] = [:]
        var folds: [String: String] = [:]
        if live {
            for (name, field) in state?.fields ?? [:] {
                guard let key = Key(field.value) else { continue }
                new[name.rawValue] = key
                if let fold = fold(field.value) { folds[name.rawValue] = fold }
            }
        }
        for (name, key) in old where new[name] != key {
            try db.cachedStatement(sql: "DELETE FROM field_index WHERE name = ? AND kind = ? AND value = ? AND record = ?").execute(arguments: [
                name, oldKind ?? kind, key.databaseValue, num,
            ])
        }
        for (name, key) in new where old[name] != key {
            try db.cachedStatement(sql: "INSERT INTO field_index (name, kind, value, record, fold) VALUES (?, ?, ?, ?, ?)").execute(arguments: [
                name, kind, key.databaseValue, num, folds[name],
            ])
        }
        // Completion's fields of a kind: every field its entries have had a value in.
        for (name, field) in state?.fields ?? [:] where !field.value.isNull && kindFields.insert(kind + "." + name.rawValue).inserted {
            try db.cachedStatement(sql: "INSERT OR IGNORE INTO kind_field (kind, name) VALUES (?, ?)").execute(arguments: [kind, name.rawValue])
        }
        let text = live ? state.flatMap(searchText) : nil
        let textHash = text.map { Data(SHA256.hash(Array($0.utf8))) }
        if textHash != oldTextHash {
            if oldTextHash != nil { try db.cachedStatement(sql: "DELETE FROM record_text WHERE rowid = ?").execute(arguments: [num]) }
            if let text { try db.cachedStatement(sql: "INSERT INTO record_text (rowid, body) VALUES (?, ?)").execute(arguments: [num, text]) }
        }
        if state == nil {
            try db.cachedStatement(sql: "DELETE FROM indexed WHERE record = ?").execute(arguments: [num])
        } else if new != old || textHash != oldTextHash || previous == nil {
            try db.cachedStatement(sql: "INSERT OR REPLACE INTO indexed (record, kind, fields, text_hash) VALUES (?, ?, ?, ?)").execute(arguments: [
                num, kind, Data(encode(new)), textHash,
            ])
        }
    }

    /// The folded text of a record's shown text and number values (numbers as their written
    /// digits), or nil when it has none. A value written with separators inside (a plate
    /// `LEA-1234`, a phone `0300-1234567`) is also indexed joined (`lea1234`, `03001234567`), so
    /// a search finds it however the separators were typed.
    static func searchText(_ state: RecordState) -> String? {
        searchText(values: state.fields.mapValues(\.value))
    }

    /// The full-text body of shown `values`, as ``searchText(_:)`` makes it.
    static func searchText(values: [FieldName: FieldValue]) -> String? {
        var parts: [String] = []
        for name in values.keys.sorted() {
            switch values[name]! {
            case .text(let s):
                let folded = TextForm.folded(s)
                parts.append(folded)
                let joined = joinedForms(folded)
                if !joined.isEmpty { parts.append(joined.joined(separator: " ")) }
            case .integer, .decimal: parts.append(values[name]!.displayText)
            default: break
            }
        }
        return parts.isEmpty ? nil : parts.joined(separator: "\n")
    }

    /// The words of `text` with separators between letters and digits left out: for each run
    /// of words joined by punctuation (`LEA-1234`, `0300-1234567`, `35202-1234567-1`), and for a
    /// short value spaced into groups (`LEA 1234`), the run written as one word.
    static func joinedForms(_ text: String) -> [String] {
        var out: [String] = []
        for token in text.split(whereSeparator: \.isWhitespace) {
            let pieces = token.split(whereSeparator: { !($0.isLetter || $0.isNumber) })
            if pieces.count > 1 { out.append(pieces.joined()) }
        }
        let words = text.split(whereSeparator: { !($0.isLetter || $0.isNumber) })
        if words.count > 1, text.count <= 24, words.contains(where: { $0.contains(where: \.isNumber) }) {
            let whole = words.joined()
            if !out.contains(whole) { out.append(whole) }
        }
        return out
    }

    /// The indexed values of a record: per field, name, a type tag and the value.
    static func encode(_ fields: [String: Key]) -> [UInt8] {
        var out: [UInt8] = []
        func length(_ n: Int) { withUnsafeBytes(of: UInt32(n).littleEndian) { out.append(contentsOf: $0) } }
        for (name, key) in fields.sorted(by: { $0.key < $1.key }) {
            length(name.utf8.count)
            out.append(contentsOf: name.utf8)
            switch key {
            case .integer(let n):
                out.append(0)
                withUnsafeBytes(of: n.littleEndian) { out.append(contentsOf: $0) }
            case .real(let bits):
                out.append(1)
                withUnsafeBytes(of: bits.littleEndian) { out.append(contentsOf: $0) }
            case .text(let s):
                out.append(2)
                length(s.utf8.count)
                out.append(contentsOf: s.utf8)
            case .blob(let b):
                out.append(3)
                length(b.count)
                out.append(contentsOf: b)
            }
        }
        return out
    }

    struct Malformed: Error {}

    static func decode(_ bytes: [UInt8]) throws -> [String: Key] {
        var fields: [String: Key] = [:]
        var i = 0
        func take(_ n: Int) throws -> ArraySlice<UInt8> {
            guard n >= 0, i + n <= bytes.count else { throw Malformed() }
            defer { i += n }
            return bytes[i..<(i + n)]
        }
        func word(_ n: Int) throws -> UInt64 {
            try take(n).reversed().reduce(0) { $0 << 8 | UInt64($1) }
        }
        while i < bytes.count {
            let name = String(decoding: try take(Int(try word(4))), as: UTF8.self)
            switch try take(1).first! {
            case 0: fields[name] = .integer(Int64(bitPattern: try word(8)))
            case 1: fields[name] = .real(try word(8))
            case 2: fields[name] = .text(String(decoding: try take(Int(try word(4))), as: UTF8.self))
            case 3: fields[name] = .blob([UInt8](try take(Int(try word(4)))))
            default: throw Malformed()
            }
        }
        return fields
    }
}

/// The thread that keeps indexes up to date in the background, at a low priority (nice 10): it
/// runs mostly on a core nothing else wants, so writes and syncs seldom wait for it, and a find
/// that needs the index up to date catches it up itself. Not the lowest priority there is: a
/// thread that could starve while it holds the index's write lock would make other processes'
/// finds wait for it.
final class IndexWorker: Sendable {
    static let shared = IndexWorker()

    private let pending = Mutex<[ObjectIdentifier: (SearchIndex, DatabasePool)]>([:])
    private let wake = DispatchSemaphore(value: 0)

    private init() {
        let thread = Thread { [self] in
            #if os(Linux)
                // On Linux the nice value is per thread, and `who` 0 is the calling thread.
                _ = setpriority(__priority_which_t(0), 0, 10)  // PRIO_PROCESS
            #endif
            while true {
                wake.wait()
                let jobs = pending.withLock { jobs in
                    defer { jobs = [:] }
                    return Array(jobs.values)
                }
                for (index, pool) in jobs { index.catchUpInBackground(pool) }
            }
        }
        thread.name = "daftar-index"
        thread.start()
    }

    func schedule(_ index: SearchIndex, _ pool: DatabasePool) {
        let added = pending.withLock { jobs in
            let isNew = jobs[ObjectIdentifier(index)] == nil
            jobs[ObjectIdentifier(index)] = (index, pool)
            return isNew
        }
        if added { wake.signal() }
    }
}
