-- The per-peer stream page counts what is kept by kind (GET /api/v1/streams): an index, not
-- a scan, when a node keeps many messages of a kind it does not act on.
CREATE INDEX deferred_by_kind ON deferred (kind);
