-- modelarts-iam store schema (PostgreSQL), the same schema as ../sqlite/0001_init.sql.
-- Timestamps are RFC 3339 UTC strings with a fixed millisecond precision
-- ("2026-01-02T03:04:05.678Z") so that text order is time order.
-- Booleans are BIGINT 0/1 (not boolean: the store binds and decodes them as i64 through sqlx's
-- `Any` driver), with the same CHECKs as SQLite where it has them. JSON values are TEXT stored
-- verbatim. SQLite INTEGER is BIGINT, BLOB is BYTEA.
-- Text order: SQLite compares text bytewise (BINARY); create the database with the "C" collation
-- (scripts/pg-test-cluster does) for the same ORDER BY results.

-- Monotonic revision, bumped in the same transaction as every entity write.
CREATE TABLE store_meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value BIGINT NOT NULL
);
INSERT INTO store_meta (key, value) VALUES ('revision', 0);

-- Encrypted known plaintext used to detect a wrong master key at open.
CREATE TABLE key_check (
    id         BIGINT PRIMARY KEY NOT NULL CHECK (id = 1),
    nonce      BYTEA NOT NULL,
    ciphertext BYTEA NOT NULL
);

CREATE TABLE accounts (
    id         TEXT PRIMARY KEY NOT NULL,
    name       TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);

CREATE TABLE projects (
    id         TEXT PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    region     TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (account_id, region)
);

CREATE TABLE users (
    id           TEXT PRIMARY KEY NOT NULL,
    account_id   TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    enabled      BIGINT NOT NULL,
    is_root_user BIGINT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    UNIQUE (account_id, name)
);
CREATE INDEX users_account_created ON users (account_id, created_at, id);
-- exactly one root user per account is enforced by a partial unique index
CREATE UNIQUE INDEX users_one_root ON users (account_id) WHERE is_root_user = 1;

CREATE TABLE groups (
    id          TEXT PRIMARY KEY NOT NULL,
    account_id  TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    UNIQUE (account_id, name)
);
CREATE INDEX groups_account_created ON groups (account_id, created_at, id);

