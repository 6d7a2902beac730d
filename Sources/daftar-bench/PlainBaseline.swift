import DaftarModel
import DaftarStore
import Foundation
import GRDB

/// The baseline for write benchmarks: a plain application keeping the same content so that it
/// can answer the same finds and searches — the same field index (index file layout 5), the
/// same full-text text,
/// the same PRAGMAs (WAL, synchronous=FULL) and the same transactions — but no change log,
/// vectors, stamps or hashes.
final class PlainBaseline {
    let pool: DatabasePool
    private var next = 0

    init(path: String) throws {
        var config = Configuration()
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            if !db.configuration.readonly { try db.execute(sql: "PRAGMA cache_size = -\(Store.writerCacheKiB)") }
        }
        pool = try DatabasePool(path: path, configuration: config)
        // As the store does: GRDB sets NORMAL when it puts the writer in WAL mode.
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        try pool.write { db in
            try db.execute(
                sql: """
                    CREATE TABLE entry (num INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, deleted INTEGER NOT NULL DEFAULT 0, fields BLOB NOT NULL);
                    CREATE INDEX entry_by_kind ON entry (kind, deleted);
                    CREATE TABLE field_index (
                        name TEXT NOT NULL, kind TEXT NOT NULL, value NOT NULL, record INTEGER NOT NULL, fold TEXT,
                        PRIMARY KEY (name, kind, value, record)) WITHOUT ROWID;
                    CREATE TABLE kind_field (kind TEXT NOT NULL, name TEXT NOT NULL, PRIMARY KEY (kind, name)) WITHOUT ROWID;
                    CREATE VIRTUAL TABLE entry_text USING fts5 (body, tokenize = 'unicode61 remove_diacritics 2');
                    """)
        }
    }

    /// One transaction of `body`'s inserts.
    func write(_ body: (Database) throws -> Void) throws { try pool.write(body) }

    /// The kinds' fields already noted, as the store keeps them for completion.
    private var kindFields: Set<String> = []

    /// Inserts one entry: its row (fields serialized), its field-index rows (by field, kind and
    /// value, with the folded form of text beyond ASCII and the written form of decimals), the
    /// kind's new fields, and its text as the store's full-text index keeps it.
    func insert(_ db: Database, kind: Kind, fields: [FieldName: FieldValue]) throws {
        next += 1
        var blob: [UInt8] = []
        for (name, value) in fields.sorted(by: { $0.key < $1.key }) {
            blob.append(contentsOf: name.rawValue.utf8)
            blob.append(0x3D)
            blob.append(contentsOf: value.displayText.utf8)
            blob.append(0x0A)
        }
        try db.cachedStatement(sql: "INSERT INTO entry (id, kind, fields) VALUES (?, ?, ?)").execute(arguments: ["plain-\(next)", kind.rawValue, Data(blob)])
        let num = db.lastInsertedRowID
        let index = try db.cachedStatement(sql: "INSERT INTO field_index (name, kind, value, record, fold) VALUES (?, ?, ?, ?, ?)")
        for (name, value) in fields {
            let stored: (any DatabaseValueConvertible)?
            switch value {
            case .text(let s): stored = s
            case .integer(let n): stored = n
            case .decimal(let d): stored = d.approximation
            case .boolean(let b): stored = Data([b ? 1 : 0])
            case .null: stored = nil
            }
            if let stored { try index.execute(arguments: [name.rawValue, kind.rawValue, stored, num, Store.indexFold(of: value)]) }
            if stored != nil, kindFields.insert(kind.rawValue + "." + name.rawValue).inserted {
                try db.cachedStatement(sql: "INSERT OR IGNORE INTO kind_field (kind, name) VALUES (?, ?)").execute(arguments: [kind.rawValue, name.rawValue])
            }
        }
        if let text = Store.searchText(of: fields) {
            try db.cachedStatement(sql: "INSERT INTO entry_text (rowid, body) VALUES (?, ?)").execute(arguments: [num, text])
        }
    }
}
