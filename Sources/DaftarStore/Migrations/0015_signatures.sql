-- Daftar store, schema 15: signed chains (DESIGN promises 16 and 17).
-- `change.signature`: the origin's signature on the change that ends a signed run of its chain
-- (the key's fingerprint, 32 bytes, then the Ed25519 signature, 64 bytes); null on the others.
-- `store.root_key`: the root's public key, taken when the root was adopted (and checked against
-- the pinned fingerprint, if one was given).
-- `key_binding`: the registry's key statements made by the root, by the node they bind;
-- `valid_below`: for a key a rotation replaced, the first seq its signatures no longer cover.
-- `store.key_rotation`: this node's rotation not yet bound by the central node (JSON).
ALTER TABLE change ADD COLUMN signature BLOB;
ALTER TABLE store ADD COLUMN root_key BLOB;
ALTER TABLE store ADD COLUMN key_rotation BLOB;
-- `store.unsigned_covered`: whether the root has covered, by its own signatures, the changes it
-- held from before signatures (the migration statement of DESIGN promise 16; 1 once done).
ALTER TABLE store ADD COLUMN unsigned_covered INTEGER NOT NULL DEFAULT 0;
CREATE TABLE key_binding (
    node TEXT NOT NULL,
    fingerprint BLOB NOT NULL,
    key BLOB NOT NULL,
    record INTEGER NOT NULL,
    valid_below INTEGER,
    PRIMARY KEY (node, fingerprint)
) WITHOUT ROWID;
-- `remote.pin`: the root's fingerprint the operator pinned with `remote add ... --pin`.
ALTER TABLE remote ADD COLUMN pin TEXT;
