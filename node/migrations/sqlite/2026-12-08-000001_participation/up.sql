-- Participation reports (PROTOCOL.md §10).

-- At every producer: the reports it sent, each revision with its parts (the JWS, one per
-- line), so that it can tell whether its figures changed since (`digest`) and prove a check-in
-- included in one (the part holding the counterpart's root).
CREATE TABLE participation_sent (
    side TEXT NOT NULL,
    period TEXT NOT NULL,
    period_start BIGINT NOT NULL,
    revision BIGINT NOT NULL,
    report_id TEXT NOT NULL,
    digest TEXT NOT NULL,
    jws TEXT NOT NULL,
    sent_ms BIGINT NOT NULL,
    PRIMARY KEY (side, period, period_start, revision)
);

-- Reports count the check-ins of a period: by when they began.
CREATE INDEX checkins_by_host_and_time ON checkins (host_org, checked_in_at);
CREATE INDEX checkins_by_time ON checkins (checked_in_at);

-- At the owner of a need: when it went up to the street (counted as an escalation).
CREATE TABLE need_escalations (
    need_id TEXT PRIMARY KEY NOT NULL,
    escalated_ms BIGINT NOT NULL
);

-- At the organisation department: every part of every report received, as evidence.
CREATE TABLE participation_parts (
    iss TEXT NOT NULL,
    report_id TEXT NOT NULL,
    part BIGINT NOT NULL,
    side TEXT NOT NULL,
    period TEXT NOT NULL,
    period_start BIGINT NOT NULL,
    revision BIGINT NOT NULL,
    parts BIGINT NOT NULL,
    jti TEXT NOT NULL,
    body TEXT NOT NULL,
    jws TEXT NOT NULL,
    received_ms BIGINT NOT NULL,
    PRIMARY KEY (iss, report_id, part)
);
CREATE INDEX participation_parts_by_identity
    ON participation_parts (iss, side, period, period_start, revision);
CREATE INDEX participation_parts_by_jti ON participation_parts (jti);

-- The highest complete revision of each report, read by the dashboard: its totals ...
CREATE TABLE participation_current (
    iss TEXT NOT NULL,
    side TEXT NOT NULL,
    period TEXT NOT NULL,
    period_start BIGINT NOT NULL,
    revision BIGINT NOT NULL,
    report_id TEXT NOT NULL,
    k BIGINT NOT NULL,
    members BIGINT NOT NULL,
    members_reported BIGINT NOT NULL,
    members_active BIGINT NOT NULL,
    members_hosted BIGINT NOT NULL,
    reporting_members BIGINT NOT NULL,
    activities BIGINT NOT NULL,
    checkins BIGINT NOT NULL,
    minutes BIGINT NOT NULL,
    needs_fulfilled BIGINT NOT NULL,
    wishes_confirmed BIGINT NOT NULL,
    escalations BIGINT NOT NULL,
    emergency_posts BIGINT NOT NULL,
    emergency_posts_filled BIGINT NOT NULL,
    fill_secs TEXT NOT NULL,
    received_ms BIGINT NOT NULL,
    PRIMARY KEY (iss, side, period, period_start)
);
CREATE INDEX participation_current_by_period ON participation_current (period, period_start);

-- ... its cells (suppressed ones with no figures) ...
CREATE TABLE participation_cells (
    iss TEXT NOT NULL,
    side TEXT NOT NULL,
    period TEXT NOT NULL,
    period_start BIGINT NOT NULL,
    counterpart TEXT NOT NULL,
    category TEXT NOT NULL,
    mode TEXT NOT NULL,
    suppressed BOOLEAN NOT NULL,
    members BIGINT NOT NULL,
    checkins BIGINT NOT NULL,
    minutes BIGINT NOT NULL,
    PRIMARY KEY (iss, side, period, period_start, counterpart, category, mode)
);
CREATE INDEX participation_cells_by_period ON participation_cells (period, period_start);

-- ... the Merkle tree head of each counterpart ...
CREATE TABLE participation_roots (
    iss TEXT NOT NULL,
    side TEXT NOT NULL,
    period TEXT NOT NULL,
    period_start BIGINT NOT NULL,
    counterpart TEXT NOT NULL,
    checkins BIGINT NOT NULL,
    root TEXT NOT NULL,
    PRIMARY KEY (iss, side, period, period_start, counterpart)
);
-- Which reports name an organisation (the other side of its pairs).
CREATE INDEX participation_roots_by_counterpart
    ON participation_roots (period, period_start, side, counterpart);

-- ... and a host's grid breakdown.
CREATE TABLE participation_grids (
    iss TEXT NOT NULL,
    period TEXT NOT NULL,
    period_start BIGINT NOT NULL,
    grid TEXT NOT NULL,
    category TEXT NOT NULL,
    members BIGINT NOT NULL,
    checkins BIGINT NOT NULL,
    minutes BIGINT NOT NULL,
    PRIMARY KEY (iss, period, period_start, grid, category)
);
CREATE INDEX participation_grids_by_period ON participation_grids (period, period_start);

-- The cross-check of each (home, host, period) pair as it stands (agree, differ, pending),
-- with the reports compared (the jtis of their parts) ...
CREATE TABLE participation_pairs (
    period TEXT NOT NULL,
    period_start BIGINT NOT NULL,
    home TEXT NOT NULL,
    host TEXT NOT NULL,
    state TEXT NOT NULL,
    differences TEXT NOT NULL,
    home_jtis TEXT NOT NULL,
    host_jtis TEXT NOT NULL,
    updated_ms BIGINT NOT NULL,
    PRIMARY KEY (period, period_start, home, host)
);
CREATE INDEX participation_pairs_by_state ON participation_pairs (state, period, period_start);
CREATE INDEX participation_pairs_by_host ON participation_pairs (period, period_start, host);

-- ... and every flag ever raised, kept when a later revision clears it.
CREATE TABLE participation_flags (
    id TEXT PRIMARY KEY NOT NULL,
    period TEXT NOT NULL,
    period_start BIGINT NOT NULL,
    home TEXT NOT NULL,
    host TEXT NOT NULL,
    differences TEXT NOT NULL,
    home_jtis TEXT NOT NULL,
    host_jtis TEXT NOT NULL,
    raised_ms BIGINT NOT NULL,
    cleared_ms BIGINT
);
CREATE INDEX participation_flags_by_pair ON participation_flags (period, period_start, home, host);
