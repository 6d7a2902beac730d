-- Daftar store, schema 9: the registry. `root` is the central node whose registry statements
-- (grants) count here: the node itself once it writes a grant, or the server that said it is the
-- root when this node first synced with it directly. `default_scope` is where `add` puts entries
-- when the command names no scope and the grant names none either (`--scope` when the store was
-- made). Registry statements are records of scope `registry`, synced like any other.
ALTER TABLE store ADD COLUMN root TEXT;
ALTER TABLE store ADD COLUMN default_scope TEXT;
-- Which registry record holds each node's grant, so that a write, or a server's exchange, reads
-- one grant rather than every grant of a national registry.
CREATE TABLE grant_record (
    node TEXT PRIMARY KEY,
    record INTEGER NOT NULL REFERENCES record (num)
) WITHOUT ROWID;
