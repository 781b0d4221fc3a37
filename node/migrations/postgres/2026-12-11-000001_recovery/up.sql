-- Present only in a database restored from a backup (`tongxin db backup`, `tongxin db restore`):
-- the node numbers nothing new on a stream of its own until its peers have told it how far
-- that stream had gone, and returned what it sent after the backup (PROTOCOL.md §7.9).
CREATE TABLE recovery (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    started_ms BIGINT NOT NULL
);

-- One row per peer and stream, once the peer answered (done_ms set by its last part).
CREATE TABLE recovery_answers (
    peer TEXT NOT NULL,
    stream TEXT NOT NULL,
    last_seq BIGINT NOT NULL,
    done_ms BIGINT,
    PRIMARY KEY (peer, stream)
);

-- Streams the node may number on again.
CREATE TABLE recovery_released (
    stream TEXT PRIMARY KEY NOT NULL,
    released_ms BIGINT NOT NULL
);
