-- A member taking a micro-wish on themselves through their home (need.claimed with `member`):
-- at the home, which member (`member_id`); at both ends, their pairwise reference with the
-- need's owner and how they are addressed, if they share it.
ALTER TABLE claims ADD COLUMN member_id TEXT;
ALTER TABLE claims ADD COLUMN mref TEXT;
ALTER TABLE claims ADD COLUMN member_name TEXT;
CREATE INDEX claims_by_member ON claims (member_id);

-- Where a member works (a community on the roster and its grid), beside where they live: an
-- emergency calls members who live or work in its area.
ALTER TABLE members ADD COLUMN work_org TEXT;
ALTER TABLE members ADD COLUMN work_grid TEXT;

-- 楼栋: the buildings of a community's grids, in its care ledger (never sent); a household may
-- name the building it lives in.
CREATE TABLE buildings (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    grid TEXT,
    head TEXT,
    created_ms BIGINT NOT NULL
);
ALTER TABLE households ADD COLUMN building_id TEXT;
