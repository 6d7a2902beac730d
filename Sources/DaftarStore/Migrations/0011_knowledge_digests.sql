-- Daftar store, schema 11: knowledge crosses the wire as a digest per scope, with entries only
-- where the peer's copy differs. `sent_knowledge` is the knowledge this node sent in its last
-- exchange with the remote that was answered: the base its next request's knowledge is sent
-- against. (A server keeps the other side in `peer_node.last_knowledge`: what each node's last
-- answered request said it held, whole.)
ALTER TABLE remote ADD COLUMN sent_knowledge BLOB;
