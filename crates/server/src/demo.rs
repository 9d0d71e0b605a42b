//! `--demo`: a small organization, loaded by the start that creates the data directory's account
//! (later starts with `--demo` find it and print the same commands; an account created without
//! it never gets it), and three commands that show an allow, an explicit deny and an SCP deny.
//!
//! In the first account (the organization's management account):
//! - group `data-scientists` with the policy `modelarts-notebooks-and-training` (notebooks and
//!   training jobs), members `alice` and `bob`;
//! - `bob` also has `no-notebook-delete` (an explicit deny of `modelarts:notebook:delete`);
//! - `auditor` with `modelarts-read-only` (the `get`/`list` actions);
//! - the agency `modelarts-agency` trusting the ModelArts service, with an OBS read policy.
//!
//! In the member account `research-lab` (in the OU `research`): `carol` with
//! `modelarts-full` (every ModelArts action), bounded by the SCP `deny-training` attached to
//! `research`.

use std::net::SocketAddr;
use std::path::Path;

use iam_store::{NewAgency, NewPolicy, NewScp, NewUser, OrgPolicyType, PrincipalType, Store};
use serde_json::json;

use crate::documents::{DocumentKind, check_document};
use crate::serve::ServeError;
use crate::state::AppState;

/// The member account the demo creates.
pub const MEMBER_ACCOUNT: &str = "research-lab";

/// What the demo created (URNs for the walkthrough commands).
#[derive(Debug, Clone)]
pub struct Demo {
    /// `alice` (allowed to create notebooks).
    pub alice: String,
    /// `bob` (explicitly denied deleting notebooks).
    pub bob: String,
    /// `carol` in the member account (training denied by the SCP).
    pub carol: String,
}

fn doc(v: &serde_json::Value) -> Result<String, ServeError> {
    let text = v.to_string();
    // the demo documents go through the same validation as API writes
    check_document(&text, DocumentKind::Identity)
        .map_err(|e| ServeError::Bootstrap(e.message().to_owned()))?;
    Ok(text)
}

fn user(name: &str, description: &str) -> NewUser {
    NewUser {
        name: name.to_owned(),
        enabled: true,
        description: description.to_owned(),
    }
}

fn policy(name: &str, document: String, description: &str) -> NewPolicy {
    NewPolicy {
        name: name.to_owned(),
        document,
        path: String::new(),
        description: description.to_owned(),
    }
}

