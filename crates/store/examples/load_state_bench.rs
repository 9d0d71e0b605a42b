//! Measures `Store::load_state` on a file-backed store.
//!
//! `cargo run --release -p iam-store --example load_state_bench -- [users] [policies]`
//! (defaults: 1000 users, 1000 policies; plus 100 groups, 100 agencies, one attachment per
//! user, group and agency, a small organization with SCPs enabled).

use iam_store::*;
use std::time::Instant;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let n_users: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(1000);
    let n_policies: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(1000);
    let dir = tempfile::tempdir()?;
    let s = Store::open(
        dir.path(),
        StoreOptions {
            master_key: Some(MasterKey::generate()?),
            ..Default::default()
        },
    )
    .await?;
    let t = Instant::now();
    let limits = Limits {
        max_policies_per_account: 5000,
        max_agencies_per_account: 5000,
        ..Default::default()
    };
    let _ = limits;
    let (acct, _root, _) = s.bootstrap_account("bench", "cn-north-4", None).await?;
    let doc = r#"{"Version":"5.0","Statement":[{"Effect":"Allow","Action":["modelarts:notebook:*","obs:object:get*"],"Resource":["modelarts:*:*:notebook:*"],"Condition":{"StringEquals":{"g:PrincipalTag/team":["ml"]}}}]}"#;
    let mut policies = Vec::with_capacity(n_policies);
    for i in 0..n_policies.min(1500) {
        let p = s
            .create_policy(
                &acct.id,
                &NewPolicy {
                    name: format!("policy-{i}"),
                    document: doc.into(),
                    path: String::new(),
                    description: String::new(),
                },
            )
            .await?;
        policies.push(p.id);
    }
    let mut groups = Vec::new();
    for i in 0..100 {
        let g = s.create_group(&acct.id, &format!("group-{i}"), "").await?;
        s.attach_policy(&policies[i % policies.len()], PrincipalType::Group, &g.id)
            .await?;
        groups.push(g.id);
    }
    for i in 0..n_users {
        let u = s
            .create_user(
                &acct.id,
                &NewUser {
                    name: format!("user-{i}"),
                    enabled: true,
                    description: String::new(),
                },
            )
            .await?;
        s.attach_policy(&policies[i % policies.len()], PrincipalType::User, &u.id)
            .await?;
        s.add_user_to_group(&groups[i % groups.len()], &u.id)
            .await?;
    }
    let (org, root) = s.create_organization(&acct.id).await?;
    for i in 0..10 {
        let (a, _) = s.create_account(&format!("member-{i}")).await?;
        let ou = s
            .create_organizational_unit(&root.id, &format!("ou-{i}"))
            .await?;
        s.add_account_to_organization(&org.id, &a.id, Some(&ou.id))
            .await?;
        for j in 0..5 {
            s.create_agency(
                &a.id,
                &NewAgency {
                    name: format!("agency-{j}"),
                    path: String::new(),
                    trust_policy: doc.into(),
                    max_session_duration: None,
                    description: String::new(),
                },
            )
            .await?;
        }
    }
    s.enable_policy_type(&root.id, OrgPolicyType::ServiceControlPolicy)
        .await?;
    println!("populated in {:?}", t.elapsed());

    let mut times = Vec::new();
    let mut st = None;
    for _ in 0..20 {
        let t = Instant::now();
        st = Some(s.load_state().await?);
        times.push(t.elapsed());
    }
    times.sort();
    if let Some(st) = st {
        println!(
            "load_state: {} users, {} groups, {} memberships, {} policies, {} attachments, {} agencies, {} scp attachments",
            st.users.len(),
            st.groups.len(),
            st.group_members.len(),
            st.policies.len(),
            st.attachments.len(),
            st.agencies.len(),
            st.scp_attachments.len()
        );
    }
    println!(
        "load_state over 20 runs: min {:?}, median {:?}, max {:?}",
        times.first().copied().unwrap_or_default(),
        times.get(times.len() / 2).copied().unwrap_or_default(),
        times.last().copied().unwrap_or_default()
    );
    s.close().await;
    Ok(())
}
