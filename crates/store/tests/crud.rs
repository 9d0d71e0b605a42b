//! CRUD, limits and pagination.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail loudly"
)]

mod common;

use common::{pol, user};
use iam_store::*;

async fn setup() -> Result<(Store, Account, User)> {
    let s = testing::store().await?;
    let (a, root, _p) = s
        .bootstrap_account("acme", "cn-north-4", Some("proj1"))
        .await?;
    Ok((s, a, root))
}

#[tokio::test]
async fn bootstrap_is_idempotent_and_creates_root() {
    let (s, a, root) = setup().await.unwrap();
    assert!(root.is_root_user);
    assert_eq!(root.urn, format!("iam::{}:user:acme", a.id));
    assert_eq!(a.id.len(), 32);
    assert!(
        a.id.chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    );
    let (a2, root2, p2) = s
        .bootstrap_account("acme", "cn-north-4", None)
        .await
        .unwrap();
    assert_eq!(
        (a2.id, root2.id, p2.id.as_str()),
        (a.id.clone(), root.id.clone(), "proj1")
    );
    assert!(matches!(
        s.delete_user(&root.id).await,
        Err(StoreError::Conflict { .. })
    ));
}

#[tokio::test]
async fn name_validation_table() {
    let (s, a, _) = setup().await.unwrap();
    let cases: &[(&str, bool)] = &[
        ("alice", true),
        ("alice smith", true),
        ("a.b-c_d", true),
        ("1alice", false),
        ("", false),
        ("al/ice", false),
        (&"x".repeat(64), true),
        (&"x".repeat(65), false),
    ];
    for (name, ok) in cases {
        let r = s.create_user(&a.id, &user(name)).await;
        assert_eq!(r.is_ok(), *ok, "user name {name:?}: {r:?}");
        if !ok {
            assert!(matches!(r, Err(StoreError::Invalid { .. })));
        }
    }
    let policy_cases: &[(&str, bool)] = &[
        ("p1", true),
        ("a+b=c.d@e-f_g", true),
        ("has space", false),
        (&"p".repeat(128), true),
        (&"p".repeat(129), false),
    ];
    for (name, ok) in policy_cases {
        assert_eq!(
            s.create_policy(&a.id, &pol(name)).await.is_ok(),
            *ok,
            "policy {name:?}"
        );
    }
    let agency_cases: &[(&str, Option<i64>, bool)] = &[
        ("ag1", None, true),
        ("a,b=c", Some(43200), true),
        ("ag2", Some(3599), false),
        ("ag3", Some(43201), false),
        ("bad name", None, false),
    ];
    for (name, dur, ok) in agency_cases {
        let r = s
            .create_agency(
                &a.id,
                &NewAgency {
                    name: (*name).into(),
                    path: String::new(),
                    trust_policy: "{}".into(),
                    max_session_duration: *dur,
                    description: String::new(),
                },
            )
            .await;
        assert_eq!(r.is_ok(), *ok, "agency {name:?} {dur:?}: {r:?}");
    }
    let mut big = pol("big");
    big.document = "x".repeat(6145);
    assert!(matches!(
        s.create_policy(&a.id, &big).await,
        Err(StoreError::Invalid { .. })
    ));
    big.document = "x".repeat(6144);
    assert!(s.create_policy(&a.id, &big).await.is_ok());
    let mut d = pol("desc");
    d.description = "d".repeat(1001);
    assert!(s.create_policy(&a.id, &d).await.is_err());
    // duplicates
    assert!(matches!(
        s.create_user(&a.id, &user("alice")).await,
        Err(StoreError::Conflict { .. })
    ));
    assert!(matches!(
        s.create_policy(&a.id, &pol("p1")).await,
        Err(StoreError::Conflict { .. })
    ));
}

#[tokio::test]
async fn access_key_limit_and_secret() {
    let (s, a, _) = setup().await.unwrap();
    let u = s.create_user(&a.id, &user("bob")).await.unwrap();
    let k1 = s.create_access_key(&u.id).await.unwrap();
    let _k2 = s.create_access_key(&u.id).await.unwrap();
    assert_eq!(
        s.create_access_key(&u.id).await.unwrap_err().to_string(),
        "limit exceeded: at most 2 access keys per user"
    );
    let ak = &k1.access_key.access_key_id;
    assert_eq!(ak.len(), 20);
    assert!(
        ak.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    );
    use secrecy::ExposeSecret;
    assert_eq!(k1.secret_access_key.expose_secret().len(), 40);
    assert!(!format!("{k1:?}").contains(k1.secret_access_key.expose_secret()));
    let (rec, secret) = s.secret_for_access_key(ak).await.unwrap().unwrap();
    assert_eq!(rec, k1.access_key);
    assert_eq!(secret.expose_secret(), k1.secret_access_key.expose_secret());
    assert!(s.secret_for_access_key("NOPE").await.unwrap().is_none());
    let k = s
        .set_access_key_status(ak, AccessKeyStatus::Inactive)
        .await
        .unwrap();
    assert_eq!(k.status, AccessKeyStatus::Inactive);
    s.delete_access_key(ak).await.unwrap();
    assert_eq!(s.list_access_keys(&u.id).await.unwrap().len(), 1);
    s.create_access_key(&u.id).await.unwrap();
}

