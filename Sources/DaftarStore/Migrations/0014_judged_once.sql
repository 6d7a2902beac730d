-- Daftar store, schema 14. `void_judged`: whether every change held has been judged against the
-- registry once; a store that came through schema 10 with a registry kept every change valid
-- there, and is judged at its first open for writing (then 1). `recomputed_pruned`: the position
-- below which rows of the `recomputed` queue were dropped; an index file that has not read that
-- far (a copy of an older index file) is made again from the log rather than trusted.
ALTER TABLE store ADD COLUMN void_judged INTEGER NOT NULL DEFAULT 0;
ALTER TABLE store ADD COLUMN recomputed_pruned INTEGER NOT NULL DEFAULT 0;
