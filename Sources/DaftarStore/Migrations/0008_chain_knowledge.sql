-- Daftar store, schema 8: knowledge per chain. A chain is one origin's changes in one scope; its
-- row names the seq and hash of the last change held with every change of the chain before it,
-- and how many changes of the chain are held (seqs are global per origin, so a chain's seqs have
-- gaps and its head's seq does not count them). Every change held before is format 1, in scope
-- general, with seqs 1, 2, 3, ...: each origin's row becomes its general chain, holding seq changes.
CREATE TABLE chain_knowledge (
    origin TEXT NOT NULL,
    scope TEXT NOT NULL,
    seq INTEGER NOT NULL,
    hash BLOB NOT NULL,
    held INTEGER NOT NULL,
    PRIMARY KEY (origin, scope)
) WITHOUT ROWID;
INSERT INTO chain_knowledge (origin, scope, seq, hash, held) SELECT origin, 'general', seq, hash, seq FROM knowledge;
DROP TABLE knowledge;
ALTER TABLE chain_knowledge RENAME TO knowledge;
-- What each remote and each peer was last known to hold, kept as the knowledge document of the
-- sync protocol: per origin before, per scope then per origin now.
UPDATE remote SET last_knowledge = CASE WHEN json_valid(CAST(last_knowledge AS TEXT))
    THEN CAST(json_object('general', json(CAST(last_knowledge AS TEXT))) AS BLOB) END
    WHERE last_knowledge IS NOT NULL;
UPDATE peer_node SET last_knowledge = CASE WHEN json_valid(CAST(last_knowledge AS TEXT))
    THEN CAST(json_object('general', json(CAST(last_knowledge AS TEXT))) AS BLOB) END
    WHERE last_knowledge IS NOT NULL;
