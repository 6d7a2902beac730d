-- Daftar store, schema 2: the peers a node syncs with.

-- Nodes this node accepts as a sync server: their role and a hash of their token (never the
-- token itself).
CREATE TABLE peer_node (
    node TEXT PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('office', 'relay')),
    token_hash BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER,
    last_seen INTEGER,
    last_knowledge BLOB
) WITHOUT ROWID;

-- Servers this node syncs with as a client, and what it last learnt of each.
CREATE TABLE remote (
    name TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    token TEXT NOT NULL,
    ca_file TEXT,
    last_sync INTEGER,
    last_knowledge BLOB
) WITHOUT ROWID;

-- Tokens are looked up by their hash.
CREATE UNIQUE INDEX peer_node_by_token ON peer_node (token_hash);
