ALTER TABLE out_streams DROP COLUMN compacted_through;
ALTER TABLE in_streams DROP COLUMN compacted_through;
