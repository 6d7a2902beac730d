-- Daftar store, schema 4: the field index and the full-text index move to a file of their own
-- beside the store (STORE-index), kept up to date from the change log on a second connection, so
-- that their upkeep runs beside the store's writes instead of inside them. The index file is
-- derived data and is built from the log when missing.
DROP TABLE field_index;
DROP TABLE record_text;
