-- 服务登记: a member's service outside any activity, recorded at their home and sent to the
-- community they reported to, which approves or declines it. An approved one is attested like
-- a check-in (a checkins row whose id is this one's), and credited at home from that.
CREATE TABLE service_logs (
    home_org TEXT NOT NULL,
    id TEXT NOT NULL,
    community_org TEXT NOT NULL,
    mref TEXT NOT NULL,
    -- At the home only.
    member_id TEXT,
    what TEXT NOT NULL,
    category TEXT NOT NULL,
    grid TEXT,
    started_at BIGINT NOT NULL,
    ended_at BIGINT NOT NULL,
    minutes BIGINT NOT NULL,
    -- pending, approved, declined
    status TEXT NOT NULL,
    note TEXT,
    logged_ms BIGINT NOT NULL,
    decided_ms BIGINT,
    PRIMARY KEY (home_org, id)
);
CREATE INDEX service_logs_by_member ON service_logs (member_id);
CREATE INDEX service_logs_by_community ON service_logs (community_org, status);

-- 表现反馈: a community's signed evaluation of a reporting member for a period, kept by the
-- community that sent it and the member's home that received it.
CREATE TABLE feedback (
    community_org TEXT NOT NULL,
    id TEXT NOT NULL,
    mref TEXT NOT NULL,
    -- At the home only.
    member_id TEXT,
    period_starts_at BIGINT NOT NULL,
    period_ends_at BIGINT NOT NULL,
    minutes BIGINT NOT NULL,
    activities BIGINT NOT NULL,
    grade TEXT NOT NULL,
    evaluation TEXT NOT NULL,
    -- A later feedback for the same member and period replaces this one.
    superseded BOOLEAN NOT NULL,
    -- The signed feedback.sent, as sent (community) or received (home).
    document TEXT NOT NULL,
    sent_ms BIGINT NOT NULL,
    PRIMARY KEY (community_org, id)
);
CREATE INDEX feedback_by_member ON feedback (member_id);