#[tokio::test]
async fn policy_versions_rules() {
    let (s, a, _) = setup().await.unwrap();
    let p = s.create_policy(&a.id, &pol("p")).await.unwrap();
    assert_eq!(p.default_version_id, "v1");
    assert_eq!(p.urn, format!("iam::{}:policy:p", a.id));
    for i in 2..=5 {
        let v = s
            .create_policy_version(&p.id, &format!("{{\"n\":{i}}}"), i == 3)
            .await
            .unwrap();
        assert_eq!(v.version_id, format!("v{i}"));
        assert_eq!(v.is_default, i == 3);
    }
    assert!(matches!(
        s.create_policy_version(&p.id, "{}", false).await,
        Err(StoreError::LimitExceeded { limit: 5, .. })
    ));
    assert_eq!(s.get_policy(&p.id).await.unwrap().default_version_id, "v3");
    assert!(matches!(
        s.delete_policy_version(&p.id, "v3").await,
        Err(StoreError::Conflict { .. })
    ));
    assert!(matches!(
        s.delete_policy_version(&p.id, "3").await,
        Err(StoreError::Invalid { .. })
    ));
    s.delete_policy_version(&p.id, "v1").await.unwrap();
    let v6 = s
        .create_policy_version(&p.id, "{\"n\":6}", false)
        .await
        .unwrap();
    assert_eq!(v6.version_id, "v6", "version numbers are never reused");
    s.set_default_policy_version(&p.id, "v6").await.unwrap();
    let vs = s
        .list_policy_versions(&p.id, &PageRequest::default())
        .await
        .unwrap();
    assert_eq!(vs.items.iter().filter(|v| v.is_default).count(), 1);
    assert_eq!(vs.items.len(), 5);
    assert_eq!(
        s.get_default_policy_version(&p.id).await.unwrap().document,
        "{\"n\":6}"
    );
    assert!(matches!(
        s.get_policy_version(&p.id, "v1").await,
        Err(StoreError::NotFound { .. })
    ));
    // paginate versions, newest first
    let p1 = s
        .list_policy_versions(&p.id, &PageRequest::first(2))
        .await
        .unwrap();
    assert_eq!(
        p1.items
            .iter()
            .map(|v| v.version_id.as_str())
            .collect::<Vec<_>>(),
        ["v6", "v5"]
    );
    let p2 = s
        .list_policy_versions(
            &p.id,
            &PageRequest {
                marker: p1.next_marker,
                limit: Some(2),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        p2.items
            .iter()
            .map(|v| v.version_id.as_str())
            .collect::<Vec<_>>(),
        ["v4", "v3"]
    );
}

#[tokio::test]
async fn attachments_limits_and_cascades() {
    let (s, a, _) = setup().await.unwrap();
    let u = s.create_user(&a.id, &user("carol")).await.unwrap();
    let g = s.create_group(&a.id, "devs", "").await.unwrap();
    s.add_user_to_group(&g.id, &u.id).await.unwrap();
    s.add_user_to_group(&g.id, &u.id).await.unwrap();
    let mut ps = Vec::new();
    for i in 0..11 {
        ps.push(
            s.create_policy(&a.id, &pol(&format!("p{i}")))
                .await
                .unwrap(),
        );
    }
    for p in &ps[..10] {
        s.attach_policy(&p.id, PrincipalType::User, &u.id)
            .await
            .unwrap();
    }
    assert!(matches!(
        s.attach_policy(&ps[10].id, PrincipalType::User, &u.id)
            .await,
        Err(StoreError::LimitExceeded { limit: 10, .. })
    ));
    s.attach_policy(&ps[0].id, PrincipalType::User, &u.id)
        .await
        .unwrap(); // no-op
    s.attach_policy(&ps[0].id, PrincipalType::Group, &g.id)
        .await
        .unwrap();
    assert_eq!(s.get_policy(&ps[0].id).await.unwrap().attachment_count, 2);
    assert!(matches!(
        s.delete_policy(&ps[0].id).await,
        Err(StoreError::Conflict { .. })
    ));
    let att = s
        .list_attached_policies(PrincipalType::User, &u.id, &PageRequest::first(4))
        .await
        .unwrap();
    assert_eq!(att.items.len(), 4);
    assert!(att.next_marker.is_some());
    let ents = s
        .list_policy_attachments(&ps[0].id, None, None, &PageRequest::default())
        .await
        .unwrap();
    assert_eq!(ents.items.len(), 2);
    // deleting the user removes memberships, keys and attachments
    s.create_access_key(&u.id).await.unwrap();
    s.delete_user(&u.id).await.unwrap();
    assert_eq!(s.get_policy(&ps[1].id).await.unwrap().attachment_count, 0);
    assert_eq!(s.get_policy(&ps[0].id).await.unwrap().attachment_count, 1);
    let members = s
        .list_users(&a.id, Some(&g.id), &PageRequest::default())
        .await
        .unwrap();
    assert!(members.items.is_empty());
    s.detach_policy(&ps[0].id, PrincipalType::Group, &g.id)
        .await
        .unwrap();
    assert!(matches!(
        s.detach_policy(&ps[0].id, PrincipalType::Group, &g.id)
            .await,
        Err(StoreError::NotFound { .. })
    ));
    s.delete_policy(&ps[0].id).await.unwrap();
    // configurable limit, clamped to 20
    let s2 = testing::store_with(Limits {
        max_attached_policies: 50,
        ..Limits::default()
    })
    .await
    .unwrap();
    assert_eq!(s2.limits().max_attached_policies, 20);
}

#[tokio::test]
async fn pagination_walks_everything_once() {
    let (s, a, _) = setup().await.unwrap();
    for i in 0..23 {
        s.create_user(&a.id, &user(&format!("u{i:02}")))
            .await
            .unwrap();
    }
    let mut seen = Vec::new();
    let mut marker = None;
    loop {
        let page = s
            .list_users(
                &a.id,
                None,
                &PageRequest {
                    marker: marker.clone(),
                    limit: Some(5),
                },
            )
            .await
            .unwrap();
        assert!(page.items.len() <= 5);
        seen.extend(page.items.into_iter().map(|u| u.name));
        match page.next_marker {
            Some(m) => {
                assert!(m.len() >= 4 && m.len() <= 400);
                assert!(
                    m.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "+/=_-".contains(c))
                );
                marker = Some(m);
            }
            None => break,
        }
    }
    assert_eq!(seen.len(), 24); // 23 + root
    let mut dedup = seen.clone();
    dedup.sort();
    dedup.dedup();
    assert_eq!(dedup.len(), 24);
    for bad in [
        PageRequest {
            marker: None,
            limit: Some(0),
        },
        PageRequest {
            marker: None,
            limit: Some(201),
        },
        PageRequest {
            marker: Some("!!!!".into()),
            limit: None,
        },
        PageRequest {
            marker: Some("abc".into()),
            limit: None,
        },
    ] {
        assert!(matches!(
            s.list_users(&a.id, None, &bad).await,
            Err(StoreError::Invalid { .. })
        ));
    }
}

