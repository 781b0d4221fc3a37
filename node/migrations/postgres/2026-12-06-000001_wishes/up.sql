-- 微心愿·我帮办 and deadlines along the organisation tree.
-- At the owner: the care-ledger household a micro-wish is for and how to address the person
-- (given to an accepted claimant only), and a reference in another system such as a 12345
-- ticket (published).
ALTER TABLE needs ADD COLUMN household_id TEXT;
ALTER TABLE needs ADD COLUMN addressee TEXT;
ALTER TABLE needs ADD COLUMN external_ref TEXT;
-- A claim's work reported done (need.done), and, at the claimant only, how to reach the person
-- the need is for while the accepted claim is being carried out.
ALTER TABLE claims ADD COLUMN done_ms BIGINT;
ALTER TABLE claims ADD COLUMN done_summary TEXT;
ALTER TABLE claims ADD COLUMN contact_addressee TEXT;
ALTER TABLE claims ADD COLUMN contact_address TEXT;
ALTER TABLE claims ADD COLUMN contact_phone TEXT;
CREATE INDEX needs_by_due ON needs (status, due);
