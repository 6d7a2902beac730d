-- Daftar store, schema 1: the register of one node.
-- Marks the file as a Daftar store ('DAFT'), so that other SQLite files are told apart.
PRAGMA application_id = 1145128532;

-- The node this store is, and its clock. Exactly one row.
CREATE TABLE store (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    node TEXT NOT NULL,
    clock INTEGER NOT NULL DEFAULT 0,          -- the last HLC reading given out or taken in
    created_at INTEGER NOT NULL                -- wall time, milliseconds since 1970 UTC
);

-- Records as the merge rule leaves them. `state` holds every field's values with their stamps
-- and dots, conflict siblings included, the deleted flag's values and the version vector; it is
-- derived from the change log and can be rebuilt from it.
CREATE TABLE record (
    num INTEGER PRIMARY KEY,                   -- local row number, stable for the record's life
    id TEXT NOT NULL UNIQUE,                   -- the creating dot, e.g. fia-lahore-1042
    kind TEXT NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    conflict INTEGER NOT NULL DEFAULT 0,       -- 1 while concurrent writes left different values
    state BLOB NOT NULL
);
CREATE INDEX record_by_kind ON record (kind, deleted);
CREATE INDEX record_in_conflict ON record (conflict) WHERE conflict = 1;

-- Every shown (winning) non-null field value, so that any field is findable. Text is TEXT,
-- integers INTEGER, decimals REAL (for order only; equality is checked exactly), booleans the
-- one-byte BLOBs x'00' and x'01', so that each type sorts and compares only among its own.
CREATE TABLE field_index (
    name TEXT NOT NULL,
    value NOT NULL,
    record INTEGER NOT NULL,
    PRIMARY KEY (name, value, record)
) WITHOUT ROWID;

-- Full-text index over each record's text values, folded (case, Arabic and Urdu letter forms).
CREATE VIRTUAL TABLE record_text USING fts5 (body, tokenize = 'unicode61 remove_diacritics 2');

-- The append-only change log. `ord` is the local apply order, which respects causality; `body`
-- is the change's canonical encoding followed by its 32-byte content hash.
CREATE TABLE change (
    ord INTEGER PRIMARY KEY,
    origin TEXT NOT NULL,
    seq INTEGER NOT NULL,
    record INTEGER NOT NULL REFERENCES record (num),
    body BLOB NOT NULL
);
CREATE UNIQUE INDEX change_by_dot ON change (origin, seq);
CREATE INDEX change_by_record ON change (record, ord);

-- For each origin: the highest seq held, contiguous from 1, and that change's hash.
CREATE TABLE knowledge (
    origin TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    hash BLOB NOT NULL
) WITHOUT ROWID;

-- Origins whose stamps ran ahead of this node's clock by more than the allowed drift.
CREATE TABLE clock_warning (
    origin TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    skew_ms INTEGER NOT NULL,
    seen_at INTEGER NOT NULL
) WITHOUT ROWID;

-- Origins whose history here and elsewhere differ (a store copied by hand and used twice).
-- Their changes are refused until an operator resolves the fork.
CREATE TABLE fork (
    origin TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,                      -- the first seq whose content differs
    local_hash BLOB NOT NULL,
    remote_hash BLOB NOT NULL,
    detected_at INTEGER NOT NULL
) WITHOUT ROWID;
