-- 急时: emergencies as every node knows them (emergency.declared, emergency.closed). At a
-- home, `b_called_ms` is when it called its B holders.
CREATE TABLE emergencies (
    declarer_org TEXT NOT NULL,
    id TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    communities TEXT NOT NULL,
    grids TEXT NOT NULL,
    posts TEXT NOT NULL,
    starts_at BIGINT NOT NULL,
    answer_within_secs BIGINT NOT NULL,
    declared_ms BIGINT NOT NULL,
    b_called_ms BIGINT,
    closed_ms BIGINT,
    summary TEXT,
    PRIMARY KEY (declarer_org, id)
);

-- At a home: its members called for a post of an emergency, as A or B holders, and their answer.
CREATE TABLE emergency_calls (
    declarer_org TEXT NOT NULL,
    emergency_id TEXT NOT NULL,
    member_id TEXT NOT NULL,
    post_id TEXT NOT NULL,
    role TEXT NOT NULL,
    called_ms BIGINT NOT NULL,
    answered_ms BIGINT,
    available BOOLEAN,
    PRIMARY KEY (declarer_org, emergency_id, member_id)
);
CREATE INDEX emergency_calls_by_member ON emergency_calls (member_id);

-- At the declarer: who volunteered for which post (emergency.volunteered), in arrival order.
CREATE TABLE emergency_volunteers (
    emergency_id TEXT NOT NULL,
    mref TEXT NOT NULL,
    home_org TEXT NOT NULL,
    post_id TEXT NOT NULL,
    role TEXT NOT NULL,
    display_name TEXT,
    skills TEXT NOT NULL,
    received_ms BIGINT NOT NULL,
    PRIMARY KEY (emergency_id, mref)
);
