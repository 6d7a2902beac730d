public import DaftarModel
import Foundation
internal import GRDB
import Synchronization

/// One node's register: a SQLite file holding the records, the change log, knowledge and clock.
///
/// Every write is one SQLite transaction with `synchronous=FULL`, so a write that returned
/// survives a power cut. Several processes may open one store: SQLite's write lock serializes
/// them, and every write reads the node's sequence and clock inside its transaction.
public final class Store: Sendable {
    /// Settings of an opened store.
    public struct Options: Sendable {
        /// The wall clock, in milliseconds since 1970 UTC.
        public var wallClock: @Sendable () -> UInt64
        /// How far a received stamp may pull this node's clock ahead of its wall clock.
        public var driftMilliseconds: UInt64
        /// How long to wait for another process's write to finish before giving up.
        public var busyTimeout: Duration
        /// Open for reading only.
        public var readOnly: Bool
        /// Told when keeping the index up to date in the background fails (the failure is also
        /// shown by ``Store/indexProblem()``).
        public var onBackgroundError: (@Sendable (String) -> Void)?
        /// scrypt's N for passphrase hashes made from now on (each hash keeps its own): a power
        /// of two from 1,024 to 1,048,576; by default $DAFTAR_SCRYPT_N, else 65,536 (64 MiB).
        public var scryptRounds: Int = Options.defaultScryptRounds

        public init(
            wallClock: @escaping @Sendable () -> UInt64 = Options.systemClock,
            driftMilliseconds: UInt64 = HybridClock.defaultDriftMilliseconds,
            busyTimeout: Duration = .seconds(5),
            readOnly: Bool = false,
            onBackgroundError: (@Sendable (String) -> Void)? = nil
        ) {
            self.onBackgroundError = onBackgroundError
            self.wallClock = wallClock
            self.driftMilliseconds = driftMilliseconds
            self.busyTimeout = busyTimeout
            self.readOnly = readOnly
        }

        var busyTimeoutSeconds: Double {
            Double(busyTimeout.components.seconds) + Double(busyTimeout.components.attoseconds) / 1e18
        }

        /// $DAFTAR_SCRYPT_N when it is a power of two from 1,024 to 1,048,576, else 65,536.
        public static var defaultScryptRounds: Int {
            guard let text = ProcessInfo.processInfo.environment["DAFTAR_SCRYPT_N"], let n = Int(text) else { return 1 << 16 }
            return (1 << 10...1 << 20).contains(n) && n & (n - 1) == 0 ? n : 1 << 16
        }

        public static let systemClock: @Sendable () -> UInt64 = {
            UInt64(max(0, Date().timeIntervalSince1970 * 1000))
        }
    }

    /// The file's path.
    public let path: String
    public let options: Options
    let pool: DatabasePool
    /// The field and full-text indexes, in their own file; nil for a store opened read-only.
    let index: SearchIndex?
    private let cachedNode: Mutex<NodeID>
    /// The node's private key, read from its file at the first write that signs.
    let cachedSigner = Mutex<SigningKey?>(nil)

    /// The `PRAGMA application_id` that marks a Daftar store: 'DAFT'.
    static let applicationID: Int32 = 0x4441_4654

    /// This node's id. It changes only when a fork recovery gives the node a new identity.
    public var node: NodeID { cachedNode.withLock { $0 } }

    private init(path: String, pool: DatabasePool, index: SearchIndex?, node: NodeID, options: Options) {
        self.path = path
        self.pool = pool
        self.index = index
        self.options = options
        self.cachedNode = Mutex(node)
    }

    func updateCachedNode(_ node: NodeID) { cachedNode.withLock { $0 = node } }

