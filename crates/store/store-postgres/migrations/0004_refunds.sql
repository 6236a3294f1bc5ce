-- Deposits paid back (保证金退还), as the exchange's officers record them
-- from the bank's advice: which arrival, the bank's reference of the
-- refund transfer, when it was due and when the money went back.
--
-- Which deposits are due back follows from the listing's result (every
-- deposit but the winner's) and from the bank's callbacks (late or short
-- arrivals); only the payment is a new fact, and it is recorded once.
-- `bank_transactions.refunded_at` is set in the same transaction.

CREATE TABLE deposit_refunds (
    bank_txn_id  TEXT   NOT NULL REFERENCES bank_transactions (bank_txn_id),
    listing_id   TEXT   REFERENCES listings (id),
    amount_fen   BIGINT NOT NULL,
    due_at       BIGINT NOT NULL,
    bank_ref     TEXT   NOT NULL CHECK (bank_ref <> ''),
    paid_at      BIGINT NOT NULL,
    recorded_by  TEXT,
    recorded_at  BIGINT NOT NULL,
    CONSTRAINT deposit_refunds_bank_txn_id_key PRIMARY KEY (bank_txn_id)
);

CREATE INDEX deposit_refunds_listing_idx ON deposit_refunds (listing_id, paid_at);
