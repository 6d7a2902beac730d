-- Daftar store, schema 12: the node's Ed25519 key. The private key is a file beside the store
-- (the store's path with `.key` added), readable by its owner alone and never in a backup; the
-- store keeps the public key, so that a key file of another store is never taken for its own.
ALTER TABLE store ADD COLUMN public_key BLOB;