    /// Creates a new store for `node` at `path`. Refuses a path where a file already exists.
    public static func create(at path: String, node: NodeID, options: Options = Options()) throws(StoreError) -> Store {
        if FileManager.default.fileExists(atPath: path) {
            throw StoreError(.storeExists, "\(path) already exists: open it, or choose another path for a new store")
        }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        guard FileManager.default.isWritableFile(atPath: folder) else {
            throw StoreError(.readOnly, "cannot create a store in \(folder): the folder is missing or not writable; choose another path")
        }
        if FileManager.default.fileExists(atPath: keyPath(forStore: path)) {
            throw StoreError(
                .storeExists, "\(keyPath(forStore: path)) already exists: it is the key of another store; move it away, or choose another path for the new store")
        }
        do {
            // An index left beside the path belonged to some other store.
            SearchIndex.remove(at: SearchIndex.path(for: path))
            let index = try SearchIndex(storePath: path, busyTimeout: max(options.busyTimeoutSeconds, SearchIndex.busyTimeoutSeconds), onBackgroundError: options.onBackgroundError)
            let pool = try DatabasePool(path: path, configuration: configuration(options, index: index.path))
            try makeDurable(pool)
            try migrate(pool)
            try pool.write { db in
                try db.execute(
                    sql: "INSERT INTO store (id, node, clock, created_at, void_judged) VALUES (1, ?, 0, ?, 1)",
                    arguments: [node.rawValue, Int64(options.wallClock())])
            }
            let store = Store(path: path, pool: pool, index: index, node: node, options: options)
            // The register, its officers' passphrase hashes and its remotes' tokens: readable by
            // the owner alone, like the key (SQLite gives its logs the file's mode).
            for file in [path, path + "-wal", path + "-shm", index.path, index.path + "-wal", index.path + "-shm"] { chmod(file, 0o600) }
            do { try store.makeKeyIfMissing() } catch {
                try? pool.close()
                for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
                SearchIndex.remove(at: SearchIndex.path(for: path))
                throw error
            }
            return store
        } catch let error as StoreError {
            throw error
        } catch {
            // Leave nothing half-made behind.
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            SearchIndex.remove(at: SearchIndex.path(for: path))
            throw StoreError.from(error, path: path)
        }
    }

