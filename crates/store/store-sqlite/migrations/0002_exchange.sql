-- The land-use-right exchange: notices, listings and their event logs, the
-- ineligible list, deposit accounts and the bank's transactions.
--
-- Domain bodies (a notice's parcels, a listing's rules and public state) are
-- JSON text owned by the exchange crate; the typed columns beside them are
-- copies of what queries filter and sort on. There is deliberately no column
-- for the sealed reserve price.

CREATE TABLE notices (
    id                 TEXT    NOT NULL PRIMARY KEY,
    number             TEXT    NOT NULL,
    title              TEXT    NOT NULL,
    status             TEXT    NOT NULL
                       CHECK (status IN ('draft', 'published', 'terminated')),
    body_json          TEXT    NOT NULL,
    -- Optimistic concurrency: 1 on creation, +1 on every change.
    version            BIGINT  NOT NULL CHECK (version > 0),
    created_by         TEXT,
    created_at         BIGINT  NOT NULL,
    updated_at         BIGINT  NOT NULL,
    published_at       BIGINT,
    terminated_at      BIGINT,
    termination_reason TEXT,
    CONSTRAINT notices_number_key UNIQUE (number)
);

-- `list_notices` orders by publication (a draft by creation), newest first.
CREATE INDEX notices_sort_idx ON notices (COALESCE(published_at, created_at), id);

CREATE TABLE notice_supplements (
    id           TEXT   NOT NULL PRIMARY KEY,
    notice_id    TEXT   NOT NULL REFERENCES notices (id),
    number       TEXT   NOT NULL,
    text         TEXT   NOT NULL,
    published_at BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    CONSTRAINT notice_supplements_number_key UNIQUE (notice_id, number)
);

CREATE TABLE listings (
    id                   TEXT   NOT NULL PRIMARY KEY,
    notice_id            TEXT   NOT NULL REFERENCES notices (id),
    code                 TEXT   NOT NULL,
    location             TEXT   NOT NULL,
    land_use             TEXT   NOT NULL,
    district             TEXT   NOT NULL,
    start_price_fen      BIGINT NOT NULL,
    listing_start        BIGINT NOT NULL,
    listing_end          BIGINT NOT NULL,
    application_start    BIGINT NOT NULL,
    application_deadline BIGINT NOT NULL,
    -- Public rules and state: never the reserve.
    rules_json           TEXT   NOT NULL,
    summary_json         TEXT   NOT NULL,
    status               TEXT   NOT NULL,
    decided_at           BIGINT,
    created_at           BIGINT NOT NULL,
    -- The head of the listing's event log: the last entry's seq and hash
    -- (0 and 64 zeros when empty). An append checks and moves it in the transaction
    -- that writes the entries.
    log_seq              BIGINT NOT NULL DEFAULT 0 CHECK (log_seq >= 0),
    log_hash             TEXT   NOT NULL,
    CONSTRAINT listings_code_key UNIQUE (code)
);

CREATE INDEX listings_notice_idx ON listings (notice_id);
CREATE INDEX listings_start_idx ON listings (listing_start, code);
CREATE INDEX listings_status_start_idx ON listings (status, listing_start, code);

CREATE TABLE listing_events (
    listing_id TEXT   NOT NULL REFERENCES listings (id),
    seq        BIGINT NOT NULL CHECK (seq > 0),
    at         BIGINT NOT NULL,
    kind       TEXT   NOT NULL,
    -- JSON text, kept byte for byte: it is hashed as written.
    payload    TEXT   NOT NULL,
    prev_hash  TEXT   NOT NULL,
    hash       TEXT   NOT NULL,
    PRIMARY KEY (listing_id, seq)
) WITHOUT ROWID;

-- The log is append-only, like the audit log: its hash chain would show an
-- edit, and refusing one here stops it before a verifier has to.
CREATE TRIGGER listing_events_no_update BEFORE UPDATE ON listing_events
BEGIN
    SELECT RAISE(ABORT, 'listing_events is append-only');
END;

CREATE TRIGGER listing_events_no_delete BEFORE DELETE ON listing_events
BEGIN
    SELECT RAISE(ABORT, 'listing_events is append-only');
END;

-- Who takes part in which listing, for "my listings": an index kept beside
-- the log, written by the same appends. Not a foreign key to enterprises: a
-- bid must never fail on bookkeeping.
CREATE TABLE listing_participants (
    listing_id    TEXT NOT NULL REFERENCES listings (id),
    enterprise_id TEXT NOT NULL,
    role          TEXT NOT NULL,
    PRIMARY KEY (listing_id, enterprise_id, role)
) WITHOUT ROWID;

CREATE INDEX listing_participants_enterprise_idx
    ON listing_participants (enterprise_id, listing_id);

CREATE TABLE ineligible_parties (
    id           TEXT   NOT NULL PRIMARY KEY,
    credit_code  TEXT   NOT NULL,
    name         TEXT   NOT NULL,
    kind         TEXT   NOT NULL CHECK (kind IN ('arrears', 'default', 'blacklist')),
    reason       TEXT   NOT NULL,
    -- In force over [listed_from, listed_until), and until lifted_at.
    listed_from  BIGINT NOT NULL,
    listed_until BIGINT CHECK (listed_until IS NULL OR listed_until > listed_from),
    lifted_at    BIGINT,
    created_at   BIGINT NOT NULL
);

CREATE INDEX ineligible_parties_code_idx ON ineligible_parties (credit_code);
CREATE INDEX ineligible_parties_created_idx ON ineligible_parties (created_at, id);

CREATE TABLE deposit_accounts (
    account_no      TEXT   NOT NULL PRIMARY KEY,
    listing_id      TEXT   NOT NULL REFERENCES listings (id),
    application_ref TEXT   NOT NULL,
    enterprise_id   TEXT   NOT NULL,
    created_at      BIGINT NOT NULL,
    CONSTRAINT deposit_accounts_application_key UNIQUE (listing_id, application_ref)
);

-- Everything the bank reports, kept even when it names no account we know:
-- `account_no` is therefore not a foreign key.
CREATE TABLE bank_transactions (
    bank_txn_id   TEXT   NOT NULL PRIMARY KEY,
    account_no    TEXT   NOT NULL,
    listing_id    TEXT   REFERENCES listings (id),
    enterprise_id TEXT,
    amount_fen    BIGINT NOT NULL,
    payer_name    TEXT   NOT NULL,
    payer_account TEXT   NOT NULL,
    received_at   BIGINT NOT NULL,
    raw_body      TEXT   NOT NULL,
    recorded_at   BIGINT NOT NULL,
    outcome       TEXT   CHECK (outcome IN
                      ('credited', 'late', 'short', 'unknown_account', 'not_applied')),
    refund_due_at BIGINT,
    refunded_at   BIGINT
);

CREATE INDEX bank_transactions_listing_idx ON bank_transactions (listing_id, received_at);
CREATE INDEX bank_transactions_received_idx ON bank_transactions (received_at, bank_txn_id);
CREATE INDEX bank_transactions_refund_idx ON bank_transactions (refund_due_at)
    WHERE refund_due_at IS NOT NULL AND refunded_at IS NULL;