/// Creates the demo entities in `account_id` (the first account) in one serialised write.
pub async fn create(state: &AppState, account_id: &str) -> Result<Demo, ServeError> {
    let notebooks_and_training = doc(&json!({"Version": "5.0", "Statement": [
        {"Effect": "Allow", "Action": ["modelarts:notebook:*", "modelarts:trainJob:*"], "Resource": ["*"]}]}))?;
    let no_delete = doc(&json!({"Version": "5.0", "Statement": [
        {"Effect": "Deny", "Action": ["modelarts:notebook:delete"], "Resource": ["*"]}]}))?;
    let read_only = doc(&json!({"Version": "5.0", "Statement": [
        {"Effect": "Allow", "Action": ["modelarts:*:get*", "modelarts:*:list*"], "Resource": ["*"]}]}))?;
    let modelarts_full = doc(&json!({"Version": "5.0", "Statement": [
        {"Effect": "Allow", "Action": ["modelarts:*:*"], "Resource": ["*"]}]}))?;
    let obs_read = doc(&json!({"Version": "5.0", "Statement": [
        {"Effect": "Allow", "Action": ["obs:object:GetObject", "obs:bucket:ListBucket"], "Resource": ["*"]}]}))?;
    let deny_training = json!({"Version": "5.0", "Statement": [
        {"Effect": "Deny", "Action": ["modelarts:trainJob:*"], "Resource": ["*"]}]})
    .to_string();
    check_document(&deny_training, DocumentKind::Scp)
        .map_err(|e| ServeError::Bootstrap(e.message().to_owned()))?;
    let trust = json!({"Version": "5.0", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": ["service.ModelArts"]}, "Action": ["sts:agencies:assume"]}]})
    .to_string();
    check_document(&trust, DocumentKind::Trust)
        .map_err(|e| ServeError::Bootstrap(e.message().to_owned()))?;

    let account = account_id.to_owned();
    let region = state.region().to_owned();
    state
        .write(|s: Store| async move {
            // One transaction: the demo is loaded whole or not at all.
            let mut tx = s.begin().await?;
            let alice = tx
                .create_user(&account, &user("alice", "demo: data scientist"))
                .await?;
            let bob = tx
                .create_user(
                    &account,
                    &user("bob", "demo: data scientist who may not delete notebooks"),
                )
                .await?;
            let auditor = tx
                .create_user(&account, &user("auditor", "demo: read-only"))
                .await?;
            let group = tx
                .create_group(&account, "data-scientists", "demo: notebooks and training")
                .await?;
            tx.add_user_to_group(&group.id, &alice.id).await?;
            tx.add_user_to_group(&group.id, &bob.id).await?;
            let p = tx
                .create_policy(
                    &account,
                    &policy(
                        "modelarts-notebooks-and-training",
                        notebooks_and_training,
                        "demo",
                    ),
                )
                .await?;
            tx.attach_policy(&p.id, PrincipalType::Group, &group.id)
                .await?;
            let p = tx
                .create_policy(&account, &policy("no-notebook-delete", no_delete, "demo"))
                .await?;
            tx.attach_policy(&p.id, PrincipalType::User, &bob.id)
                .await?;
            let p = tx
                .create_policy(&account, &policy("modelarts-read-only", read_only, "demo"))
                .await?;
            tx.attach_policy(&p.id, PrincipalType::User, &auditor.id)
                .await?;
            let agency = tx
                .create_agency(
                    &account,
                    &NewAgency {
                        name: "modelarts-agency".to_owned(),
                        path: String::new(),
                        trust_policy: trust,
                        max_session_duration: None,
                        description: "demo: lets ModelArts read training data".to_owned(),
                    },
                )
                .await?;
            let p = tx
                .create_policy(&account, &policy("obs-read", obs_read, "demo"))
                .await?;
            tx.attach_policy(&p.id, PrincipalType::Agency, &agency.id)
                .await?;

            let (org, root) = tx.create_organization(&account).await?;
            tx.enable_policy_type(&root.id, OrgPolicyType::ServiceControlPolicy)
                .await?;
            let ou = tx.create_organizational_unit(&root.id, "research").await?;
            let (member, _root_user, _project) =
                tx.bootstrap_account(MEMBER_ACCOUNT, &region, None).await?;
            tx.add_created_account_to_organization(&org.id, &member.id, Some(&ou.id))
                .await?;
            let carol = tx
                .create_user(
                    &member.id,
                    &user("carol", "demo: researcher in a member account"),
                )
                .await?;
            let p = tx
                .create_policy(
                    &member.id,
                    &policy("modelarts-full", modelarts_full, "demo"),
                )
                .await?;
            tx.attach_policy(&p.id, PrincipalType::User, &carol.id)
                .await?;
            let scp = tx
                .create_scp(
                    &org.id,
                    &NewScp {
                        name: "deny-training".to_owned(),
                        policy_type: OrgPolicyType::ServiceControlPolicy,
                        content: deny_training,
                        description: "demo: no training jobs in research".to_owned(),
                    },
                )
                .await?;
            tx.attach_scp(&scp.id, &ou.id).await?;
            tx.commit().await?;
            Ok(Demo {
                alice: alice.urn,
                bob: bob.urn,
                carol: carol.urn,
            })
        })
        .await
        .map_err(|e| ServeError::Bootstrap(e.message().to_owned()))
}

/// The demo, when an earlier start loaded it into `account_id` (its users and its member
/// account exist).
async fn existing(store: &Store, account_id: &str) -> Result<Option<Demo>, ServeError> {
    let found = |r: Result<String, iam_store::StoreError>| match r {
        Ok(urn) => Ok(Some(urn)),
        Err(iam_store::StoreError::NotFound { .. }) => Ok(None),
        Err(e) => Err(ServeError::from(e)),
    };
    let alice = found(
        store
            .get_user_by_name(account_id, "alice")
            .await
            .map(|u| u.urn),
    )?;
    let bob = found(
        store
            .get_user_by_name(account_id, "bob")
            .await
            .map(|u| u.urn),
    )?;
    let carol = match found(
        store
            .get_account_by_name(MEMBER_ACCOUNT)
            .await
            .map(|a| a.id),
    )? {
        Some(member) => found(
            store
                .get_user_by_name(&member, "carol")
                .await
                .map(|u| u.urn),
        )?,
        None => None,
    };
    Ok(match (alice, bob, carol) {
        (Some(alice), Some(bob), Some(carol)) => Some(Demo { alice, bob, carol }),
        _ => None,
    })
}

/// Loads the demo data into `account_id` (the account this start created); returns the lines
/// to print (three ready-to-run commands).
pub async fn load(
    state: &AppState,
    account_id: &str,
    key_file: &Path,
    addr: SocketAddr,
) -> Result<Vec<String>, ServeError> {
    let demo = create(state, account_id).await?;
    console_passwords(state, account_id, key_file).await?;
    Ok(walkthrough(&demo, key_file, addr))
}

/// The file beside the root key that holds the demo's console password.
pub fn console_password_file(key_file: &Path) -> std::path::PathBuf {
    key_file.with_file_name(CONSOLE_PASSWORD_FILE)
}

/// Name of [`console_password_file`].
pub const CONSOLE_PASSWORD_FILE: &str = "demo-console-password.txt";

/// Gives the root user (`admin`) and `alice` one generated console password, written (0600)
/// to [`console_password_file`]: the demo's web console sign-in.
async fn console_passwords(
    state: &AppState,
    account_id: &str,
    key_file: &Path,
) -> Result<(), ServeError> {
    let boot = |e: crate::error::ApiError| ServeError::Bootstrap(e.message().to_owned());
    let password = {
        let token = crate::signin::new_token().map_err(boot)?;
        use secrecy::ExposeSecret as _;
        let letters: String = token
            .expose_secret()
            .chars()
            .skip(3)
            .filter(char::is_ascii_alphanumeric)
            .take(12)
            .collect();
        // four character types whatever the random letters are
        format!("Demo-{letters}-7a")
    };
    let store = state.store();
    let root = store
        .get_user_by_name(account_id, crate::serve::FIRST_ACCOUNT)
        .await?;
    let alice = store.get_user_by_name(account_id, "alice").await?;
    for user in [&root, &alice] {
        let new = crate::signin::new_password(store, user, &password, false, false)
            .await
            .map_err(boot)?;
        store.create_login_profile(&user.id, &new).await?;
    }
    state.rebuild().await.map_err(boot)?;
    crate::serve::write_private(
        &console_password_file(key_file),
        format!("{password}\n").as_bytes(),
    )
}

/// The lines [`load`] printed, when an earlier start loaded the demo into `account_id`; `None`
/// when it is not there.
pub async fn show(
    state: &AppState,
    account_id: &str,
    key_file: &Path,
    addr: SocketAddr,
) -> Result<Option<Vec<String>>, ServeError> {
    Ok(existing(state.store(), account_id)
        .await?
        .map(|demo| walkthrough(&demo, key_file, addr)))
}

fn walkthrough(demo: &Demo, key_file: &Path, addr: SocketAddr) -> Vec<String> {
    let exe = std::env::current_exe()
        .ok()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "modelarts-iam".to_owned());
    let cmd = |principal: &str, action: &str| {
        format!(
            "  {exe} authorize --endpoint http://{addr} --key-file {} --principal {principal} --action {action}",
            key_file.display()
        )
    };
    vec![
        "Demo loaded: users alice, bob, auditor; group data-scientists; agency modelarts-agency;".to_owned(),
        format!("an organization with the OU `research`, the member account `{MEMBER_ACCOUNT}` (user carol) and the SCP `deny-training`."),
        "Try (exit code 0 = allow, 2 = deny):".to_owned(),
        "# allow: alice may create notebooks through her group".to_owned(),
        cmd(&demo.alice, "modelarts:notebook:create"),
        "# explicit deny: bob's own policy denies deleting notebooks".to_owned(),
        cmd(&demo.bob, "modelarts:notebook:delete"),
        "# SCP deny: carol's policy allows everything in ModelArts, the SCP on `research` denies training".to_owned(),
        cmd(&demo.carol, "modelarts:trainJob:create"),
        format!(
            "Web console: http://localhost:{}/console (account `{}`, user `{}` or `alice`, the password in {})",
            addr.port(),
            crate::serve::FIRST_ACCOUNT,
            crate::serve::FIRST_ACCOUNT,
            console_password_file(key_file).display()
        ),
    ]
}
