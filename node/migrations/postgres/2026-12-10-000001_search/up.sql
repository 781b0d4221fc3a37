-- Text search over offers and needs (store/search.rs): each listing's distinct characters and
-- character pairs, hex-encoded, in a GIN-indexed array. Filled by the node on every write and,
-- for listings written before this migration, when it starts.
CREATE TABLE search_grams (
    listing TEXT NOT NULL,
    org_id TEXT NOT NULL,
    id TEXT NOT NULL,
    grams TEXT[] NOT NULL,
    PRIMARY KEY (listing, org_id, id)
);
CREATE INDEX search_grams_by_gram ON search_grams USING gin (grams);