    /// Opens an existing store, migrating an older schema forward. Refuses a file that is not a
    /// Daftar store, and a store written by a newer Daftar, without changing either.
    public static func open(at path: String, options: Options = Options()) throws(StoreError) -> Store {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw StoreError(
                .noStore, "no store at \(path): check the path; a new store is made by opening the console on it: daftar --db \(path) --node NODE-ID")
        }
        if isFolder.boolValue {
            throw StoreError(
                .notAStore, "\(path) is a folder, not a store file: give the store's file, for example \(path.hasSuffix("/") ? path : path + "/")register.daftar")
        }
        do {
            try checkHeader(path, busyTimeout: options.busyTimeoutSeconds)
            let index = options.readOnly ? nil : try SearchIndex(storePath: path, busyTimeout: max(options.busyTimeoutSeconds, SearchIndex.busyTimeoutSeconds), onBackgroundError: options.onBackgroundError)
            let pool = try DatabasePool(path: path, configuration: configuration(options, index: index?.path))
            if !options.readOnly {
                try makeDurable(pool)
                try migrate(pool)
            }
            let node = try pool.read(readIdentity)
            try index?.checkBelongs(to: pool)
            let store = Store(path: path, pool: pool, index: index, node: node, options: options)
            // A store made before keys makes its key the first time it is opened for writing (in
            // a folder it may write; elsewhere it stays without one, and `key show` says so).
            if !options.readOnly {
                do { try store.makeKeyIfMissing() } catch {
                    guard error.code == .readOnly else { throw error }
                }
                try store.judgeVoidOnce()
                // A store upgraded to signatures covers what it held before them: its own chains,
                // and at the central node every chain. Without its key at hand (a store file
                // copied without it) it covers at a later open, and opens all the same.
                do { try store.coverUnsignedOnce() } catch {
                    guard error.code == .noStore || error.code == .inconsistent || error.code == .badRequest || error.code == .corrupt else { throw error }
                }
            }
            return store
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.from(error, path: path)
        }
    }

    /// Checks that the file is a Daftar store through a read-only SQLite connection, so that a
    /// file that is not one is never opened for writing (which could change it).
    ///
    /// The file is never opened outside SQLite: closing any descriptor of a file releases every
    /// POSIX lock this process holds on it, the shared locks of its other SQLite connections
    /// among them (SQLite keeps its own descriptors open while any connection is locked). Another
    /// process closing the store would then take itself for the last one, fold and delete the
    /// write-ahead log, and this process's connections would go on reading the log they still
    /// have open: an earlier state of the store.
    private static func checkHeader(_ path: String, busyTimeout: Double) throws(StoreError) {
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw StoreError(.readOnly, "cannot read \(path): check its permissions")
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
        if size == 0 { throw StoreError(.notAStore, "\(path) is empty, not a Daftar store: remove it, or choose the store's real path") }
        let notSQLite = StoreError(.notAStore, "\(path) is not a Daftar store (not even an SQLite file): check the path, or restore the store from a backup")
        guard size >= 100 else { throw notSQLite }
        // The application id is asked of SQLite, read-only: a new store's header may still be in
        // its write-ahead log.
        var config = Configuration()
        config.readonly = true
        // Another process may hold the file for a moment (a write, or folding its log in as it
        // closes): wait as the store's own connections do, rather than fail at once.
        config.busyMode = .timeout(busyTimeout)
        let appID: Int32
        do {
            let queue = try DatabaseQueue(path: path, configuration: config)
            defer { try? queue.close() }
            let (id, applied) = try queue.read { db in
                (try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0, try migrator().appliedIdentifiers(db))
            }
            appID = id
            let unknown = applied.subtracting(schemaVersions)
            if id == applicationID, !unknown.isEmpty {
                throw StoreError(
                    .newerSchema,
                    "this store was written by a newer Daftar (schema \(unknown.sorted().last!)); this one knows up to \(schemaVersions.last!): upgrade Daftar to open it; the store was not changed")
            }
        } catch let error as DatabaseError where error.resultCode.primaryResultCode == .SQLITE_NOTADB {
            throw notSQLite
        } catch {
            throw StoreError.from(error, path: path)
        }
        guard appID == applicationID else {
            throw StoreError(.notAStore, "\(path) is an SQLite database but not a Daftar store: check the path; Daftar will not change it")
        }
    }

    private static func readIdentity(_ db: Database) throws -> NodeID {
        guard let raw = try String.fetchOne(db, sql: "SELECT node FROM store WHERE id = 1") else {
            throw StoreError(.corrupt, "the store has no identity row: restore it from a backup")
        }
        do { return try NodeID(raw) } catch { throw StoreError(.corrupt, "the store's node id '\(raw)' is not valid: restore it from a backup") }
    }

    /// `synchronous=FULL` on the connection that writes, so that a commit is on the disk before
    /// it returns (promise 1). Set once the pool is open: GRDB sets NORMAL when it puts a pool's
    /// writer in WAL mode, after the connection's own preparation; the writer connection lasts
    /// as long as the pool.
    private static func makeDurable(_ pool: DatabasePool) throws {
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
    }

    static func migrator() -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        SchemaMigrations.register(in: &migrator)
        return migrator
    }

    private static func migrate(_ pool: DatabasePool) throws {
        let migrator = migrator()
        let unknown = try pool.read { db in try migrator.appliedIdentifiers(db).subtracting(schemaVersions) }
        if !unknown.isEmpty {
            throw StoreError(
                .newerSchema,
                "this store was written by a newer Daftar (schema \(unknown.sorted().last!)); this one knows up to \(schemaVersions.last!): upgrade Daftar to open it; the store was not changed")
        }
        try migrator.migrate(pool)
    }

    /// The page cache of the connection that writes, and of the index's, in KiB: eight times
    /// SQLite's default, so that a batch finds most of the index pages it touches in memory,
    /// while a node syncing a million changes stays well under 200 MB.
    public static let writerCacheKiB = 16384

    /// The names of the schema migrations this build knows, in order.
    public static var schemaVersions: [String] { SchemaMigrations.all.map(\.identifier) }

    private static func configuration(_ options: Options, index: String?) -> Configuration {
        var config = Configuration()
        config.readonly = options.readOnly
        config.busyMode = .timeout(options.busyTimeoutSeconds)
        config.prepareDatabase { db in
            // Readers see the index file too, for finds and searches; the writer does not, so
            // that its transactions never hold the index's write lock.
            if let index, db.configuration.readonly {
                try db.execute(sql: "ATTACH DATABASE ? AS ix", arguments: [index])
            }
            if !options.readOnly {
                try db.execute(sql: "PRAGMA synchronous = FULL")
            }
            if !db.configuration.readonly {
                try db.execute(sql: "PRAGMA cache_size = -\(Store.writerCacheKiB)")
            }
            db.add(function: foldFunction)
            db.add(function: fieldFunction)
        }
        return config
    }

    /// `daftar_fold(text)`: the matching form of text, for `contains`.
    private static let foldFunction = DatabaseFunction("daftar_fold", argumentCount: 1, pure: true) { values in
        guard let text = String.fromDatabaseValue(values[0]) else { return nil }
        return TextForm.folded(text)
    }

    /// `daftar_field(state, name)`: the shown value of a field, as the field index keeps it.
    private static let fieldFunction = DatabaseFunction("daftar_field", argumentCount: 2, pure: true) { values in
        guard let blob = Data.fromDatabaseValue(values[0]), let name = String.fromDatabaseValue(values[1]),
            let field = try? FieldName(name), let state = try? RecordState(encoded: blob)
        else { return nil }
        return state.fields[field].flatMap { IndexValue($0.value) }?.databaseValue
    }

    /// Runs a read with errors mapped to ``StoreError``.
    func read<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do { return try pool.read(body) } catch { throw StoreError.from(error, path: path) }
    }

    /// Runs a read that uses the field or full-text index, once the index holds every change
    /// committed before it started.
    func indexedRead<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        try catchUpIndex()
        return try read(body)
    }

    /// Brings the index up to the end of the change log.
    func catchUpIndex() throws(StoreError) {
        guard let index else { throw StoreError(.readOnly, "a store opened for reading only cannot search or find: open it normally") }
        do { try index.catchUp(pool) } catch { throw StoreError.from(error, path: index.path) }
    }

    /// Runs a write transaction with errors mapped to ``StoreError``; on any error nothing of it
    /// is kept. The index catches up with it in the background.
    func writeTransaction<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        guard !options.readOnly else { throw StoreError(.readOnly, "the store was opened for reading only") }
        let result: T
        do { result = try pool.write(body) } catch { throw StoreError.from(error, path: path) }
        index?.schedule(pool)
        return result
    }

    /// Brings the field and full-text indexes up to the end of the change log now, instead of
    /// in the background or at the next find.
    public func updateIndex() throws(StoreError) {
        guard let index else { return }
        do { try index.catchUp(pool, prune: true) } catch { throw StoreError.from(error, path: index.path) }
    }

    /// The last failure of keeping the index up to date in the background, while upkeep has
    /// not succeeded since: when, and what happened.
    public func indexProblem() -> (atMilliseconds: Int64, message: String)? {
        index?.problem.map { (Int64($0.at.timeIntervalSince1970 * 1000), $0.message) }
    }

    /// Checks the whole file with SQLite's integrity check; returns its complaints, empty when sound.
    public func integrityCheck() throws(StoreError) -> [String] {
        try read { db in
            let rows = try String.fetchAll(db, sql: "PRAGMA integrity_check")
            return rows == ["ok"] ? [] : rows
        }
    }
}

