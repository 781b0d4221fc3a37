-- Co-building agreements (单位报到, 共建协议; PROTOCOL.md agreement.proposed/decided), on both
-- sides: the proposer (a co-building unit, 楼e家 alliance or new-employment branch) and the
-- community. Each side keeps both signed messages as sent or received: together they are the
-- agreement, signed by both.
CREATE TABLE agreements (
    proposer_org TEXT NOT NULL,
    id TEXT NOT NULL,
    community_org TEXT NOT NULL,
    title TEXT NOT NULL,
    -- JSON list of offer category wire names.
    resources TEXT NOT NULL,
    services TEXT NOT NULL,
    -- The term, Unix seconds.
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    note TEXT,
    status TEXT NOT NULL,
    decision_note TEXT,
    proposal_jws TEXT NOT NULL,
    decision_jws TEXT,
    proposed_ms BIGINT NOT NULL,
    decided_ms BIGINT,
    PRIMARY KEY (proposer_org, id)
);
CREATE INDEX agreements_by_community ON agreements (community_org);
