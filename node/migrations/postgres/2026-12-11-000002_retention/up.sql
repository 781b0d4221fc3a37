-- Retention (deploy/README.md, "Retention"): rows of `received` older than the retention and
-- already in a daily archive are deleted. The highest sequence number deleted per stream is
-- kept here, so that an old message delivered again is still known for a duplicate.
ALTER TABLE in_streams ADD COLUMN pruned_through BIGINT NOT NULL DEFAULT 0;
