-- Delivery: what this node sent (kept for re-sends) and what it received.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    stream TEXT NOT NULL,
    seq BIGINT NOT NULL,
    jti TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    routing_key TEXT NOT NULL,
    jws TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    sent_ms BIGINT,
    UNIQUE (stream, seq)
);
CREATE INDEX outbox_unsent ON outbox (id) WHERE sent_ms IS NULL;

CREATE TABLE out_streams (
    stream TEXT PRIMARY KEY NOT NULL,
    last_seq BIGINT NOT NULL
);

-- One row per (sender, stream) this node receives: the applied head, and gap bookkeeping.
CREATE TABLE in_streams (
    iss TEXT NOT NULL,
    stream TEXT NOT NULL,
    last_seq BIGINT NOT NULL,
    known_head BIGINT NOT NULL,
    gap_since_ms BIGINT,
    sync_requested_ms BIGINT,
    last_applied_ms BIGINT,
    PRIMARY KEY (iss, stream)
);

-- Messages that arrived after a gap, waiting for the missing ones.
CREATE TABLE held (
    iss TEXT NOT NULL,
    stream TEXT NOT NULL,
    seq BIGINT NOT NULL,
    jws TEXT NOT NULL,
    received_ms BIGINT NOT NULL,
    PRIMARY KEY (iss, stream, seq)
);

-- Keyed by (iss, jti): one organisation cannot shadow another's message by reusing its jti.
CREATE TABLE received (
    iss TEXT NOT NULL,
    jti TEXT NOT NULL,
    stream TEXT NOT NULL,
    seq BIGINT NOT NULL,
    kind TEXT NOT NULL,
    jws TEXT NOT NULL,
    applied_ms BIGINT NOT NULL,
    PRIMARY KEY (iss, jti)
);
CREATE INDEX received_by_stream ON received (iss, stream, seq);

CREATE TABLE rejected (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    received_ms BIGINT NOT NULL,
    code TEXT NOT NULL,
    reason TEXT NOT NULL,
    iss TEXT,
    kind TEXT,
    jti TEXT,
    routing_key TEXT NOT NULL,
    user_id TEXT,
    raw TEXT NOT NULL
);

-- The newest CA-signed roster and CRL this node has accepted.
CREATE TABLE trust (
    name TEXT PRIMARY KEY NOT NULL,
    serial BIGINT NOT NULL,
    document TEXT NOT NULL,
    updated_ms BIGINT NOT NULL
);

CREATE TABLE users (
    username TEXT PRIMARY KEY NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    created_ms BIGINT NOT NULL
);

-- The alliance's offers (资源清单), needs (需求清单) and claims, as this node knows them.
CREATE TABLE offers (
    org_id TEXT NOT NULL,
    id TEXT NOT NULL,
    org_kind TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    category TEXT NOT NULL,
    capacity BIGINT NOT NULL,
    unit TEXT,
    skills TEXT NOT NULL,
    station TEXT,
    grids TEXT NOT NULL,
    available_until BIGINT,
    status TEXT NOT NULL,
    status_note TEXT,
    published_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL,
    PRIMARY KEY (org_id, id)
);
CREATE INDEX offers_by_time ON offers (published_ms);

CREATE TABLE needs (
    org_id TEXT NOT NULL,
    id TEXT NOT NULL,
    org_kind TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    level TEXT NOT NULL,
    grid TEXT,
    micro_wish TEXT,
    wanted TEXT,
    skills TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    due BIGINT,
    responsible_org TEXT NOT NULL,
    status TEXT NOT NULL,
    status_note TEXT,
    published_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL,
    PRIMARY KEY (org_id, id)
);
CREATE INDEX needs_by_time ON needs (published_ms);

CREATE TABLE claims (
    claimant_org TEXT NOT NULL,
    id TEXT NOT NULL,
    need_org TEXT NOT NULL,
    need_id TEXT NOT NULL,
    offer_id TEXT,
    note TEXT,
    status TEXT NOT NULL,
    decision_note TEXT,
    created_ms BIGINT NOT NULL,
    decided_ms BIGINT,
    PRIMARY KEY (claimant_org, id)
);
CREATE INDEX claims_by_need ON claims (need_org, need_id);
