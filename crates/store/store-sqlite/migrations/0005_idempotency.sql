-- Answers to requests that carry an idempotency key (a bid's), kept in the
-- database so that a retry landing on another server process still gets
-- the first answer.
--
-- A row is claimed (answer NULL) before its request is acted on, so two
-- requests with one key racing on two processes cannot both act; it takes
-- the answer once there is one. Rows expire and the server's purge job
-- deletes them. Bookkeeping, not audited: the act itself is in the
-- listing's event log.

CREATE TABLE request_answers (
    account_id  TEXT   NOT NULL REFERENCES users (id),
    -- The client's key, as sent.
    key         TEXT   NOT NULL,
    claimed_at  BIGINT NOT NULL,
    -- What the first request was answered, as the caller wrote it; NULL
    -- while that request is being acted on.
    answer      TEXT,
    answered_at BIGINT,
    expires_at  BIGINT NOT NULL,
    PRIMARY KEY (account_id, key)
) WITHOUT ROWID;

-- The purge job.
CREATE INDEX request_answers_expires_idx ON request_answers (expires_at);
