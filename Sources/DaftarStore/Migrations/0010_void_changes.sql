-- Daftar store, schema 10: void changes and hidden records.
-- A void change is held like any other (knowledge, dependencies, history, sync) but the register
-- is computed as if it were absent: by the registry, its origin had no write grant on its scope
-- at its seq. Which changes are void follows from the changes and the registry alone, and is
-- computed again whenever a registry statement changes an origin's grant.
ALTER TABLE change ADD COLUMN void INTEGER NOT NULL DEFAULT 0;
CREATE INDEX change_void ON change (origin, seq) WHERE void = 1;
-- Why a record is not an entry of the register here: 0 it is one; 1 a registry statement;
-- 2 the change that created it is void; 3 its scope was withdrawn from this node. Finds,
-- counts, searches and exports read hidden = 0 alone.
ALTER TABLE record ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0;
UPDATE record SET hidden = 1 WHERE scope = 'registry';
-- Records whose state was computed again without a new change of their own (a late registry
-- statement voided or restored changes of theirs): the index file reindexes them from here.
CREATE TABLE recomputed (
    pos INTEGER PRIMARY KEY,
    record INTEGER NOT NULL
);
-- The head of this node's own chain of a scope it deleted after the scope was withdrawn: the
-- chain's next change names it as its prev, and a write in the scope, once granted again, waits
-- until the chain has come back up to it.
CREATE TABLE kept_head (
    scope TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    hash BLOB NOT NULL
) WITHOUT ROWID;
-- Withdrawn scopes this node deleted, after a server holding the scope confirmed it held every
-- change of it this node held.
CREATE TABLE deleted_scope (
    scope TEXT PRIMARY KEY,
    deleted_at INTEGER NOT NULL,               -- wall time, milliseconds since 1970 UTC
    changes INTEGER NOT NULL,
    entries INTEGER NOT NULL,
    confirmed_by TEXT NOT NULL                 -- the server that held them all
) WITHOUT ROWID;
