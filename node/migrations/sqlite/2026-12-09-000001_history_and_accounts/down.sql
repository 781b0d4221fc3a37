DROP TABLE need_events;
ALTER TABLE users DROP COLUMN disabled_ms;
ALTER TABLE users DROP COLUMN tokens_after_ms;