#[tokio::test]
async fn revision_and_load_state() {
    let (s, a, root) = setup().await.unwrap();
    let r0 = s.revision().await.unwrap();
    let p = s.create_policy(&a.id, &pol("p")).await.unwrap();
    s.attach_policy(&p.id, PrincipalType::User, &root.id)
        .await
        .unwrap();
    assert_eq!(s.revision().await.unwrap(), r0 + 2);
    // failed writes do not bump
    let _ = s.create_policy(&a.id, &pol("p")).await;
    assert_eq!(s.revision().await.unwrap(), r0 + 2);
    // decision log does not bump
    s.append_decision(&NewDecision {
        action: "a:b:c".into(),
        decision: "allow".into(),
        ..Default::default()
    })
    .await
    .unwrap();
    let st = s.load_state().await.unwrap();
    assert_eq!(st.revision, r0 + 2);
    assert_eq!(st.policies.len(), 1);
    assert!(st.policies[0].default_document.contains("modelarts"));
    assert_eq!(st.attachments.len(), 1);
    assert_eq!(st.users.len(), 1);
    assert_eq!(st.scps.len(), 1, "builtin FullAccess");
}

#[tokio::test]
async fn decision_log_append_filter_page() {
    let s = testing::store().await.unwrap();
    let batch: Vec<NewDecision> = (0..10)
        .map(|i| NewDecision {
            principal_urn: Some(format!("iam::a:user:u{}", i % 2)),
            action: "modelarts:notebook:create".into(),
            decision: if i % 3 == 0 { "explicit_deny" } else { "allow" }.into(),
            ..Default::default()
        })
        .collect();
    let ids = s.append_decisions(&batch).await.unwrap();
    assert_eq!(ids.len(), 10);
    assert!(ids.windows(2).all(|w| w[0] < w[1]));
    let f = DecisionFilter {
        principal_urn: Some("iam::a:user:u0".into()),
        ..Default::default()
    };
    let p = s.list_decisions(&f, &PageRequest::first(3)).await.unwrap();
    assert_eq!(p.items.len(), 3);
    let p2 = s
        .list_decisions(
            &f,
            &PageRequest {
                marker: p.next_marker,
                limit: Some(3),
            },
        )
        .await
        .unwrap();
    assert_eq!(p2.items.len(), 2);
    assert!(p2.next_marker.is_none());
    let deny = DecisionFilter {
        decision: Some("explicit_deny".into()),
        ..Default::default()
    };
    assert_eq!(
        s.list_decisions(&deny, &PageRequest::default())
            .await
            .unwrap()
            .items
            .len(),
        4
    );
    let future = DecisionFilter {
        since: Some(time::OffsetDateTime::now_utc() + time::Duration::hours(1)),
        ..Default::default()
    };
    assert!(
        s.list_decisions(&future, &PageRequest::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

#[tokio::test]
async fn sessions_and_authorizations() {
    let (s, a, root) = setup().await.unwrap();
    let ag = s
        .create_agency(
            &a.id,
            &NewAgency {
                name: "modelarts_agency".into(),
                path: "svc/".into(),
                trust_policy: "{}".into(),
                max_session_duration: None,
                description: String::new(),
            },
        )
        .await
        .unwrap();
    assert_eq!(ag.urn, format!("iam::{}:agency:svc/modelarts_agency", a.id));
    assert_eq!(ag.max_session_duration, 3600);
    let c = s
        .create_session_credential(&NewSessionCredential {
            agency_id: ag.id.clone(),
            session_name: "s1".into(),
            session_policy: None,
            source_identity: None,
            tags: "[]".into(),
            caller_urn: root.urn.clone(),
            expires_at: time::OffsetDateTime::now_utc() + time::Duration::hours(1),
            grant: None,
        })
        .await
        .unwrap();
    use secrecy::ExposeSecret;
    let (rec, sk) = s
        .session_credential(&c.credential.access_key_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sk.expose_secret(), c.secret_access_key.expose_secret());
    assert!(Store::security_token_matches(
        &rec,
        c.security_token.expose_secret()
    ));
    assert!(!Store::security_token_matches(&rec, "nope"));
    assert_eq!(
        s.delete_expired_session_credentials(time::OffsetDateTime::now_utc())
            .await
            .unwrap(),
        0
    );
    let projects = s.list_projects(&a.id).await.unwrap();
    s.put_authorization(&projects[0].id, "all", &ag.id)
        .await
        .unwrap();
    let got = s
        .authorization_for_user(&projects[0].id, &root.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.user_id, "all");
    s.put_authorization(&projects[0].id, &root.id, &ag.id)
        .await
        .unwrap();
    let got = s
        .authorization_for_user(&projects[0].id, &root.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.user_id, root.id);
    assert_eq!(
        s.list_authorizations(&projects[0].id).await.unwrap().len(),
        2
    );
    s.delete_agency(&ag.id).await.unwrap();
    assert!(
        s.list_authorizations(&projects[0].id)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn decision_logger_batches_and_flushes_on_shutdown() {
    let s = testing::store().await.unwrap();
    let (logger, handle) =
        DecisionLogger::spawn(s.clone(), 1000, 64, std::time::Duration::from_millis(5));
    for i in 0..300 {
        assert!(logger.log(NewDecision {
            action: format!("svc:thing:op{i}"),
            decision: "allow".into(),
            ..Default::default()
        }));
    }
    let stats = std::sync::Arc::new(());
    let _ = stats;
    let written = &logger.stats().written as *const _ as usize;
    let _ = written;
    drop(logger);
    handle.await.unwrap();
    let all = s
        .list_decisions(&DecisionFilter::default(), &PageRequest::first(200))
        .await
        .unwrap();
    assert_eq!(all.items.len(), 200);
    assert!(all.next_marker.is_some());
    assert_eq!(all.items[0].action, "svc:thing:op299");
}
