-- Compaction of the broadcast stream (PROTOCOL.md §7.10). A sender deletes from its outbox the
-- messages of objects closed before the retention: up to `out_streams.compacted_through` its
-- stream is compacted, and a re-send request reaching below is answered with what survives and
-- `sync.compacted` for each run that is gone. A receiver keeps in `in_streams.compacted_through`
-- the highest sequence number it passed over so.
ALTER TABLE out_streams ADD COLUMN compacted_through BIGINT NOT NULL DEFAULT 0;
ALTER TABLE in_streams ADD COLUMN compacted_through BIGINT NOT NULL DEFAULT 0;
