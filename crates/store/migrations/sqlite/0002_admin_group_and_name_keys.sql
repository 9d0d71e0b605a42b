-- The account's built-in `admin` group and look-alike-proof name keys (docs/server.md, "Tenant
-- administrator" and "Names").

-- 1. System groups. `is_system` marks the account's built-in `admin` group (Huawei's default
-- group, created with the account): it cannot be renamed, modified or deleted, and being a member
-- of it (by group id, never by name) is what makes an IAM user a tenant administrator.
ALTER TABLE groups ADD COLUMN is_system INTEGER NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX groups_one_system ON groups (account_id) WHERE is_system = 1;

-- 2. Uniqueness keys: NFKC + lower case of the name (iam_store::names::name_key). The store fills
-- them on every insert and rename; rows written before this migration are filled by the store when
-- it opens the database (the key needs Unicode tables SQLite does not have). NULLs do not collide
-- in a UNIQUE index, so the indexes hold while those rows wait.
ALTER TABLE users ADD COLUMN name_key TEXT;
ALTER TABLE groups ADD COLUMN name_key TEXT;
ALTER TABLE agencies ADD COLUMN name_key TEXT;
ALTER TABLE policies ADD COLUMN name_key TEXT;
CREATE UNIQUE INDEX users_account_name_key ON users (account_id, name_key);
CREATE UNIQUE INDEX groups_account_name_key ON groups (account_id, name_key);
CREATE UNIQUE INDEX agencies_account_name_key ON agencies (account_id, name_key);
CREATE UNIQUE INDEX policies_account_name_key ON policies (COALESCE(account_id, ''), name_key);

-- 3. Existing accounts. A group already named `admin` was an ordinary group: anyone allowed to
-- create or rename groups could have made it (finding 6), so it is not promoted. It keeps its id,
-- members and policies under the name `admin-legacy-<id>`, and each account gets a new system
-- group `admin` whose only member is the root user (Huawei: the root user's group is `admin`).
UPDATE groups SET name = 'admin-legacy-' || id WHERE name = 'admin';
INSERT INTO groups (id, account_id, name, description, created_at, is_system, name_key)
SELECT lower(hex(randomblob(16))), id, 'admin',
       'Administrators of the account (built-in system group)',
       strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 1, 'admin'
FROM accounts;
INSERT INTO group_members (group_id, user_id, added_at)
SELECT g.id, u.id, g.created_at
FROM groups g JOIN users u ON u.account_id = g.account_id AND u.is_root_user = 1
WHERE g.is_system = 1;

-- 4. Backstops behind the store's own checks: no write can make a group a system group or
-- unmake one, rename a system group, or delete it while its account exists.
CREATE TRIGGER groups_system_flag_fixed BEFORE UPDATE OF is_system ON groups
WHEN NEW.is_system <> OLD.is_system
BEGIN SELECT RAISE(ABORT, 'the system flag of a group cannot change'); END;
CREATE TRIGGER groups_system_name_fixed BEFORE UPDATE OF name ON groups
WHEN OLD.is_system = 1 AND NEW.name <> OLD.name
BEGIN SELECT RAISE(ABORT, 'a system group cannot be renamed'); END;
CREATE TRIGGER groups_system_not_deleted BEFORE DELETE ON groups
WHEN OLD.is_system = 1 AND EXISTS (SELECT 1 FROM accounts WHERE id = OLD.account_id)
BEGIN SELECT RAISE(ABORT, 'a system group cannot be deleted'); END;
