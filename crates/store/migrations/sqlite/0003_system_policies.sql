-- System policies (docs/system-policies.md): rows of `policies` with no account, whose fixed id,
-- name, URN, description and document the server hands to the store at every start
-- (`Store::sync_system_policies`). The URN of a system policy is stored (its name may hold
-- spaces, which a URN cannot); custom policies keep theirs computed (`iam::<account>:policy:<name>`).
ALTER TABLE policies ADD COLUMN urn TEXT;

-- Backstops behind the store's own checks: a policy is `system` exactly when it has no account,
-- and no write turns one kind into the other or moves a policy to another account.
CREATE TRIGGER policies_type_matches_account BEFORE INSERT ON policies
WHEN (NEW.account_id IS NULL) <> (NEW.policy_type = 'system')
BEGIN SELECT RAISE(ABORT, 'a policy is system exactly when it belongs to no account'); END;
CREATE TRIGGER policies_type_fixed BEFORE UPDATE OF account_id, policy_type ON policies
WHEN NEW.policy_type IS NOT OLD.policy_type OR NEW.account_id IS NOT OLD.account_id
BEGIN SELECT RAISE(ABORT, 'the type and account of a policy cannot change'); END;

-- The account of the attached principal, so that what one account sees of a system policy (its
-- attachment count, `only_attached`, its attached entities) counts only its own principals.
ALTER TABLE policy_attachments ADD COLUMN account_id TEXT;
UPDATE policy_attachments SET account_id = CASE principal_type
    WHEN 'user' THEN (SELECT account_id FROM users WHERE id = principal_id)
    WHEN 'group' THEN (SELECT account_id FROM groups WHERE id = principal_id)
    ELSE (SELECT account_id FROM agencies WHERE id = principal_id) END;
CREATE INDEX policy_attachments_policy_account ON policy_attachments (policy_id, account_id);
