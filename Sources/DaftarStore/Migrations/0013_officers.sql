-- Daftar store, schema 13: officers who sign in (DESIGN promise 18). An office keeps its
-- officers here, each with a passphrase hash from scrypt (the parameters kept with the hash, so
-- that they can be raised later). The first officer, made with the store, is its administrator;
-- the administrator adds and disables the others. An officer is never deleted: the changes
-- name them.
CREATE TABLE officer (
    name TEXT PRIMARY KEY,
    administrator INTEGER NOT NULL DEFAULT 0,
    kdf TEXT NOT NULL,
    salt BLOB NOT NULL,
    passphrase_hash BLOB NOT NULL,
    added_at INTEGER NOT NULL,
    added_by TEXT,
    disabled_at INTEGER,
    disabled_by TEXT
) WITHOUT ROWID;
-- Every sign-in, failed or not: failures are shown to the administrator and slow the next try.
CREATE TABLE sign_in (
    at INTEGER NOT NULL,
    officer TEXT NOT NULL,
    ok INTEGER NOT NULL
);
CREATE INDEX sign_in_by_officer ON sign_in (officer, at);
