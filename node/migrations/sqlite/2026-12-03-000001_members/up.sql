-- Members whose home is this organisation (ARCHITECTURE.md, "Members across organisations"):
-- name, phone and the internal id live here only and are never sent.
CREATE TABLE members (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    -- How the member is addressed where they report (称呼, e.g. 张老师); the name stays here.
    display_name TEXT,
    phone TEXT NOT NULL,
    department TEXT,
    -- The community they live in (a roster org id) and their grid there.
    residence_org TEXT,
    grid TEXT,
    -- JSON lists of wire names (skills) and weekly slots (availability).
    skills TEXT NOT NULL,
    availability TEXT NOT NULL,
    emergency_ready BOOLEAN NOT NULL,
    -- Their sign-in here (users.username), once an admin gave them one.
    username TEXT UNIQUE,
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL
);
CREATE UNIQUE INDEX members_by_phone ON members (phone);

-- The key of pairwise member references (PROTOCOL.md §2.3). It is in the database, not a file,
-- so that a backup of the database keeps every reference hosts know stable.
CREATE TABLE member_key (
    id INTEGER PRIMARY KEY NOT NULL,
    secret_hex TEXT NOT NULL
);

-- 双报到 reports, on both sides: at the home (member_id set) and at the community (member_id
-- NULL, and only what the member chose to share).
CREATE TABLE reports (
    home_org TEXT NOT NULL,
    id TEXT NOT NULL,
    community_org TEXT NOT NULL,
    mref TEXT NOT NULL,
    member_id TEXT,
    display_name TEXT,
    skills TEXT NOT NULL,
    availability TEXT NOT NULL,
    grid TEXT,
    status TEXT NOT NULL,
    note TEXT,
    -- At the home: the community's signed report.decided, as received (the 报到证回执).
    receipt TEXT,
    submitted_ms BIGINT NOT NULL,
    decided_ms BIGINT,
    PRIMARY KEY (home_org, id)
);
CREATE INDEX reports_by_community ON reports (community_org, status);
CREATE INDEX reports_by_member ON reports (member_id);
