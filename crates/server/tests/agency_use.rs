//! ModelArts acts with the agency (issue 12): the `service.ModelArts` credential obtains agency
//! credentials only for users a tenant administrator authorized, and can do nothing else; the
//! gateway hands the credentials of the user's authorized agency to the upstream for the
//! operations that start ModelArts work; revoking or changing an authorization ends the sessions
//! issued under it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

mod common;

use std::sync::{Arc, Mutex};

use axum::extract::{Request, State};
use common::{Key, TempDir, TestApp, assert_huawei_error, call_temp, temp_of};
use serde_json::{Value, json};

const NO_AGENCY: &str = "ModelArts.6802";

/// The service credential as `serve` writes it, read back from its file.
async fn service_key(app: &TestApp, dir: &TempDir) -> Key {
    let path = iam_server::serve::service_credential(app.state.store(), dir.path(), false)
        .await
        .unwrap()
        .expect("first start writes the service credential");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "readable only by its owner");
    }
    let doc: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(doc["service"], "service.ModelArts");
    Key {
        ak: doc["access_key_id"].as_str().unwrap().to_owned(),
        sk: doc["secret_access_key"].as_str().unwrap().to_owned(),
    }
}

struct World {
    app: TestApp,
    _dir: TempDir,
    service: Key,
    alice_id: String,
    alice: Key,
    agency_urn: String,
}