extension StoreError {
    static func from(_ error: any Error, path: String) -> StoreError {
        if let error = error as? StoreError { return error }
        if let error = error as? ValidationError { return StoreError(error) }
        guard let db = error as? DatabaseError else {
            return StoreError(.io, "the store at \(path) failed: \(error)")
        }
        let detail = db.message ?? "\(db.resultCode)"
        switch db.resultCode.primaryResultCode {
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            return StoreError(.locked, "the store at \(path) is locked by another process that is writing to it: try again when it has finished")
        case .SQLITE_FULL:
            return StoreError(.diskFull, "the disk holding \(path) is full; nothing of this operation was written: free space and try again")
        case .SQLITE_READONLY, .SQLITE_PERM:
            return StoreError(.readOnly, "the store at \(path) cannot be written (\(detail)): check the file's and folder's permissions, or whether the disk is mounted read-only")
        case .SQLITE_CANTOPEN:
            return StoreError(.readOnly, "cannot open \(path) (\(detail)): check that the folder exists and can be written")
        case .SQLITE_NOTADB:
            return StoreError(.notAStore, "\(path) is not a Daftar store: check the path, or restore the store from a backup")
        case .SQLITE_CORRUPT:
            return StoreError(.corrupt, "the store at \(path) is damaged (\(detail)): restore it from a backup")
        case .SQLITE_IOERR:
            return StoreError(.io, "reading or writing \(path) failed (\(detail)); nothing of this operation was written: check the disk")
        default:
            return StoreError(.io, "the store at \(path) failed: \(detail)")
        }
    }
}
