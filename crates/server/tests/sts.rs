//! STS in process: AssumeAgency (both checks, every limit), temporary credentials (signing with
//! `X-Security-Token`, live evaluation against the agency's current policies, session policies,
//! expiry and tampering), caller identity, decoding of encoded authorization messages, the
//! legacy v3 path and the decision log.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

mod common;

use common::{
    Answer, Key, Temp, TestApp, assert_error_msg_contains, assert_huawei_error, call_temp, temp_of,
};
use serde_json::{Value, json};

struct World {
    app: TestApp,
    alice: Key,
    alice_urn: String,
    agency_id: String,
    agency_urn: String,
    agency_policy: String,
}

const TRUST_ACCOUNT: &str = r#"{"Version":"5.0","Statement":[{"Effect":"Allow","Action":["sts:agencies:assume"],"Principal":{"IAM":["ACCOUNT"]}}]}"#;

/// Alice may assume `ops`, whose trust policy trusts the account; `ops` may list users and
/// policies.
async fn world(trust: &str, max_session: i64) -> World {
    let app = TestApp::new().await;
    let (alice_id, alice_urn, alice) = app.user_with_key("alice").await;
    let trust = trust.replace("ACCOUNT", &app.account_id);
    let a = app
        .root(
            "POST",
            "/v5/agencies",
            json!({"agency_name": "ops", "trust_policy": trust, "max_session_duration": max_session}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let agency_id = a.body["agency"]["agency_id"].as_str().unwrap().to_owned();
    let agency_urn = a.body["agency"]["urn"].as_str().unwrap().to_owned();
    app.grant(
        &alice_id,
        "alice-assume",
        json!({"Version":"5.0","Statement":[{"Effect":"Allow","Action":["sts:agencies:assume"],"Resource":[agency_urn]}]}),
    )
    .await;
    let p = app
        .root(
            "POST",
            "/v5/policies",
            json!({"policy_name": "ops-read", "policy_document": json!({"Version":"5.0","Statement":[{"Effect":"Allow","Action":["iam:users:listUsersV5","iam:policies:listV5"]}]}).to_string()}),
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    let agency_policy = p.body["policy"]["policy_id"].as_str().unwrap().to_owned();
    let at = app
        .root(
            "POST",
            &format!("/v5/policies/{agency_policy}/attach-agency"),
            json!({"agency_id": agency_id}),
        )
        .await;
    assert!(at.status.is_success(), "{}", at.body);
    World {
        app,
        alice,
        alice_urn,
        agency_id,
        agency_urn,
        agency_policy,
    }
}

async fn assume(w: &World, extra: Value) -> Answer {
    let mut body = json!({"agency_urn": w.agency_urn, "agency_session_name": "s1"});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    w.app
        .call(&w.alice, "POST", "/v5/agencies/assume", &[], body)
        .await
}

#[tokio::test]
async fn an_allowed_user_assumes_and_the_session_may_what_the_agency_may() {
    let w = world(TRUST_ACCOUNT, 7200).await;
    let a = assume(
        &w,
        json!({"duration_seconds": 1800, "source_identity": "alice-laptop"}),
    )
    .await;
    assert_eq!(a.status, 201, "{}", a.body);
    let urn = format!("sts::{}:assumed-agency:ops/s1", w.app.account_id);
    assert_eq!(a.body["assumed_agency"]["urn"], json!(urn));
    assert_eq!(
        a.body["assumed_agency"]["id"],
        json!(format!("{}:s1", w.agency_id))
    );
    assert_eq!(a.body["source_identity"], "alice-laptop");
    let exp = a.body["credentials"]["expiration"].as_str().unwrap();
    let exp =
        time::OffsetDateTime::parse(exp, &time::format_description::well_known::Rfc3339).unwrap();
    let left = (exp - time::OffsetDateTime::now_utc()).whole_seconds();
    assert!((1790..=1800).contains(&left), "{left}");
    let t = temp_of(&a);

    let me = call_temp(&w.app, &t, "GET", "/v5/caller-identity", Value::Null).await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.body["principal_urn"], json!(urn));
    assert_eq!(me.body["account_id"], json!(w.app.account_id));
    assert_eq!(
        me.body["principal_id"],
        json!(format!("{}:s1", w.agency_id))
    );

    let users = call_temp(&w.app, &t, "GET", "/v5/users", Value::Null).await;
    assert_eq!(users.status, 200, "{}", users.body);
    // not in the agency's policies
    let groups = call_temp(&w.app, &t, "GET", "/v5/agencies", Value::Null).await;
    assert_huawei_error(&groups, 403, "IAM.0003");
    assert!(
        groups.body["error_msg"].as_str().unwrap().contains(&urn),
        "{}",
        groups.body
    );
    // Alice herself may not list users: the session's rights are the agency's, not hers.
    let hers = w
        .app
        .call(&w.alice, "GET", "/v5/users", &[], Value::Null)
        .await;
    assert_huawei_error(&hers, 403, "IAM.0003");
}

#[tokio::test]
async fn a_session_policy_narrows_the_session() {
    let w = world(TRUST_ACCOUNT, 3600).await;
    let policy =
        json!({"Version":"5.0","Statement":[{"Effect":"Allow","Action":["iam:policies:listV5"]}]})
            .to_string();
    let a = assume(&w, json!({"policy": policy})).await;
    assert_eq!(a.status, 201, "{}", a.body);
    let t = temp_of(&a);
    let users = call_temp(&w.app, &t, "GET", "/v5/users", Value::Null).await;
    assert_huawei_error(&users, 403, "IAM.0003");
    assert_error_msg_contains(&users, "session policy");
    let pols = call_temp(&w.app, &t, "GET", "/v5/policies", Value::Null).await;
    assert_eq!(pols.status, 200, "{}", pols.body);

    // policy_ids: a managed policy of the account used as the session policy
    let a = assume(
        &w,
        json!({"agency_session_name": "s2", "policy_ids": [w.agency_policy]}),
    )
    .await;
    assert_eq!(a.status, 201, "{}", a.body);
    let t2 = temp_of(&a);
    let users = call_temp(&w.app, &t2, "GET", "/v5/users", Value::Null).await;
    assert_eq!(users.status, 200, "{}", users.body);

    // a session policy that denies
    let deny = json!({"Version":"5.0","Statement":[{"Effect":"Allow","Action":["*"]},{"Effect":"Deny","Action":["iam:users:*"]}]}).to_string();
    let a = assume(&w, json!({"agency_session_name": "s3", "policy": deny})).await;
    let t3 = temp_of(&a);
    let users = call_temp(&w.app, &t3, "GET", "/v5/users", Value::Null).await;
    assert_huawei_error(&users, 403, "IAM.0003");
    assert_error_msg_contains(&users, "explicit deny in a session policy");
}

#[tokio::test]
async fn sessions_follow_the_agency_policies_live() {
    let w = world(TRUST_ACCOUNT, 3600).await;
    let t = temp_of(&assume(&w, json!({})).await);
    assert_eq!(
        call_temp(&w.app, &t, "GET", "/v5/users", Value::Null)
            .await
            .status,
        200
    );
    let d = w
        .app
        .root(
            "POST",
            &format!("/v5/policies/{}/detach-agency", w.agency_policy),
            json!({"agency_id": w.agency_id}),
        )
        .await;
    assert!(d.status.is_success(), "{}", d.body);
    let after = call_temp(&w.app, &t, "GET", "/v5/users", Value::Null).await;
    assert_huawei_error(&after, 403, "IAM.0003");
    // deleting the agency ends the session
    let del = w
        .app
        .root(
            "DELETE",
            &format!("/v5/agencies/{}", w.agency_id),
            Value::Null,
        )
        .await;
    assert!(del.status.is_success(), "{}", del.body);
    let gone = call_temp(&w.app, &t, "GET", "/v5/caller-identity", Value::Null).await;
    assert_eq!(gone.status, 401, "{}", gone.body);
}

#[tokio::test]
async fn scps_bound_sessions_of_member_accounts() {
    // The test account becomes a member of another account's organization, whose SCP denies
    // listing users (set up through the store; the Organizations API is tested elsewhere).
    let w = world(TRUST_ACCOUNT, 3600).await;
    let t = temp_of(&assume(&w, json!({})).await);
    assert_eq!(
        call_temp(&w.app, &t, "GET", "/v5/users", Value::Null)
            .await
            .status,
        200
    );
    let (_root, scp) =
        common::member_of_org_with_deny_scp(&w.app, "no-user-listing", &["iam:users:listUsersV5"])
            .await;
    let store = w.app.state.store();
    store.attach_scp(&scp, &w.app.account_id).await.unwrap();
    w.app.state.rebuild().await.unwrap();
    let users = call_temp(&w.app, &t, "GET", "/v5/users", Value::Null).await;
    assert_huawei_error(&users, 403, "IAM.0003");
    assert_error_msg_contains(&users, "explicit deny in a service control policy");
    // what the SCP does not deny stays allowed
    let pols = call_temp(&w.app, &t, "GET", "/v5/policies", Value::Null).await;
    assert_eq!(pols.status, 200, "{}", pols.body);
}

#[tokio::test]
async fn both_the_identity_policy_and_the_trust_policy_must_allow() {
    // trust policy of another account only
    let w = world(
        r#"{"Version":"5.0","Statement":[{"Effect":"Allow","Action":["sts:agencies:assume"],"Principal":{"IAM":["999999999999"]}}]}"#,
        3600,
    )
    .await;
    let a = assume(&w, json!({})).await;
    assert_huawei_error(&a, 403, "IAM.0003");
    assert_error_msg_contains(&a, "trust policy");
    assert!(a.body["encoded_authorization_message"].is_string());

    // identity policy missing: bob has none
    let w = world(TRUST_ACCOUNT, 3600).await;
    let (_, _, bob) = w.app.user_with_key("bob").await;
    let a = w
        .app
        .call(
            &bob,
            "POST",
            "/v5/agencies/assume",
            &[],
            json!({"agency_urn": w.agency_urn, "agency_session_name": "bob"}),
        )
        .await;
    assert_huawei_error(&a, 403, "IAM.0003");
    assert_error_msg_contains(
        &a,
        "because no identity-based policy allows the sts:agencies:assume action",
    );
}

#[tokio::test]
async fn trust_conditions_see_external_id_and_principal_urn() {
    let trust = r#"{"Version":"5.0","Statement":[{"Effect":"Allow","Action":["sts:agencies:assume"],"Principal":{"IAM":["ACCOUNT"]},"Condition":{"StringEquals":{"g:ExternalId":["xyz-123"]}}}]}"#;
    let w = world(trust, 3600).await;
    assert_huawei_error(&assume(&w, json!({})).await, 403, "IAM.0003");
    assert_huawei_error(
        &assume(&w, json!({"external_id": "wrong-1"})).await,
        403,
        "IAM.0003",
    );
    assert_eq!(
        assume(&w, json!({"external_id": "xyz-123"})).await.status,
        201
    );

    let trust = r#"{"Version":"5.0","Statement":[{"Effect":"Allow","Action":["sts:agencies:assume"],"Principal":{"IAM":["ACCOUNT"]},"Condition":{"StringEquals":{"g:PrincipalUrn":["PRINCIPAL"]}}}]}"#;
    let w = world(TRUST_ACCOUNT, 3600).await;
    let trust = trust
        .replace("ACCOUNT", &w.app.account_id)
        .replace("PRINCIPAL", &w.alice_urn);
    let u = w
        .app
        .root(
            "PUT",
            &format!("/v5/agencies/{}/trust-policy", w.agency_id),
            json!({"trust_policy": trust}),
        )
        .await;
    assert!(u.status.is_success(), "{}", u.body);
    assert_eq!(assume(&w, json!({})).await.status, 201);
    // root is in the account but is not alice
    let root = w.app.root.clone();
    let r = w
        .app
        .call(
            &root,
            "POST",
            "/v5/agencies/assume",
            &[],
            json!({"agency_urn": w.agency_urn, "agency_session_name": "root"}),
        )
        .await;
    assert_huawei_error(&r, 403, "IAM.0003");

    // a service principal is not an IAM caller
    let svc = r#"{"Version":"5.0","Statement":[{"Effect":"Allow","Action":["sts:agencies:assume"],"Principal":{"Service":["service.ModelArts"]}}]}"#;
    let u = w
        .app
        .root(
            "PUT",
            &format!("/v5/agencies/{}/trust-policy", w.agency_id),
            json!({"trust_policy": svc}),
        )
        .await;
    assert!(u.status.is_success(), "{}", u.body);
    assert_huawei_error(&assume(&w, json!({})).await, 403, "IAM.0003");
}

#[tokio::test]
async fn request_limits_answer_400_and_issue_nothing() {
    let w = world(TRUST_ACCOUNT, 7200).await;
    let long_policy = json!({"Version":"5.0","Statement":[{"Effect":"Allow","Action":["iam:users:listUsersV5"],"Resource":["x".repeat(4100)]}]}).to_string();
    let tags21: Vec<Value> = (0..21)
        .map(|i| json!({"key": format!("k{i}"), "value": "v"}))
        .collect();
    let cases = [
        json!({"duration_seconds": 899}),
        json!({"duration_seconds": 43201}),
        json!({"duration_seconds": 7201}),
        json!({"agency_session_name": "a"}),
        json!({"agency_session_name": "has space"}),
        json!({"agency_urn": "not-a-urn"}),
        json!({"agency_urn": "iam::1:user:alice"}),
        json!({"external_id": "a"}),
        json!({"external_id": "bad#char"}),
        json!({"source_identity": "x"}),
        json!({"policy": "{"}),
        json!({"policy": long_policy}),
        json!({"policy_ids": ["no-such-policy"]}),
        json!({"policy_ids": ["bad id!"]}),
        json!({"tags": tags21}),
        json!({"tags": [{"key": "_sys_x", "value": "v"}]}),
        json!({"tags": [{"key": "a", "value": "v"}, {"key": "A", "value": "w"}]}),
        json!({"tags": [{"key": "a", "value": "x".repeat(256)}]}),
        json!({"transitive_tag_keys": ["nope"]}),
        json!({"serial_number": "123456789", "token_code": "123456"}),
        json!({"provided_contexts": [{"context_provider_urn": "a", "context_assertion": "b"}]}),
        json!({"unknown_field": 1}),
        json!({"duration_seconds": "3600"}),
    ];
    for extra in cases {
        let a = assume(&w, extra.clone()).await;
        assert!(
            a.status == 400 || a.status == 404,
            "{extra}: {} {}",
            a.status,
            a.body
        );
        assert!(a.body["error_code"].is_string(), "{extra}: {}", a.body);
    }
    // a valid request with tags and transitive keys succeeds
    let ok = assume(
        &w,
        json!({"duration_seconds": 7200, "tags": [{"key": "team", "value": "ml"}], "transitive_tag_keys": ["team"]}),
    )
    .await;
    assert_eq!(ok.status, 201, "{}", ok.body);
}

#[tokio::test]
async fn chained_sessions_are_capped_at_an_hour_and_keep_source_identity() {
    let w = world(TRUST_ACCOUNT, 7200).await;
    // the agency may assume itself (chaining)
    let p = w
        .app
        .root(
            "POST",
            "/v5/policies",
            json!({"policy_name": "chain", "policy_document": json!({"Version":"5.0","Statement":[{"Effect":"Allow","Action":["sts:agencies:assume"]}]}).to_string()}),
        )
        .await;
    let pid = p.body["policy"]["policy_id"].as_str().unwrap().to_owned();
    let at = w
        .app
        .root(
            "POST",
            &format!("/v5/policies/{pid}/attach-agency"),
            json!({"agency_id": w.agency_id}),
        )
        .await;
    assert!(at.status.is_success());
    let t = temp_of(&assume(&w, json!({"source_identity": "alice"})).await);
    let body = |d: i64, si: Option<&str>| {
        let mut b = json!({"agency_urn": w.agency_urn, "agency_session_name": "chained", "duration_seconds": d});
        if let Some(si) = si {
            b["source_identity"] = json!(si);
        }
        b
    };
    let long = call_temp(&w.app, &t, "POST", "/v5/agencies/assume", body(3601, None)).await;
    assert_huawei_error(&long, 400, "IAM.0001");
    let other = call_temp(
        &w.app,
        &t,
        "POST",
        "/v5/agencies/assume",
        body(900, Some("mallory")),
    )
    .await;
    assert_huawei_error(&other, 400, "IAM.0001");
    let ok = call_temp(&w.app, &t, "POST", "/v5/agencies/assume", body(3600, None)).await;
    assert_eq!(ok.status, 201, "{}", ok.body);
    assert_eq!(ok.body["source_identity"], "alice");
}

#[tokio::test]
async fn wrong_tampered_and_expired_credentials_answer_401() {
    let w = world(TRUST_ACCOUNT, 3600).await;
    let t = temp_of(&assume(&w, json!({})).await);
    let mut bad_sk = t.clone();
    bad_sk.key.sk = "x".repeat(bad_sk.key.sk.len());
    let mut bad_token = t.clone();
    bad_token
        .token
        .replace_range(0..1, if t.token.starts_with('A') { "B" } else { "A" });
    for (name, creds) in [("secret", bad_sk), ("token", bad_token)] {
        let a = call_temp(&w.app, &creds, "GET", "/v5/caller-identity", Value::Null).await;
        assert_huawei_error(&a, 401, "APIGW.0301");
        assert_eq!(a.status, 401, "{name}");
    }
    // the temporary key without its token
    let plain = w
        .app
        .call(&t.key, "GET", "/v5/caller-identity", &[], Value::Null)
        .await;
    assert_huawei_error(&plain, 401, "APIGW.0301");
    // a permanent key with a token
    let mixed = Temp {
        key: w.alice.clone(),
        token: t.token.clone(),
    };
    let a = call_temp(&w.app, &mixed, "GET", "/v5/caller-identity", Value::Null).await;
    assert_huawei_error(&a, 401, "APIGW.0301");

    // expired: a session issued in the past
    let created = w
        .app
        .state
        .store()
        .create_session_credential(&iam_store::NewSessionCredential {
            agency_id: w.agency_id.clone(),
            session_name: "old".into(),
            session_policy: None,
            source_identity: None,
            tags: "[]".into(),
            caller_urn: w.alice_urn.clone(),
            expires_at: time::OffsetDateTime::now_utc() - time::Duration::seconds(5),
            grant: None,
        })
        .await
        .unwrap();
    use secrecy::ExposeSecret as _;
    let expired = Temp {
        key: Key {
            ak: created.credential.access_key_id.clone(),
            sk: created.secret_access_key.expose_secret().to_owned(),
        },
        token: created.security_token.expose_secret().to_owned(),
    };
    let a = call_temp(&w.app, &expired, "GET", "/v5/caller-identity", Value::Null).await;
    assert_huawei_error(&a, 401, "APIGW.0301");
}

#[tokio::test]
async fn denials_decode_to_the_full_explanation_and_tampering_is_detected() {
    let w = world(TRUST_ACCOUNT, 3600).await;
    let denied = w
        .app
        .call(&w.alice, "GET", "/v5/users", &[], Value::Null)
        .await;
    assert_huawei_error(&denied, 403, "IAM.0003");
    let encoded = denied.body["encoded_authorization_message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(!encoded.contains("listUsersV5"), "the message is encrypted");
    // alice may not decode without the action
    let d = w
        .app
        .call(
            &w.alice,
            "POST",
            "/v5/decode-authorization-message",
            &[],
            json!({"encoded_message": encoded}),
        )
        .await;
    assert_huawei_error(&d, 403, "IAM.0003");
    let root = w.app.root.clone();
    let d = w
        .app
        .call(
            &root,
            "POST",
            "/v5/decode-authorization-message",
            &[],
            json!({"encoded_message": encoded}),
        )
        .await;
    assert_eq!(d.status, 200, "{}", d.body);
    let msg: Value = serde_json::from_str(d.body["decoded_message"].as_str().unwrap()).unwrap();
    assert_eq!(msg["action"], "iam:users:listUsersV5");
    assert_eq!(msg["principal"], json!(w.alice_urn));
    assert_eq!(msg["decision"], "implicit_deny");
    assert_eq!(msg["explanation"]["failing_layers"][0]["layer"], "identity");
    // tampered / foreign / oversized
    let mut chars: Vec<char> = encoded.chars().collect();
    let i = chars.len() / 2;
    chars[i] = if chars[i] == 'A' { 'B' } else { 'A' };
    let tampered: String = chars.into_iter().collect();
    for bad in [
        tampered,
        "garbage".to_owned(),
        "A".repeat(10241),
        String::new(),
    ] {
        let d = w
            .app
            .call(
                &root,
                "POST",
                "/v5/decode-authorization-message",
                &[],
                json!({"encoded_message": bad}),
            )
            .await;
        assert_huawei_error(&d, 400, "IAM.0001");
    }
}

#[tokio::test]
async fn the_legacy_v3_path_issues_credentials_with_iam_agencies_assume() {
    let w = world(TRUST_ACCOUNT, 3600).await;
    let body = json!({"auth": {"identity": {"methods": ["assume_role"], "assume_role": {
        "agency_name": "ops", "domain_id": w.app.account_id, "duration_seconds": 900,
        "session_user": {"name": "legacy"}}}}});
    // alice holds sts:agencies:assume only: the legacy actions are separate
    let a = w
        .app
        .call(
            &w.alice,
            "POST",
            "/v3.0/OS-CREDENTIAL/securitytokens",
            &[],
            body.clone(),
        )
        .await;
    assert_huawei_error(&a, 403, "IAM.0003");
    let (bob_id, _, bob) = w.app.user_with_key("bob").await;
    w.app
        .grant(
            &bob_id,
            "bob-legacy",
            json!({"Version":"5.0","Statement":[{"Effect":"Allow","Action":["iam:tokens:assume"]}]}),
        )
        .await;
    let a = w
        .app
        .call(
            &bob,
            "POST",
            "/v3.0/OS-CREDENTIAL/securitytokens",
            &[],
            body,
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
    let c = &a.body["credential"];
    let t = Temp {
        key: Key {
            ak: c["access"].as_str().unwrap().to_owned(),
            sk: c["secret"].as_str().unwrap().to_owned(),
        },
        token: c["securitytoken"].as_str().unwrap().to_owned(),
    };
    let me = call_temp(&w.app, &t, "GET", "/v5/caller-identity", Value::Null).await;
    assert_eq!(
        me.body["principal_urn"],
        json!(format!(
            "sts::{}:assumed-agency:ops/legacy",
            w.app.account_id
        ))
    );
}

#[tokio::test]
async fn assume_decisions_are_in_the_decision_log() {
    let w = world(TRUST_ACCOUNT, 3600).await;
    assert_eq!(assume(&w, json!({})).await.status, 201);
    let (_, _, bob) = w.app.user_with_key("bob").await;
    let denied = w
        .app
        .call(
            &bob,
            "POST",
            "/v5/agencies/assume",
            &[],
            json!({"agency_urn": w.agency_urn, "agency_session_name": "bob"}),
        )
        .await;
    assert_eq!(denied.status, 403);
    let root = w.app.root.clone();
    let items = common::wait_for_decisions(&w.app, &[("action", "sts:agencies:assume")], |d| {
        d.len() >= 2
    })
    .await;
    assert!(items.len() >= 2, "two decisions logged: {items:?}");
    assert_eq!(items[0]["decision"], "deny");
    assert_eq!(items[0]["layer"], "identity");
    assert_eq!(items[1]["decision"], "allow");
    assert_eq!(items[1]["principal_urn"], json!(w.alice_urn));
    assert_eq!(items[1]["agency_id"], json!(w.agency_id));
    assert_eq!(items[1]["session"], "s1");
    assert_eq!(items[1]["determining_statement"], "trust:0");
    // alice may not read the log
    let l = w
        .app
        .call(&w.alice, "GET", "/v1/decisions", &[], Value::Null)
        .await;
    assert_huawei_error(&l, 403, "IAM.0003");
    let bad = w
        .app
        .call(
            &root,
            "GET",
            "/v1/decisions",
            &[("since", "yesterday")],
            Value::Null,
        )
        .await;
    assert_huawei_error(&bad, 400, "IAM.0001");
}
