-- Daftar store, schema 7: every record belongs to one scope, named by its creating change and
-- repeated by every later one. Records made before scopes are in scope general; their changes
-- keep their format-1 form and hashes.
ALTER TABLE record ADD COLUMN scope TEXT NOT NULL DEFAULT 'general';
