-- Authentic, in-order messages of kinds this node does not act on yet (PROTOCOL.md §7.8):
-- their sequence number is consumed, and they are applied once the node learns the kind.
CREATE TABLE deferred (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    iss TEXT NOT NULL,
    jti TEXT NOT NULL,
    kind TEXT NOT NULL,
    jws TEXT NOT NULL,
    received_ms BIGINT NOT NULL,
    UNIQUE (iss, jti)
);
