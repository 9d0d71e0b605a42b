-- The account's built-in `admin` group and look-alike-proof name keys (docs/server.md, "Tenant
-- administrator" and "Names"). PostgreSQL version of ../sqlite/0002_admin_group_and_name_keys.sql.

-- 1. System groups. `is_system` marks the account's built-in `admin` group (Huawei's default
-- group, created with the account): it cannot be renamed, modified or deleted, and being a member
-- of it (by group id, never by name) is what makes an IAM user a tenant administrator.
-- (BIGINT 0/1 like every boolean of the store.)
ALTER TABLE groups ADD COLUMN is_system BIGINT NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX groups_one_system ON groups (account_id) WHERE is_system = 1;

-- 2. Uniqueness keys: NFKC + lower case of the name (iam_store::names::name_key). The store fills
-- them on every insert and rename; rows written before this migration are filled by the store when
-- it opens the database. NULLs do not collide in a UNIQUE index (PostgreSQL's default, NULLS
-- DISTINCT, as in SQLite), so the indexes hold while those rows wait.
ALTER TABLE users ADD COLUMN name_key TEXT;
ALTER TABLE groups ADD COLUMN name_key TEXT;
ALTER TABLE agencies ADD COLUMN name_key TEXT;
ALTER TABLE policies ADD COLUMN name_key TEXT;
CREATE UNIQUE INDEX users_account_name_key ON users (account_id, name_key);
CREATE UNIQUE INDEX groups_account_name_key ON groups (account_id, name_key);
CREATE UNIQUE INDEX agencies_account_name_key ON agencies (account_id, name_key);
-- Expression index, as in SQLite: system policies (NULL account) share one name-key space.
CREATE UNIQUE INDEX policies_account_name_key ON policies (COALESCE(account_id, ''), name_key);

-- 3. Existing accounts. A group already named `admin` was an ordinary group: anyone allowed to
-- create or rename groups could have made it (finding 6), so it is not promoted. It keeps its id,
-- members and policies under the name `admin-legacy-<id>`, and each account gets a new system
-- group `admin` whose only member is the root user (Huawei: the root user's group is `admin`).
-- SQLite's lower(hex(randomblob(16))) (32 lower-case hex digits) is the UUID without its dashes
-- here; strftime('%Y-%m-%dT%H:%M:%fZ', 'now') is to_char of the UTC time, milliseconds included.
UPDATE groups SET name = 'admin-legacy-' || id WHERE name = 'admin';
INSERT INTO groups (id, account_id, name, description, created_at, is_system, name_key)
SELECT replace(gen_random_uuid()::text, '-', ''), id, 'admin',
       'Administrators of the account (built-in system group)',
       to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 1, 'admin'
FROM accounts;
INSERT INTO group_members (group_id, user_id, added_at)
SELECT g.id, u.id, g.created_at
FROM groups g JOIN users u ON u.account_id = g.account_id AND u.is_root_user = 1
WHERE g.is_system = 1;

-- 4. Backstops behind the store's own checks: no write can make a group a system group or
-- unmake one, rename a system group, or delete it while its account exists.
-- (SQLite triggers with RAISE(ABORT, ...): row triggers calling PL/pgSQL functions here, the same
-- messages. A trigger's WHEN cannot hold a subquery in PostgreSQL, so the account check of the
-- delete backstop is in its function.)
CREATE FUNCTION groups_system_flag_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the system flag of a group cannot change';
END;
$$;
CREATE TRIGGER groups_system_flag_fixed BEFORE UPDATE OF is_system ON groups
FOR EACH ROW WHEN (NEW.is_system <> OLD.is_system)
EXECUTE FUNCTION groups_system_flag_fixed();

CREATE FUNCTION groups_system_name_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a system group cannot be renamed';
END;
$$;
CREATE TRIGGER groups_system_name_fixed BEFORE UPDATE OF name ON groups
FOR EACH ROW WHEN (OLD.is_system = 1 AND NEW.name <> OLD.name)
EXECUTE FUNCTION groups_system_name_fixed();

CREATE FUNCTION groups_system_not_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM accounts WHERE id = OLD.account_id) THEN
        RAISE EXCEPTION 'a system group cannot be deleted';
    END IF;
    RETURN OLD;
END;
$$;
CREATE TRIGGER groups_system_not_deleted BEFORE DELETE ON groups
FOR EACH ROW WHEN (OLD.is_system = 1)
EXECUTE FUNCTION groups_system_not_deleted();
