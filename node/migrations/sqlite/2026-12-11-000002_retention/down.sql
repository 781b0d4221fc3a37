ALTER TABLE in_streams DROP COLUMN pruned_through;
