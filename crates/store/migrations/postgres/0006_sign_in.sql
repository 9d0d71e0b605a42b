-- Sign-in for people: login profiles (passwords), the account's password and login policies,
-- virtual MFA devices, failed sign-in counters and IAM v3 tokens (also the console's sessions).
-- PostgreSQL version of ../sqlite/0006_sign_in.sql:
-- INTEGER is BIGINT (booleans stay BIGINT 0/1, with their CHECKs), BLOB is BYTEA.

-- A user's password (Argon2id PHC string). Deleting the user deletes it.
CREATE TABLE login_profiles (
    user_id                 TEXT PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    password_hash           TEXT NOT NULL,
    password_reset_required BIGINT NOT NULL,
    password_changed_at     TEXT NOT NULL,
    -- NULL: the password does not expire
    password_expires_at     TEXT,
    created_at              TEXT NOT NULL
);

-- Previous password hashes, for the password policy's reuse prevention (the newest 24 kept).
CREATE TABLE password_history (
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    password_hash TEXT NOT NULL,
    changed_at    TEXT NOT NULL,
    seq           BIGINT NOT NULL,
    PRIMARY KEY (user_id, seq)
);

-- An account's password and login policies as JSON (members the server validated); no row or
-- NULL: the defaults.
CREATE TABLE security_policies (
    account_id      TEXT PRIMARY KEY NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    password_policy TEXT,
    login_policy    TEXT,
    updated_at      TEXT NOT NULL
);

-- Virtual MFA devices: created for a user, enabled by two successive codes. The seed is
-- encrypted with the master key like secret keys. `last_step` is the last TOTP step accepted
-- (each code is accepted once).
CREATE TABLE mfa_devices (
    serial_number   TEXT PRIMARY KEY NOT NULL,
    account_id      TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    seed_nonce      BYTEA NOT NULL,
    seed_ciphertext BYTEA NOT NULL,
    enabled         BIGINT NOT NULL,
    last_step       BIGINT NOT NULL DEFAULT 0,
    created_at      TEXT NOT NULL,
    UNIQUE (account_id, name)
);
CREATE INDEX mfa_devices_user ON mfa_devices (user_id);

-- Sign-in state of a user: failures in the current counting window, lockout, last sign-in.
CREATE TABLE login_states (
    user_id          TEXT PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    failures         BIGINT NOT NULL DEFAULT 0,
    window_start     TEXT,
    locked_until     TEXT,
    last_login_at    TEXT
);

-- IAM v3 tokens and console sessions. Only the SHA-256 of the token is kept. A console
-- session also has the hash of its CSRF token and the time it was last used (idle timeout).
CREATE TABLE tokens (
    token_hash              TEXT PRIMARY KEY NOT NULL,
    account_id              TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    user_id                 TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    methods                 TEXT NOT NULL,
    project_id              TEXT,
    issued_at               TEXT NOT NULL,
    expires_at              TEXT NOT NULL,
    mfa_authn_at            TEXT,
    password_reset_required BIGINT NOT NULL DEFAULT 0,
    console                 BIGINT NOT NULL DEFAULT 0,
    csrf_hash               TEXT,
    last_used_at            TEXT NOT NULL
);
CREATE INDEX tokens_user ON tokens (user_id);
CREATE INDEX tokens_expires ON tokens (expires_at);
