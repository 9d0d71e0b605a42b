-- Enterprise projects (EPS) and ModelArts workspaces, registries modelarts-iam owns
-- (docs/workspaces.md).
--
-- The default enterprise project `0` (`default`) and the default workspace `0` exist implicitly in
-- every account: they have no row and cannot be changed. `enterprise_project_id` of a workspace
-- is `0` or the id of a row of `enterprise_projects` of the same account (checked by the store in
-- the write transaction: SQL cannot reference the implicit `0`).
-- PostgreSQL version of ../sqlite/0005_enterprise_projects_and_workspaces.sql:
-- INTEGER is BIGINT (booleans stay BIGINT 0/1, with their CHECKs), BLOB is BYTEA.

CREATE TABLE enterprise_projects (
    id           TEXT PRIMARY KEY NOT NULL,             -- UUID, 36 characters
    account_id   TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    -- look-alike key (`iam_store::names::name_key`): unique per account, so names differ in more
    -- than letter case
    name_key     TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    status       BIGINT NOT NULL CHECK (status IN (1, 2)),   -- 1 enabled, 2 disabled
    type         TEXT NOT NULL CHECK (type IN ('prod', 'poc')),
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    UNIQUE (account_id, name_key),
    CHECK (id <> '0')
);
CREATE INDEX enterprise_projects_account ON enterprise_projects (account_id, created_at, id);

CREATE TABLE workspaces (
    id                    TEXT PRIMARY KEY NOT NULL,    -- 32 lower-case hex digits
    account_id            TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name                  TEXT NOT NULL,
    name_key              TEXT NOT NULL,
    description           TEXT NOT NULL DEFAULT '',
    -- the creator: an IAM user's id and name (empty id for an agency session)
    owner_user_id         TEXT NOT NULL,
    owner_name            TEXT NOT NULL,
    auth_type             TEXT NOT NULL CHECK (auth_type IN ('PUBLIC', 'PRIVATE', 'INTERNAL')),
    enterprise_project_id TEXT NOT NULL,
    status                TEXT NOT NULL,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL,
    UNIQUE (account_id, name_key),
    CHECK (id <> '0')
);
CREATE INDEX workspaces_account ON workspaces (account_id, created_at, id);
CREATE INDEX workspaces_enterprise_project ON workspaces (account_id, enterprise_project_id);

-- Users an INTERNAL workspace is shared with. Deleting the user or the workspace removes the
-- grant in the same transaction (cascade).
CREATE TABLE workspace_grants (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    user_type    TEXT NOT NULL CHECK (user_type IN ('IAM', 'FEDERATE', 'AGENCY')),
    granted_at   TEXT NOT NULL,
    PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX workspace_grants_user ON workspace_grants (user_id);

-- Quotas set on a workspace (`PUT .../quotas`); a resource without a row has its default.
-- `workspace_id` may be the implicit default workspace `0`, hence no reference to `workspaces`:
-- deleting a workspace deletes its rows in the same transaction.
CREATE TABLE workspace_quotas (
    account_id   TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL,
    resource     TEXT NOT NULL,
    quota        BIGINT NOT NULL,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (account_id, workspace_id, resource)
);