CREATE TABLE group_members (
    group_id TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    added_at TEXT NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members (user_id);

CREATE TABLE access_keys (
    access_key_id     TEXT PRIMARY KEY NOT NULL,
    user_id           TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status            TEXT NOT NULL CHECK (status IN ('active', 'inactive')),
    secret_nonce      BYTEA NOT NULL,
    secret_ciphertext BYTEA NOT NULL,
    created_at        TEXT NOT NULL
);
CREATE INDEX access_keys_user ON access_keys (user_id);

-- account_id is NULL for system policies (visible to every account).
CREATE TABLE policies (
    id              TEXT PRIMARY KEY NOT NULL,
    account_id      TEXT REFERENCES accounts (id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    path            TEXT NOT NULL DEFAULT '',
    policy_type     TEXT NOT NULL CHECK (policy_type IN ('custom', 'system')),
    default_version BIGINT NOT NULL,
    next_version    BIGINT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
-- Expression index, as in SQLite: NULL (system) accounts collide with each other on the name.
CREATE UNIQUE INDEX policies_account_name ON policies (COALESCE(account_id, ''), name);
CREATE INDEX policies_account_created ON policies (account_id, created_at, id);

CREATE TABLE policy_versions (
    policy_id  TEXT NOT NULL REFERENCES policies (id) ON DELETE CASCADE,
    version    BIGINT NOT NULL,
    document   TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (policy_id, version)
);

CREATE TABLE agencies (
    id                   TEXT PRIMARY KEY NOT NULL,
    account_id           TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name                 TEXT NOT NULL,
    path                 TEXT NOT NULL DEFAULT '',
    trust_policy         TEXT NOT NULL,
    max_session_duration BIGINT NOT NULL,
    description          TEXT NOT NULL DEFAULT '',
    created_at           TEXT NOT NULL,
    UNIQUE (account_id, name)
);
CREATE INDEX agencies_account_created ON agencies (account_id, created_at, id);

-- Identity-policy attachments; principal_type is user|group|agency. Rows of a deleted
-- principal are removed by the store in the same transaction (no polymorphic FK).
CREATE TABLE policy_attachments (
    policy_id      TEXT NOT NULL REFERENCES policies (id) ON DELETE RESTRICT,
    principal_type TEXT NOT NULL CHECK (principal_type IN ('user', 'group', 'agency')),
    principal_id   TEXT NOT NULL,
    attached_at    TEXT NOT NULL,
    PRIMARY KEY (principal_type, principal_id, policy_id)
);
CREATE INDEX policy_attachments_policy ON policy_attachments (policy_id);

-- Organizations.
CREATE TABLE organizations (
    id                    TEXT PRIMARY KEY NOT NULL,
    management_account_id TEXT NOT NULL UNIQUE REFERENCES accounts (id) ON DELETE RESTRICT,
    created_at            TEXT NOT NULL
);

CREATE TABLE org_roots (
    id              TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL UNIQUE REFERENCES organizations (id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    scp_enabled     BIGINT NOT NULL DEFAULT 0,
    created_at      TEXT NOT NULL
);

-- parent_id is a root id or an OU id.
CREATE TABLE org_units (
    id              TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    parent_id       TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    UNIQUE (parent_id, name)
);
CREATE INDEX org_units_org ON org_units (organization_id);

CREATE TABLE org_accounts (
    account_id      TEXT PRIMARY KEY NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    parent_id       TEXT NOT NULL,
    join_method     TEXT NOT NULL CHECK (join_method IN ('created', 'invited')),
    joined_at       TEXT NOT NULL
);
CREATE INDEX org_accounts_parent ON org_accounts (parent_id);

-- organization_id is NULL for builtin SCPs (FullAccess), shared by every organization.
CREATE TABLE scp_policies (
    id              TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT REFERENCES organizations (id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    policy_type     TEXT NOT NULL CHECK (policy_type IN ('service_control_policy', 'tag_policy')),
    content         TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    is_builtin      BIGINT NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
-- Expression index, as in SQLite: builtin SCPs (NULL organization) collide with each other.
CREATE UNIQUE INDEX scp_policies_org_name ON scp_policies (COALESCE(organization_id, ''), name);

INSERT INTO scp_policies (id, organization_id, name, policy_type, content, description, is_builtin, created_at, updated_at)
VALUES ('p-FullAccess', NULL, 'FullAccess', 'service_control_policy',
        '{"Version":"5.0","Statement":[{"Effect":"Allow","Action":["*"],"Resource":["*"]}]}',
        'Allows all operations (attached automatically when the SCP policy type is enabled)', 1,
        '1970-01-01T00:00:00.000Z', '1970-01-01T00:00:00.000Z');

-- target_type is root|organizational_unit|account.
CREATE TABLE scp_attachments (
    policy_id       TEXT NOT NULL REFERENCES scp_policies (id) ON DELETE RESTRICT,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    target_id       TEXT NOT NULL,
    target_type     TEXT NOT NULL CHECK (target_type IN ('root', 'organizational_unit', 'account')),
    attached_at     TEXT NOT NULL,
    PRIMARY KEY (target_id, policy_id)
);
CREATE INDEX scp_attachments_policy ON scp_attachments (policy_id);

-- Temporary credentials of agency sessions (STS AssumeAgency).
CREATE TABLE session_credentials (
    access_key_id       TEXT PRIMARY KEY NOT NULL,
    account_id          TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    agency_id           TEXT NOT NULL REFERENCES agencies (id) ON DELETE CASCADE,
    session_name        TEXT NOT NULL,
    secret_nonce        BYTEA NOT NULL,
    secret_ciphertext   BYTEA NOT NULL,
    security_token_hash TEXT NOT NULL UNIQUE,
    session_policy      TEXT,
    source_identity     TEXT,
    tags                TEXT NOT NULL DEFAULT '[]',
    caller_urn          TEXT NOT NULL,
    created_at          TEXT NOT NULL,
    expires_at          TEXT NOT NULL
);
CREATE INDEX session_credentials_expires ON session_credentials (expires_at);

-- ModelArts authorizations: which agency acts for which user (or all users) in a project.
-- user_key is a user id or the literal 'all'.
CREATE TABLE authorizations (
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_key   TEXT NOT NULL,
    agency_id  TEXT NOT NULL REFERENCES agencies (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    PRIMARY KEY (project_id, user_key)
);

-- Append-only decision log. (SQLite: INTEGER PRIMARY KEY AUTOINCREMENT.)
CREATE TABLE decision_log (
    id                    BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    at                    TEXT NOT NULL,
    principal_urn         TEXT,
    access_key_id         TEXT,
    action                TEXT NOT NULL,
    resource              TEXT,
    decision              TEXT NOT NULL,
    determining_policy    TEXT,
    determining_statement TEXT,
    layer                 TEXT,
    session               TEXT,
    agency_id             TEXT,
    request_id            TEXT,
    extra                 TEXT
);
CREATE INDEX decision_log_at ON decision_log (at);
CREATE INDEX decision_log_principal ON decision_log (principal_urn, id);
-- SQLite: BEFORE UPDATE / BEFORE DELETE row triggers doing RAISE(ABORT, ...); the same here,
-- through one trigger function. (TRUNCATE, which SQLite lacks, is not guarded.)
CREATE FUNCTION decision_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'decision log is append-only';
END;
$$;
CREATE TRIGGER decision_log_no_update BEFORE UPDATE ON decision_log
FOR EACH ROW EXECUTE FUNCTION decision_log_append_only();
CREATE TRIGGER decision_log_no_delete BEFORE DELETE ON decision_log
FOR EACH ROW EXECUTE FUNCTION decision_log_append_only();
