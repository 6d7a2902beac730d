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
