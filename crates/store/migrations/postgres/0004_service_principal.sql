-- The cloud service principal ModelArts (docs/agencies.md, "ModelArts acts with the agency").
-- PostgreSQL version of ../sqlite/0004_service_principal.sql:
-- INTEGER is BIGINT (booleans stay BIGINT 0/1, with their CHECKs), BLOB is BYTEA.

-- 1. Credentials of cloud services (`service.ModelArts`): an access key the platform backend
-- that plays the service signs with. The secret is encrypted at rest like users' keys. A service
-- has at most one key: rotating replaces it.
CREATE TABLE service_credentials (
    access_key_id     TEXT PRIMARY KEY NOT NULL,
    service           TEXT NOT NULL UNIQUE,
    secret_nonce      BYTEA NOT NULL,
    secret_ciphertext BYTEA NOT NULL,
    created_at        TEXT NOT NULL
);

-- 2. Sessions a service opened for a user under a ModelArts authorization: which authorization
-- row (project, user key) and which user. Changing or removing that authorization, or deleting
-- the user, revokes them in the same transaction.
ALTER TABLE session_credentials ADD COLUMN grant_project_id TEXT;
ALTER TABLE session_credentials ADD COLUMN grant_user_key TEXT;
ALTER TABLE session_credentials ADD COLUMN acting_for_user_id TEXT;
CREATE INDEX session_credentials_grant ON session_credentials (grant_project_id, grant_user_key);
CREATE INDEX session_credentials_acting_for ON session_credentials (acting_for_user_id);
