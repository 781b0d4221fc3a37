-- 结对帮扶: the community's care ledger (households it looks after: 独居老人, 困难家庭 …). It
-- never leaves the community: a pairing names the household to the member's home only by
-- its label.
CREATE TABLE households (
    id TEXT PRIMARY KEY,
    label TEXT NOT NULL,
    name TEXT NOT NULL,
    address TEXT NOT NULL,
    phone TEXT,
    grid TEXT,
    situation TEXT NOT NULL,
    created_ms BIGINT NOT NULL
);

-- A member paired with a household: kept by the community that started it and by the
-- member's home that received pairing.started.
CREATE TABLE pairings (
    community_org TEXT NOT NULL,
    id TEXT NOT NULL,
    mref TEXT NOT NULL,
    -- At the home only.
    member_id TEXT,
    -- At the community only.
    household_id TEXT,
    household_label TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    ended_ms BIGINT,
    end_reason TEXT,
    PRIMARY KEY (community_org, id)
);
CREATE INDEX pairings_by_member ON pairings (member_id);
CREATE INDEX pairings_by_household ON pairings (household_id);
