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

-- Needs and claims from before this history: what their rows still tell, with its times
-- (publication, claims, decisions, work reported done, escalation, fulfilment). A claim reopened
-- or a need edited before is not recorded, as no row kept when.
INSERT INTO need_events (need_org, need_id, at_ms, event, by_org)
    SELECT org_id, id, published_ms, 'published', org_id FROM needs;
INSERT INTO need_events (need_org, need_id, at_ms, event, by_org, claimant_org, claim_id, note)
    SELECT need_org, need_id, created_ms, 'claimed', claimant_org, claimant_org, id, note FROM claims;
INSERT INTO need_events (need_org, need_id, at_ms, event, by_org, claimant_org, claim_id, note)
    SELECT need_org, need_id, decided_ms,
           CASE WHEN status = 'declined' THEN 'declined' ELSE 'accepted' END,
           need_org, claimant_org, id, decision_note
    FROM claims WHERE decided_ms IS NOT NULL;
INSERT INTO need_events (need_org, need_id, at_ms, event, by_org, claimant_org, claim_id, note)
    SELECT need_org, need_id, done_ms, 'done', claimant_org, claimant_org, id, done_summary
    FROM claims WHERE done_ms IS NOT NULL;
INSERT INTO need_events (need_org, need_id, at_ms, event, by_org)
    SELECT n.org_id, n.id, e.escalated_ms, 'escalated', n.org_id
    FROM needs n JOIN need_escalations e ON e.need_id = n.id
    WHERE n.responsible_org <> n.org_id;
INSERT INTO need_events (need_org, need_id, at_ms, event, by_org, note)
    SELECT org_id, id, updated_ms, 'escalated', org_id, status_note FROM needs
    WHERE responsible_org <> org_id AND status = 'open'
      AND id NOT IN (SELECT need_id FROM need_escalations);
INSERT INTO need_events (need_org, need_id, at_ms, event, by_org, note)
    SELECT org_id, id, updated_ms, 'fulfilled', org_id, status_note FROM needs
    WHERE status = 'fulfilled';

-- Accounts can be disabled from the UI; a password change or a disable ends the tokens issued
-- before it (`tokens_after_ms`).
ALTER TABLE users ADD COLUMN disabled_ms BIGINT;
ALTER TABLE users ADD COLUMN tokens_after_ms BIGINT;
