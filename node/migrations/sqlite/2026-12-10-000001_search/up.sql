-- Text search over offers and needs (store/search.rs): each listing's distinct characters and
-- character pairs, hex-encoded, in an FTS5 index. The rows are keyed through search_keys, whose
-- INTEGER PRIMARY KEY survives VACUUM (the listings' own rowids may not). Filled by the node
-- on every write and, for listings written before this migration, when it starts.
CREATE TABLE search_keys (
    key INTEGER PRIMARY KEY,
    listing TEXT NOT NULL,
    org_id TEXT NOT NULL,
    id TEXT NOT NULL,
    UNIQUE (listing, org_id, id)
);
CREATE VIRTUAL TABLE search_grams USING fts5(
    grams, tokenize = 'ascii', content = '', contentless_delete = 1, detail = none
);
