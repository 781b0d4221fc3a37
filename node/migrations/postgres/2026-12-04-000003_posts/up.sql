-- Service posts (岗位) within an activity, each held by a primary (A) and a backup (B) member
-- (AB角): the activity's posts as published (a JSON list of {post_id, title, skills}), and the
-- post and role a sign-up is for.
ALTER TABLE activities ADD COLUMN posts TEXT NOT NULL DEFAULT '[]';
ALTER TABLE signups ADD COLUMN post_id TEXT;
ALTER TABLE signups ADD COLUMN role TEXT;
