DROP INDEX needs_by_due;
ALTER TABLE claims DROP COLUMN contact_phone;
ALTER TABLE claims DROP COLUMN contact_address;
ALTER TABLE claims DROP COLUMN contact_addressee;
ALTER TABLE claims DROP COLUMN done_summary;
ALTER TABLE claims DROP COLUMN done_ms;
ALTER TABLE needs DROP COLUMN external_ref;
ALTER TABLE needs DROP COLUMN addressee;
ALTER TABLE needs DROP COLUMN household_id;
