ALTER TABLE signups DROP COLUMN role;
ALTER TABLE signups DROP COLUMN post_id;
ALTER TABLE activities DROP COLUMN posts;
