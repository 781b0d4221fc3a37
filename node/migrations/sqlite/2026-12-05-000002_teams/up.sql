-- 志愿服务队 (红色帮帮团, 老帮老, 共享爷爷奶奶 …): a community's teams of members who report there,
-- from several organisations. Kept by the community only.
CREATE TABLE teams (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    created_ms BIGINT NOT NULL
);

-- A team's members, by their accepted report at the community.
CREATE TABLE team_members (
    team_id TEXT NOT NULL,
    mref TEXT NOT NULL,
    home_org TEXT NOT NULL,
    report_id TEXT NOT NULL,
    added_ms BIGINT NOT NULL,
    PRIMARY KEY (team_id, mref)
);

-- An invitation to sign up together (signup.invited): as the community sent it (member_id NULL)
-- or the member's home received it.
CREATE TABLE invitations (
    host_org TEXT NOT NULL,
    id TEXT NOT NULL,
    activity_id TEXT NOT NULL,
    mref TEXT NOT NULL,
    -- At the home only.
    member_id TEXT,
    team TEXT NOT NULL,
    post_id TEXT,
    role TEXT,
    note TEXT,
    -- open, accepted, declined
    status TEXT NOT NULL,
    -- At the home, once accepted: the sign-up it became.
    signup_id TEXT,
    sent_ms BIGINT NOT NULL,
    PRIMARY KEY (host_org, id)
);
CREATE INDEX invitations_by_member ON invitations (member_id);
CREATE INDEX invitations_by_activity ON invitations (host_org, activity_id, mref);
