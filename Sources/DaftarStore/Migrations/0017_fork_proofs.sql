-- Daftar store, schema 17: forks as proofs (DESIGN's definition of a fork).
-- A fork is kept per chain (origin, scope) with its proof: two signed runs of change headers
-- (JSON), checked before it was kept. Forks kept before proofs existed have the scope '' (the
-- whole origin, as they were) and no proof; recovery ends them as before.
CREATE TABLE fork_by_chain (
    origin TEXT NOT NULL,
    scope TEXT NOT NULL,
    seq INTEGER NOT NULL,                      -- the lowest seq at which the two runs differ
    local_hash BLOB NOT NULL,
    remote_hash BLOB NOT NULL,
    proof BLOB,
    proof_scopes TEXT NOT NULL DEFAULT '',     -- the scopes the proof's headers name, space-separated
    detected_at INTEGER NOT NULL,
    PRIMARY KEY (origin, scope)
) WITHOUT ROWID;
INSERT INTO fork_by_chain (origin, scope, seq, local_hash, remote_hash, proof, detected_at)
    SELECT origin, '', seq, local_hash, remote_hash, NULL, detected_at FROM fork;
DROP TABLE fork;
ALTER TABLE fork_by_chain RENAME TO fork;
-- Forks recovered here (fork keep, fork discard) that were kept with a proof: the same proof,
-- sent again by a peer that has not recovered yet, is not kept again.
CREATE TABLE fork_recovered (
    origin TEXT NOT NULL,
    seq INTEGER NOT NULL,
    first_hash BLOB NOT NULL,
    second_hash BLOB NOT NULL,
    recovered_at INTEGER NOT NULL,
    PRIMARY KEY (origin, seq, first_hash, second_hash)
) WITHOUT ROWID;
