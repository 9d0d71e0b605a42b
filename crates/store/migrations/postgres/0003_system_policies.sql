-- System policies (docs/system-policies.md): rows of `policies` with no account, whose fixed id,
-- name, URN, description and document the server hands to the store at every start
-- (`Store::sync_system_policies`). The URN of a system policy is stored (its name may hold
-- spaces, which a URN cannot); custom policies keep theirs computed (`iam::<account>:policy:<name>`).
-- PostgreSQL version of ../sqlite/0003_system_policies.sql.
ALTER TABLE policies ADD COLUMN urn TEXT;

-- Backstops behind the store's own checks: a policy is `system` exactly when it has no account,
-- and no write turns one kind into the other or moves a policy to another account.
-- (SQLite triggers with RAISE(ABORT, ...); SQLite's `IS NOT` is `IS DISTINCT FROM` here.)
CREATE FUNCTION policies_type_matches_account() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a policy is system exactly when it belongs to no account';
END;
$$;
CREATE TRIGGER policies_type_matches_account BEFORE INSERT ON policies
FOR EACH ROW WHEN ((NEW.account_id IS NULL) <> (NEW.policy_type = 'system'))
EXECUTE FUNCTION policies_type_matches_account();

CREATE FUNCTION policies_type_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the type and account of a policy cannot change';
END;
$$;
CREATE TRIGGER policies_type_fixed BEFORE UPDATE OF account_id, policy_type ON policies
FOR EACH ROW WHEN (NEW.policy_type IS DISTINCT FROM OLD.policy_type
                   OR NEW.account_id IS DISTINCT FROM OLD.account_id)
EXECUTE FUNCTION policies_type_fixed();

-- The account of the attached principal, so that what one account sees of a system policy (its
-- attachment count, `only_attached`, its attached entities) counts only its own principals.
ALTER TABLE policy_attachments ADD COLUMN account_id TEXT;
UPDATE policy_attachments SET account_id = CASE principal_type
    WHEN 'user' THEN (SELECT account_id FROM users WHERE id = principal_id)
    WHEN 'group' THEN (SELECT account_id FROM groups WHERE id = principal_id)
    ELSE (SELECT account_id FROM agencies WHERE id = principal_id) END;
CREATE INDEX policy_attachments_policy_account ON policy_attachments (policy_id, account_id);
