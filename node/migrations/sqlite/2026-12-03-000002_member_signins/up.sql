-- Sign-ins with a home organisation (PROTOCOL.md §4.7), at the host: one row per sign-in,
-- started when a visitor picks their home (the nonce, tied to their browser by a cookie) and
-- completed once the home's member token verified. The nonce is used once; the session is a
-- random secret in the visitor's cookie, stored here only as its SHA-256.
CREATE TABLE member_signins (
    nonce TEXT PRIMARY KEY NOT NULL,
    home_org TEXT NOT NULL,
    -- The page of this node to return to (a local path).
    next_path TEXT NOT NULL,
    started_ms BIGINT NOT NULL,
    -- Set once, when a token with this nonce was accepted.
    member_ref TEXT,
    -- What the member shared with this node in the token.
    display_name TEXT,
    skills TEXT,
    session_sha256 TEXT UNIQUE,
    signed_in_ms BIGINT,
    expires_ms BIGINT
);
CREATE INDEX member_signins_by_start ON member_signins (started_ms);
