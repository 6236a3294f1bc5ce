-- Accounts, sessions and the audit log.
--
-- Portable types: ids are UUID text, times are BIGINT microseconds since the
-- Unix epoch (UTC), JSON is TEXT; the same schema as the SQLite backend's.

CREATE TABLE enterprises (
    id            TEXT    NOT NULL PRIMARY KEY,
    name          TEXT    NOT NULL,
    credit_code   TEXT    NOT NULL,
    legal_rep     TEXT    NOT NULL,
    contact_name  TEXT    NOT NULL,
    contact_phone TEXT    NOT NULL,
    created_at    BIGINT  NOT NULL,
    CONSTRAINT enterprises_credit_code_key UNIQUE (credit_code)
);

CREATE TABLE users (
    id            TEXT    NOT NULL PRIMARY KEY,
    username      TEXT    NOT NULL,
    display_name  TEXT    NOT NULL,
    -- The role's code (`yiwang_core::Role::code`).
    role          TEXT    NOT NULL,
    phone         TEXT,
    enterprise_id TEXT    REFERENCES enterprises (id),
    -- An argon2id PHC string; never leaves the accounts code.
    password_hash TEXT    NOT NULL,
    active        BOOLEAN NOT NULL DEFAULT TRUE,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until  BIGINT,
    created_at    BIGINT  NOT NULL,
    last_login_at BIGINT,
    CONSTRAINT users_username_key UNIQUE (username)
);

-- `list_users` orders newest first, optionally within one role.
CREATE INDEX users_created_idx ON users (created_at, id);
CREATE INDEX users_role_created_idx ON users (role, created_at, id);
CREATE INDEX users_enterprise_idx ON users (enterprise_id);

CREATE TABLE sessions (
    -- SHA-256 (hex) of the cookie value; the value itself is never stored.
    id_hash      TEXT   NOT NULL,
    user_id      TEXT   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    client_addr  TEXT,
    user_agent   TEXT,
    CONSTRAINT sessions_id_hash_key PRIMARY KEY (id_hash)
);

-- Ending a user's sessions (disable, password change) and purging.
CREATE INDEX sessions_user_idx ON sessions (user_id);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);

CREATE TABLE audit_log (
    -- 1, 2, 3, … with no gaps; the chain's order. Appends are serialised by
    -- an advisory lock; the primary key is the backstop.
    seq         BIGINT  NOT NULL PRIMARY KEY CHECK (seq > 0),
    at          BIGINT  NOT NULL,
    actor_id    TEXT,
    actor_name  TEXT    NOT NULL,
    -- Byte-wise collation, so that the prefix filter is a plain range that
    -- the index serves, and means the same as on SQLite.
    action      TEXT    COLLATE "C" NOT NULL,
    object_kind TEXT    NOT NULL,
    object_id   TEXT    NOT NULL,
    -- JSON text, hashed exactly as stored.
    detail      TEXT    NOT NULL,
    client_addr TEXT,
    prev_hash   TEXT    NOT NULL,
    hash        TEXT    NOT NULL
);

-- `audit_query` filters: action prefix (a range on `action`), object, time.
CREATE INDEX audit_log_action_idx ON audit_log (action, seq);
CREATE INDEX audit_log_object_idx ON audit_log (object_kind, object_id, seq);
CREATE INDEX audit_log_at_idx ON audit_log (at);

-- The log is append-only: an edit would break the hash chain, and refusing it
-- here stops a careless UPDATE before `yiwang audit verify` has to find it.
CREATE FUNCTION audit_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;

CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
