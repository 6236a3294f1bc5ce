-- The openings of a listing's secrets: the reserve's price and nonce, a
-- lottery seed, a sealed offer. The event log holds only their commitments,
-- so the server keeps the openings here to decide results after a restart.
--
-- Read by the trading desk and the officers' pages only; no public query
-- joins this table. Written once per commitment: a row is never changed or
-- removed, so a reserve that is changed is a new row under a new key.

CREATE TABLE listing_secrets (
    listing_id   TEXT   NOT NULL REFERENCES listings (id),
    kind         TEXT   NOT NULL
                 CHECK (kind IN ('reserve', 'lottery_seed', 'sealed_offer')),
    -- The commitment (or the seed's SHA-256), lowercase hex: public.
    key          TEXT   NOT NULL,
    -- The opening as JSON text: secret.
    opening_json TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    created_by   TEXT,
    PRIMARY KEY (listing_id, kind, key)
) WITHOUT ROWID;

CREATE TRIGGER listing_secrets_no_update BEFORE UPDATE ON listing_secrets
BEGIN
    SELECT RAISE(ABORT, 'listing_secrets is write-once');
END;

CREATE TRIGGER listing_secrets_no_delete BEFORE DELETE ON listing_secrets
BEGIN
    SELECT RAISE(ABORT, 'listing_secrets is write-once');
END;
