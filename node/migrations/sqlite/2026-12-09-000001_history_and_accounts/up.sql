-- What happened to a need, as this node learnt it (the need's page shows it as its history):
-- published, claimed, accepted, declined, done, reopened, fulfilled, escalated. `by_org` is the
-- organisation that did it; `claim_id` the claim it concerns (its claimant is `by_org` for
-- claimed and done, the need's owner for the owner's decisions).
CREATE TABLE need_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    need_org TEXT NOT NULL,
    need_id TEXT NOT NULL,
    at_ms BIGINT NOT NULL,
    event TEXT NOT NULL,
    by_org TEXT NOT NULL,
    claimant_org TEXT,
    claim_id TEXT,
    note TEXT
);
CREATE INDEX need_events_by_need ON need_events (need_org, need_id, at_ms);

-- Needs and claims from before this history: their publication and claims, with the times kept.
INSERT INTO need_events (need_org, need_id, at_ms, event, by_org)
    SELECT org_id, id, published_ms, 'published', org_id FROM needs;
INSERT INTO need_events (need_org, need_id, at_ms, event, by_org, claimant_org, claim_id, note)
    SELECT need_org, need_id, created_ms, 'claimed', claimant_org, claimant_org, id, note FROM claims;

-- Accounts can be disabled from the UI; a password change or a disable ends the tokens issued
-- before it (`tokens_after_ms`).
ALTER TABLE users ADD COLUMN disabled_ms BIGINT;
ALTER TABLE users ADD COLUMN tokens_after_ms BIGINT;
