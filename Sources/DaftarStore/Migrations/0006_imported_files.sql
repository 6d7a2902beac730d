-- Daftar store, schema 6: files imported into this store, by the SHA-256 of their bytes, so that
-- importing the same file again is noticed before it records every entry a second time.
CREATE TABLE imported_file (
    hash BLOB PRIMARY KEY,
    path TEXT NOT NULL,                        -- the path it was imported from, the last time
    entries INTEGER NOT NULL,
    imported_at INTEGER NOT NULL,              -- wall time, milliseconds since 1970 UTC
    officer TEXT NOT NULL
) WITHOUT ROWID;
