-- Activities and service posts (activity.published), as every node holds them; the host also
-- keeps the secret its check-in QR codes are made with.
CREATE TABLE activities (
    host_org TEXT NOT NULL,
    id TEXT NOT NULL,
    category TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    place TEXT NOT NULL,
    grid TEXT,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    capacity BIGINT NOT NULL,
    -- JSON list of skill wire names wanted.
    skills TEXT NOT NULL,
    mode TEXT NOT NULL,
    status TEXT NOT NULL,
    -- Why it was cancelled.
    note TEXT,
    -- At the host only: hex secret of the rotating check-in codes.
    qr_secret TEXT,
    published_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL,
    PRIMARY KEY (host_org, id)
);
CREATE INDEX activities_by_start ON activities (starts_at);

-- Sign-ups, on both sides: at the member's home (member_id set) and at the host (only what
-- the member shared; the contact details once the member confirmed the placement).
CREATE TABLE signups (
    home_org TEXT NOT NULL,
    id TEXT NOT NULL,
    host_org TEXT NOT NULL,
    activity_id TEXT NOT NULL,
    mref TEXT NOT NULL,
    member_id TEXT,
    display_name TEXT,
    skills TEXT NOT NULL,
    status TEXT NOT NULL,
    note TEXT,
    contact_name TEXT,
    contact_phone TEXT,
    requested_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL,
    PRIMARY KEY (home_org, id)
);
CREATE INDEX signups_by_activity ON signups (host_org, activity_id, status);
CREATE INDEX signups_by_member ON signups (member_id);
CREATE INDEX signups_by_mref ON signups (host_org, mref);

-- Check-ins: at the host from check-in to attestation; at the home, every attestation received
-- (the service record). Never deleted or rewritten: a correction is a new row naming the one it
-- replaces, which the home then marks superseded.
CREATE TABLE checkins (
    host_org TEXT NOT NULL,
    id TEXT NOT NULL,
    activity_id TEXT,
    mref TEXT NOT NULL,
    member_id TEXT,
    category TEXT NOT NULL,
    mode TEXT NOT NULL,
    checked_in_at BIGINT NOT NULL,
    checked_out_at BIGINT,
    minutes BIGINT,
    closed_by_host BOOLEAN NOT NULL,
    corrects TEXT,
    superseded BOOLEAN NOT NULL,
    -- The signed checkin.attested, as sent (host) or received (home).
    attestation TEXT,
    created_ms BIGINT NOT NULL,
    PRIMARY KEY (host_org, id)
);
CREATE INDEX checkins_by_member ON checkins (member_id);
CREATE INDEX checkins_by_activity ON checkins (host_org, activity_id);
