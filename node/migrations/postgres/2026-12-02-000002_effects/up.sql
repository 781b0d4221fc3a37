-- How many inbound messages of each kind took effect here: a second application of the same
-- message would show as one too many (the fault tests compare it with what was sent).
CREATE TABLE effects (
    kind TEXT PRIMARY KEY NOT NULL,
    applied BIGINT NOT NULL
);
