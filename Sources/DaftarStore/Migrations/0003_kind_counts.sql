-- Daftar store, schema 3: entries per kind, kept as they change, so that counting by kind does
-- not walk a million index entries.
CREATE TABLE kind_count (
    kind TEXT PRIMARY KEY,
    live INTEGER NOT NULL DEFAULT 0,           -- entries not deleted
    total INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

INSERT INTO kind_count (kind, live, total)
SELECT kind, sum(deleted = 0), count(*) FROM record GROUP BY kind;
