-- Daftar store, schema 16: key forks (DESIGN promise 17).
-- `key_fork`: a node that the registry binds to two keys, neither replacing the other by a
-- rotation: both statements (their record numbers), the first one held and the one that made
-- the fork. While a node's key is forked and not revoked, no further change of it is taken.
CREATE TABLE key_fork (
    node TEXT NOT NULL,
    first_record INTEGER NOT NULL,
    second_record INTEGER NOT NULL,
    detected_at INTEGER NOT NULL,
    PRIMARY KEY (node, second_record)
) WITHOUT ROWID;
