-- Daftar store, schema 5: what the store keeps about senders and clocks it distrusts, and the
-- generation of its change log that the index file must match.

-- Bumped, in the same transaction, whenever the change log is rewritten rather than appended to
-- (a fork recovery): an index made from another generation starts again from the whole log.
ALTER TABLE store ADD COLUMN log_generation INTEGER NOT NULL DEFAULT 0;

-- Changes whose stamps ran ahead of this node's clock by more than the allowed drift when they
-- arrived: a value they wrote that is shown over a concurrent one won by that clock alone.
CREATE TABLE skewed_change (
    origin TEXT NOT NULL,
    seq INTEGER NOT NULL,
    record INTEGER NOT NULL,
    skew_ms INTEGER NOT NULL,
    PRIMARY KEY (origin, seq)
) WITHOUT ROWID;
CREATE INDEX skewed_change_by_record ON skewed_change (record);

-- Nodes that sent changes they may not send in a way the operator must see (a relay sending
-- changes in this node's own name).
CREATE TABLE refused_sender (
    sender TEXT NOT NULL,
    origin TEXT NOT NULL,
    reason TEXT NOT NULL,
    times INTEGER NOT NULL,
    first_at INTEGER NOT NULL,
    last_at INTEGER NOT NULL,
    PRIMARY KEY (sender, origin, reason)
) WITHOUT ROWID;