/// One-click agency `ma_agency_team`; alice may create training jobs; nothing is authorized yet.
async fn world() -> World {
    let app = TestApp::new().await;
    let dir = TempDir::new("service-key");
    let service = service_key(&app, &dir).await;
    let (alice_id, _, alice) = app.user_with_key("alice").await;
    app.grant(
        &alice_id,
        "train",
        json!({"Version":"5.0","Statement":[{"Effect":"Allow","Action":["modelarts:trainJob:*","modelarts:notebook:list"]}]}),
    )
    .await;
    let a = app
        .root(
            "POST",
            &format!("/v2/{}/agency", app.project_id),
            json!({"agency_name_suffix": "team"}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let agency_urn = format!("iam::{}:agency:ma_agency_team", app.account_id);
    World {
        app,
        _dir: dir,
        service,
        alice_id,
        alice,
        agency_urn,
    }
}

impl World {
    async fn authorize(&self, user_id: &str, agency: &str) {
        let user_type = if user_id == "all" { "all-users" } else { "iam" };
        let a = self
            .app
            .root(
                "POST",
                &format!("/v2/{}/authorizations", self.app.project_id),
                json!({"user_id": user_id, "user_type": user_type, "type": "agency", "content": agency}),
            )
            .await;
        assert_eq!(a.status, 200, "{}", a.body);
    }

    async fn revoke(&self, user_id: &str) {
        let a = self
            .app
            .call(
                &self.app.root,
                "DELETE",
                &format!("/v2/{}/authorizations", self.app.project_id),
                &[("user_id", user_id)],
                Value::Null,
            )
            .await;
        assert_eq!(a.status, 200, "{}", a.body);
    }

    /// AssumeAgency as the service, for `user_id`.
    async fn service_assume(&self, agency_urn: &str, user_id: &str, name: &str) -> common::Answer {
        self.app
            .call(
                &self.service,
                "POST",
                "/v5/agencies/assume",
                &[],
                json!({"agency_urn": agency_urn, "agency_session_name": name, "source_identity": user_id}),
            )
            .await
    }
}

#[tokio::test]
async fn the_service_gets_agency_credentials_only_for_authorized_users() {
    let w = world().await;
    // nothing authorized: refused, with what to ask for
    let a = w.service_assume(&w.agency_urn, &w.alice_id, "alice").await;
    assert_huawei_error(&a, 403, NO_AGENCY);
    assert!(
        a.body["error_msg"]
            .as_str()
            .unwrap()
            .contains("tenant administrator"),
        "{}",
        a.body
    );
    // authorized for alice: the session is bound to alice
    w.authorize(&w.alice_id, "ma_agency_team").await;
    let a = w.service_assume(&w.agency_urn, &w.alice_id, "alice").await;
    assert_eq!(a.status, 201, "{}", a.body);
    assert_eq!(a.body["source_identity"], w.alice_id.as_str());
    let session_urn = format!(
        "sts::{}:assumed-agency:ma_agency_team/alice",
        w.app.account_id
    );
    assert_eq!(a.body["assumed_agency"]["urn"], session_urn.as_str());
    let temp = temp_of(&a);
    let me = call_temp(&w.app, &temp, "GET", "/v5/caller-identity", Value::Null).await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.body["principal_urn"], session_urn.as_str());
    // the session name must be the user's
    let a = w
        .service_assume(&w.agency_urn, &w.alice_id, "mallory")
        .await;
    assert_huawei_error(&a, 400, "IAM.0001");
    // no source identity: which user is unknown
    let a = w
        .app
        .call(
            &w.service,
            "POST",
            "/v5/agencies/assume",
            &[],
            json!({"agency_urn": w.agency_urn, "agency_session_name": "alice"}),
        )
        .await;
    assert_huawei_error(&a, 400, "IAM.0001");
    // another user of the account, not authorized
    let (bob_id, _, _) = w.app.user_with_key("bob").await;
    let a = w.service_assume(&w.agency_urn, &bob_id, "bob").await;
    assert_huawei_error(&a, 403, NO_AGENCY);
    // the decision log has the service's assume, with the user it acted for
    let items = common::wait_for_decisions(&w.app, &[("action", "sts:agencies:assume")], |d| {
        d.iter().any(|x| x["decision"] == "allow")
    })
    .await;
    let text = Value::Array(items).to_string();
    assert!(text.contains("service.ModelArts"), "{text}");
    assert!(text.contains(&w.alice_id), "{text}");
}

#[tokio::test]
async fn the_service_cannot_reach_an_agency_of_another_account() {
    let w = world().await;
    w.authorize("all", "ma_agency_team").await;
    // a second account with its own user, agency and authorization for all its users
    let other =
        iam_store::Store::bootstrap_account(w.app.state.store(), "other", common::REGION, None)
            .await
            .unwrap();
    let (acct, root, project) = other;
    let store = w.app.state.store();
    let mallory = store
        .create_user(
            &acct.id,
            &iam_store::NewUser {
                name: "mallory".into(),
                enabled: true,
                description: String::new(),
            },
        )
        .await
        .unwrap();
    let _ = (root, project);
    // alice's account's agency for a user of the other account: refused
    let a = w
        .service_assume(&w.agency_urn, &mallory.id, "mallory")
        .await;
    assert_huawei_error(&a, 403, NO_AGENCY);
    // an agency URN of the other account that does not exist: refused without telling
    let a = w
        .service_assume(
            &format!("iam::{}:agency:ma_agency_team", acct.id),
            &w.alice_id,
            "alice",
        )
        .await;
    assert_eq!(a.status, 403, "{}", a.body);
}

#[tokio::test]
async fn the_service_credential_opens_no_other_api() {
    let w = world().await;
    w.authorize("all", "ma_agency_team").await;
    let mut refused = 0;
    for e in iam_server::endpoints() {
        if matches!(e.authz, iam_server::Authz::Open(_)) || e.operation_id == "AssumeAgencyV5" {
            continue;
        }
        let path = e
            .path
            .replace("{project_id}", &w.app.project_id)
            .split('/')
            .map(|s| if s.starts_with('{') { "x1" } else { s })
            .collect::<Vec<_>>()
            .join("/");
        let a = w
            .app
            .call(&w.service, e.method.as_str(), &path, &[], json!({}))
            .await;
        assert_eq!(
            a.status,
            403,
            "{} {path} answered the service credential with {}: {}",
            e.method.as_str(),
            a.status,
            a.body
        );
        refused += 1;
    }
    assert!(refused > 80, "only {refused} endpoints checked");
    // the legacy assume API is not its way in either
    let a = w
        .app
        .call(
            &w.service,
            "POST",
            "/v3.0/OS-CREDENTIAL/securitytokens",
            &[],
            json!({"auth": {"identity": {"methods": ["assume_role"], "assume_role": {"agency_name": "ma_agency_team", "domain_id": w.app.account_id}}}}),
        )
        .await;
    assert_eq!(a.status, 403, "{}", a.body);
}

#[tokio::test]
async fn revoking_or_changing_an_authorization_ends_its_sessions() {
    let w = world().await;
    w.authorize(&w.alice_id, "ma_agency_team").await;
    let live = |a: &common::Answer| temp_of(a);
    let s1 = live(&w.service_assume(&w.agency_urn, &w.alice_id, "alice").await);
    let ok = call_temp(&w.app, &s1, "GET", "/v5/caller-identity", Value::Null).await;
    assert_eq!(ok.status, 200);
    // revoked: the session ends at once, and no new one is issued
    w.revoke(&w.alice_id).await;
    let gone = call_temp(&w.app, &s1, "GET", "/v5/caller-identity", Value::Null).await;
    assert_eq!(gone.status, 401, "{}", gone.body);
    let a = w.service_assume(&w.agency_urn, &w.alice_id, "alice").await;
    assert_huawei_error(&a, 403, NO_AGENCY);
    // under `all`: a session for alice; then alice's own authorization names another agency
    w.authorize("all", "ma_agency_team").await;
    let s2 = live(&w.service_assume(&w.agency_urn, &w.alice_id, "alice").await);
    let a = w
        .app
        .root(
            "POST",
            &format!("/v2/{}/agency", w.app.project_id),
            json!({"agency_name_suffix": "alice"}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    w.authorize(&w.alice_id, "ma_agency_alice").await;
    let gone = call_temp(&w.app, &s2, "GET", "/v5/caller-identity", Value::Null).await;
    assert_eq!(gone.status, 401, "{}", gone.body);
    // the old agency is no longer alice's; the new one is
    let a = w.service_assume(&w.agency_urn, &w.alice_id, "alice").await;
    assert_huawei_error(&a, 403, NO_AGENCY);
    let new_urn = format!("iam::{}:agency:ma_agency_alice", w.app.account_id);
    let s3 = live(&w.service_assume(&new_urn, &w.alice_id, "alice").await);
    // deleting the user ends the sessions acting for them
    let d = w
        .app
        .root("DELETE", &format!("/v5/users/{}", w.alice_id), Value::Null)
        .await;
    assert!(d.status.is_success(), "{}", d.body);
    let gone = call_temp(&w.app, &s3, "GET", "/v5/caller-identity", Value::Null).await;
    assert_eq!(gone.status, 401, "{}", gone.body);
}

/// The headers the test upstream saw, per request.
#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<http::HeaderMap>>>);

async fn upstream(State(seen): State<Seen>, req: Request) -> axum::Json<Value> {
    seen.0.lock().unwrap().push(req.headers().clone());
    axum::Json(json!({"ok": true}))
}

async fn with_upstream(w: &mut World) -> Seen {
    let seen = Seen::default();
    let app = axum::Router::new()
        .fallback(upstream)
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    w.app.router =
        iam_server::gateway::proxy_app(w.app.state.clone(), &format!("http://{addr}")).unwrap();
    seen
}

#[tokio::test]
async fn the_gateway_hands_the_authorized_agency_to_jobs_and_only_to_them() {
    let mut w = world().await;
    let seen = with_upstream(&mut w).await;
    let jobs = format!("/v2/{}/training-jobs", w.app.project_id);
    let create = json!({"metadata": {"name": "job"}, "algorithm": {}});
    // no authorization: the job is refused before the upstream sees it
    let a = w
        .app
        .call(&w.alice, "POST", &jobs, &[], create.clone())
        .await;
    assert_huawei_error(&a, 403, NO_AGENCY);
    assert!(seen.0.lock().unwrap().is_empty());
    // a request that starts no work needs no agency and carries none
    let a = w
        .app
        .call(&w.alice, "GET", &format!("{jobs}/job-1"), &[], Value::Null)
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(
        seen.0.lock().unwrap()[0]
            .get("x-iam-agency-access-key-id")
            .is_none()
    );
    // authorized: the upstream gets the agency's temporary credentials
    w.authorize(&w.alice_id, "ma_agency_team").await;
    let a = w
        .app
        .call(&w.alice, "POST", &jobs, &[], create.clone())
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let h = seen.0.lock().unwrap().last().unwrap().clone();
    let get = |n: &str| h.get(n).unwrap().to_str().unwrap().to_owned();
    assert_eq!(get("x-iam-agency-name"), "ma_agency_team");
    assert_eq!(get("x-iam-agency-urn"), w.agency_urn);
    let temp = common::Temp {
        key: Key {
            ak: get("x-iam-agency-access-key-id"),
            sk: get("x-iam-agency-secret-access-key"),
        },
        token: get("x-iam-agency-security-token"),
    };
    // they are the agency's session for alice: an OBS read the one-click scope grants is
    // allowed, an IAM write is not
    let decide = |action: &str, resource: &str| json!({"access_key_id": temp.key.ak, "action": action, "resource": resource});
    let read = w
        .app
        .root(
            "POST",
            "/v1/authorize",
            decide("obs:object:GetObject", "obs:*:*:object:ml-data/train/a.csv"),
        )
        .await;
    assert_eq!(read.status, 200, "{}", read.body);
    assert_eq!(read.body["decision"], "allow", "{}", read.body);
    let write = call_temp(&w.app, &temp, "POST", "/v5/users", json!({"name": "x"})).await;
    assert_eq!(write.status, 403, "{}", write.body);
    // the next job reuses them (same revision); after a revoke the next job is refused
    w.revoke(&w.alice_id).await;
    let a = w.app.call(&w.alice, "POST", &jobs, &[], create).await;
    assert_huawei_error(&a, 403, NO_AGENCY);
    let gone = call_temp(&w.app, &temp, "GET", "/v5/caller-identity", Value::Null).await;
    assert_eq!(gone.status, 401, "{}", gone.body);
    // a client cannot hand the upstream credentials of its own
    assert!(
        iam_server::gateway::is_removed_header("X-Iam-Agency-Secret-Access-Key"),
        "client-sent agency headers must be stripped"
    );
}

#[tokio::test]
async fn the_service_credential_is_refused_by_the_gateway_and_rotates() {
    let mut w = world().await;
    let _seen = with_upstream(&mut w).await;
    let jobs = format!("/v2/{}/training-jobs", w.app.project_id);
    let a = w
        .app
        .call(
            &w.service,
            "GET",
            &format!("{jobs}/job-1"),
            &[],
            Value::Null,
        )
        .await;
    assert_eq!(a.status, 403, "{}", a.body);
    // rotation: a new key works, the old one stops at once
    let dir = TempDir::new("rotate");
    let new_path = iam_server::serve::service_credential(w.app.state.store(), dir.path(), true)
        .await
        .unwrap()
        .unwrap();
    let doc: Value = serde_json::from_slice(&std::fs::read(new_path).unwrap()).unwrap();
    let new = Key {
        ak: doc["access_key_id"].as_str().unwrap().to_owned(),
        sk: doc["secret_access_key"].as_str().unwrap().to_owned(),
    };
    assert_ne!(new.ak, w.service.ak);
    w.authorize("all", "ma_agency_team").await; // a write: caches start over
    let body = json!({"agency_urn": w.agency_urn, "agency_session_name": "alice", "source_identity": w.alice_id});
    let old = w
        .app
        .call(&w.service, "POST", "/v5/agencies/assume", &[], body.clone())
        .await;
    assert_eq!(old.status, 401, "{}", old.body);
    let ok = w
        .app
        .call(&new, "POST", "/v5/agencies/assume", &[], body)
        .await;
    assert_eq!(ok.status, 201, "{}", ok.body);
    // no second file on a plain restart
    let again = iam_server::serve::service_credential(w.app.state.store(), dir.path(), false)
        .await
        .unwrap();
    assert!(again.is_none());
}
