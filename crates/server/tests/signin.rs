//! Sign-in for people, in process: login profiles and the password policy, IAM v3 tokens
//! (password, MFA, lockout, re-scoping, revocation) used as `X-Auth-Token` exactly like the
//! user's signed requests, and the console session (cookie flags, CSRF, fixation, idle timeout,
//! sign-out, the password change a reset requires).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

mod common;

use axum::body::Body;
use common::*;
use http::Request;
use serde_json::{Value, json};

const PASSWORD: &str = "Correct-Horse-9";

fn unix_now() -> u64 {
    u64::try_from(time::OffsetDateTime::now_utc().unix_timestamp()).unwrap()
}

/// A user with a password (and no policy); returns its id.
async fn person(app: &TestApp, name: &str) -> String {
    let (id, _, _) = app.user_with_key(name).await;
    let a = app
        .root(
            "POST",
            &format!("/v5/users/{id}/login-profile"),
            json!({"password": PASSWORD, "password_reset_required": false}),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
    id
}

async fn token_request(app: &TestApp, body: Value) -> Answer {
    app.send(
        Request::post("/v3/auth/tokens")
            .header("Host", HOST)
            .header("Content-Type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap(),
    )
    .await
}

fn password_body(user: &str, password: &str) -> Value {
    json!({"auth": {"identity": {"methods": ["password"],
        "password": {"user": {"name": user, "password": password, "domain": {"name": "admin"}}}},
        "scope": {"project": {"name": REGION}}}})
}

async fn token_for(app: &TestApp, user: &str, password: &str) -> Answer {
    token_request(app, password_body(user, password)).await
}

fn subject(a: &Answer) -> String {
    a.headers
        .get("x-subject-token")
        .expect("X-Subject-Token")
        .to_str()
        .unwrap()
        .to_owned()
}

async fn with_token(app: &TestApp, token: &str, method: &str, path: &str, body: Value) -> Answer {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header("Host", HOST)
        .header("Content-Type", "application/json")
        .header("X-Auth-Token", token);
    req = req.header("X-Subject-Token", token);
    let body = if body.is_null() {
        Body::empty()
    } else {
        Body::from(body.to_string())
    };
    app.send(req.body(body).unwrap()).await
}

/// The serial number and seed of a `CreateVirtualMfaDeviceV5` answer (201 asserted).
fn device_of(dev: &Answer) -> (String, String) {
    assert_eq!(dev.status, 201, "{}", dev.body);
    let field = |k: &str| {
        dev.body["virtual_mfa_device"][k]
            .as_str()
            .unwrap()
            .to_owned()
    };
    (field("serial_number"), field("base32_string_seed"))
}

fn keystone_message(a: &Answer) -> &str {
    a.body["error"]["message"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn login_profiles_follow_the_password_policy_and_hide_the_hash() {
    let app = TestApp::new().await;
    let (id, _, _) = app.user_with_key("alice").await;
    let path = format!("/v5/users/{id}/login-profile");
    for weak in ["short1A", "alllowercase", "alice"] {
        let a = app
            .root(
                "POST",
                &path,
                json!({"password": weak, "password_reset_required": false}),
            )
            .await;
        assert_huawei_error(&a, 400, "IAM.0001");
        assert!(!a.body.to_string().contains(weak) || weak == "alice");
    }
    let a = app
        .root(
            "POST",
            &path,
            json!({"password": PASSWORD, "password_reset_required": true}),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
    assert_eq!(a.body["login_profile"]["password_reset_required"], true);
    assert!(!a.body.to_string().contains("argon2"), "{}", a.body);
    let again = app
        .root(
            "POST",
            &path,
            json!({"password": PASSWORD, "password_reset_required": false}),
        )
        .await;
    assert_eq!(again.status, 409);
    // reuse of the current password is refused (password_reuse_prevention defaults to 1)
    let same = app.root("PUT", &path, json!({"password": PASSWORD})).await;
    assert_huawei_error(&same, 400, "IAM.0001");
    // a stricter policy applies to the next password
    let p = app
        .root(
            "PUT",
            "/v5/password-policy",
            json!({"minimum_password_length": 20}),
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert_eq!(p.body["password_policy"]["minimum_password_length"], 20);
    assert_eq!(p.body["password_policy"]["password_reuse_prevention"], 1);
    let short = app
        .root("PUT", &path, json!({"password": "Another-Pass-12"}))
        .await;
    assert_huawei_error(&short, 400, "IAM.0001");
    let bad = app
        .root(
            "PUT",
            "/v5/password-policy",
            json!({"minimum_password_length": 7}),
        )
        .await;
    assert_huawei_error(&bad, 400, "IAM.0001");
    let unknown = app
        .root("PUT", "/v5/login-policy", json!({"lockout": 3}))
        .await;
    assert_huawei_error(&unknown, 400, "IAM.0001");
    let got = app.root("GET", &path, Value::Null).await;
    assert_eq!(got.status, 200);
    assert!(!got.body.to_string().contains("hash"));
    let del = app.root("DELETE", &path, Value::Null).await;
    assert_eq!(del.status, 204);
    assert_eq!(app.root("GET", &path, Value::Null).await.status, 404);
}

#[tokio::test]
async fn tokens_authenticate_as_the_user_and_are_decided_like_its_requests() {
    let app = TestApp::new().await;
    let id = person(&app, "alice").await;
    let t = token_for(&app, "alice", PASSWORD).await;
    assert_eq!(t.status, 201, "{}", t.body);
    let token = subject(&t);
    assert!(token.starts_with("MII"));
    assert_eq!(t.body["token"]["user"]["id"], id.as_str());
    assert_eq!(t.body["token"]["project"]["name"], REGION);
    assert_eq!(t.body["token"]["methods"], json!(["password"]));
    // no policy: denied like a signed request of alice would be
    let denied = with_token(&app, &token, "GET", "/v5/users", Value::Null).await;
    assert_huawei_error(&denied, 403, "IAM.0003");
    assert!(
        denied.body["error_msg"]
            .as_str()
            .unwrap()
            .contains("user:alice")
    );
    app.grant(
        &id,
        "list-users",
        json!({"Version": "5.0", "Statement": [{"Effect": "Allow", "Action": ["iam:users:listUsersV5"], "Resource": ["*"]}]}),
    )
    .await;
    let allowed = with_token(&app, &token, "GET", "/v5/users", Value::Null).await;
    assert_eq!(allowed.status, 200, "{}", allowed.body);
    // MFA conditions see the token's sign-in: no MFA here
    let mfa_only = app
        .root(
            "POST",
            "/v5/policies",
            json!({"policy_name": "deny-without-mfa", "policy_document": json!({"Version": "5.0", "Statement": [{"Effect": "Deny", "Action": ["iam:users:listUsersV5"], "Resource": ["*"], "Condition": {"Bool": {"g:MFAPresent": ["false"]}}}]}).to_string()}),
        )
        .await;
    let pid = mfa_only.body["policy"]["policy_id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.root(
        "POST",
        &format!("/v5/policies/{pid}/attach-user"),
        json!({"user_id": id}),
    )
    .await;
    let no_mfa = with_token(&app, &token, "GET", "/v5/users", Value::Null).await;
    assert_huawei_error(&no_mfa, 403, "IAM.0003");
    // a signature and a token together are refused
    let (_, _, key) = app.user_with_key("bob").await;
    let (signed, uri) = sign_now(&key, "GET", "/v5/users", &[], &[("Host", HOST)], b"");
    let mut req = Request::get(uri)
        .header("Host", HOST)
        .header("X-Auth-Token", &token);
    for (n, v) in &signed.headers {
        req = req.header(*n, v);
    }
    let both = app.send(req.body(Body::empty()).unwrap()).await;
    assert_eq!(both.status, 401, "{}", both.body);
    // an expired token is not accepted
    let now = time::OffsetDateTime::now_utc();
    app.state
        .store()
        .create_token(&iam_store::NewToken {
            token: secrecy::SecretString::from("MIIexpired-token-of-alice".to_owned()),
            account_id: app.account_id.clone(),
            user_id: id.clone(),
            methods: vec!["password".into()],
            project_id: None,
            issued_at: now - time::Duration::hours(25),
            expires_at: now - time::Duration::hours(1),
            mfa_authn_at: None,
            password_reset_required: false,
            csrf_token: None,
            requires: iam_store::TokenRequirement::Nothing,
        })
        .await
        .unwrap();
    let expired = with_token(
        &app,
        "MIIexpired-token-of-alice",
        "GET",
        "/v5/users",
        Value::Null,
    )
    .await;
    assert_huawei_error(&expired, 401, "APIGW.0301");
    assert!(
        expired.body["error_msg"]
            .as_str()
            .unwrap()
            .contains("The token must be updated")
    );
    // a forged or revoked token is not accepted
    let forged = with_token(&app, &format!("{token}x"), "GET", "/v5/users", Value::Null).await;
    assert_eq!(forged.status, 401);
    // validate, then revoke it with itself
    let v = with_token(&app, &token, "GET", "/v3/auth/tokens", Value::Null).await;
    assert_eq!(v.status, 200, "{}", v.body);
    assert_eq!(subject(&v), token);
    let d = with_token(&app, &token, "DELETE", "/v3/auth/tokens", Value::Null).await;
    assert_eq!(d.status, 204, "{}", d.body);
    let after = with_token(&app, &token, "GET", "/v3/auth/projects", Value::Null).await;
    assert_eq!(after.status, 401);
}

#[tokio::test]
async fn wrong_passwords_lock_the_user_and_say_nothing_about_who_exists() {
    let app = TestApp::new().await;
    person(&app, "alice").await;
    let unknown = token_for(&app, "nobody", PASSWORD).await;
    assert_eq!(unknown.status, 401);
    assert_eq!(
        keystone_message(&unknown),
        "The username or password is wrong."
    );
    for _ in 0..4 {
        let a = token_for(&app, "alice", "Wrong-Pass-999").await;
        assert_eq!(a.status, 401);
        assert_eq!(keystone_message(&a), "The username or password is wrong.");
    }
    // the fifth failure (login_failed_times = 5) locks; then even the right password fails
    let fifth = token_for(&app, "alice", "Wrong-Pass-999").await;
    assert!(
        keystone_message(&fifth).contains("locked"),
        "{}",
        fifth.body
    );
    let right = token_for(&app, "alice", PASSWORD).await;
    assert_eq!(right.status, 401);
    assert!(
        keystone_message(&right).contains("locked"),
        "{}",
        right.body
    );
    let malformed = token_request(
        &app,
        json!({"auth": {"identity": {"methods": ["password"]}}}),
    )
    .await;
    assert_eq!(malformed.status, 400);
    assert_eq!(malformed.body["error"]["title"], "Bad Request");
}

#[tokio::test]
async fn mfa_devices_bind_with_two_codes_and_sign_in_needs_a_fresh_one() {
    let app = TestApp::new().await;
    let id = person(&app, "alice").await;
    let dev = app
        .root(
            "POST",
            "/v5/virtual-mfa-devices",
            json!({"virtual_mfa_device_name": "alice-phone", "user_id": id}),
        )
        .await;
    let (serial, seed) = device_of(&dev);
    let now = unix_now();
    let code = |t: u64| iam_login::totp::code_at(&seed, t).unwrap();
    let wrong = app
        .root(
            "POST",
            "/v5/mfa-devices/enable",
            json!({"user_id": id, "serial_number": serial, "authentication_code_first": code(now), "authentication_code_second": code(now - 30)}),
        )
        .await;
    assert_huawei_error(&wrong, 400, "IAM.0001");
    let ok = app
        .root(
            "POST",
            "/v5/mfa-devices/enable",
            json!({"user_id": id, "serial_number": serial, "authentication_code_first": code(now - 30), "authentication_code_second": code(now)}),
        )
        .await;
    assert_eq!(ok.status, 204, "{}", ok.body);
    let listed = app.root("GET", "/v5/mfa-devices", Value::Null).await;
    assert_eq!(
        listed.body["mfa_devices"][0]["enabled"], true,
        "{}",
        listed.body
    );
    // password alone is no longer enough
    let no_code = token_for(&app, "alice", PASSWORD).await;
    assert_eq!(no_code.status, 401);
    assert!(keystone_message(&no_code).contains("verification code"));
    let with = |passcode: String| {
        json!({"auth": {"identity": {"methods": ["password", "totp"],
            "password": {"user": {"name": "alice", "password": PASSWORD, "domain": {"name": "admin"}}},
            "totp": {"user": {"id": id, "passcode": passcode}}}}})
    };
    // the code used to bind is spent; the next step's code is fresh (skew allows one step)
    let spent = token_request(&app, with(code(now))).await;
    assert_eq!(spent.status, 401, "{}", spent.body);
    let fresh = token_request(&app, with(code(now + 30))).await;
    assert_eq!(fresh.status, 201, "{}", fresh.body);
    assert_eq!(fresh.body["token"]["methods"], json!(["password", "totp"]));
    assert!(fresh.body["token"]["mfa_authn_at"].is_string());
    assert!(fresh.body["token"]["domain"]["name"] == "admin");
    let replay = token_request(&app, with(code(now + 30))).await;
    assert_eq!(replay.status, 401);
    // an enabled device cannot be deleted; disabled, it can
    let root = app.root.clone();
    let query = [("user_id", id.as_str()), ("serial_number", serial.as_str())];
    let refused = app
        .call(
            &root,
            "DELETE",
            "/v5/virtual-mfa-devices",
            &query,
            Value::Null,
        )
        .await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    let off = app
        .root(
            "POST",
            "/v5/mfa-devices/disable",
            json!({"user_id": id, "serial_number": serial}),
        )
        .await;
    assert_eq!(off.status, 204, "{}", off.body);
    assert_eq!(token_for(&app, "alice", PASSWORD).await.status, 201);
    let deleted = app
        .call(
            &root,
            "DELETE",
            "/v5/virtual-mfa-devices",
            &query,
            Value::Null,
        )
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.body);
}

#[tokio::test]
async fn a_password_change_ends_tokens_and_a_reset_allows_only_the_change() {
    let app = TestApp::new().await;
    let id = person(&app, "alice").await;
    let token = subject(&token_for(&app, "alice", PASSWORD).await);
    let change = with_token(
        &app,
        &token,
        "POST",
        "/v5/caller-password",
        json!({"old_password": "Not-The-Password-1", "new_password": "Brand-New-Pass-2"}),
    )
    .await;
    assert_huawei_error(&change, 400, "IAM.0001");
    let change = with_token(
        &app,
        &token,
        "POST",
        "/v5/caller-password",
        json!({"old_password": PASSWORD, "new_password": "Brand-New-Pass-2"}),
    )
    .await;
    assert_eq!(change.status, 204, "{}", change.body);
    let old = with_token(&app, &token, "GET", "/v3/auth/projects", Value::Null).await;
    assert_eq!(old.status, 401, "the password change ends the token");
    assert_eq!(token_for(&app, "alice", PASSWORD).await.status, 401);
    // an administrator requires a reset: the new token may change the password and nothing else
    app.root(
        "PUT",
        &format!("/v5/users/{id}/login-profile"),
        json!({"password_reset_required": true}),
    )
    .await;
    let t = token_for(&app, "alice", "Brand-New-Pass-2").await;
    assert_eq!(t.status, 201, "{}", t.body);
    let token = subject(&t);
    let other = with_token(&app, &token, "GET", "/v3/auth/projects", Value::Null).await;
    assert_eq!(other.status, 403);
    assert_eq!(other.body["error_code"], "CONSOLE.0007");
    // nor through the gateway
    let gw = app
        .send(
            Request::get("/v1/gateway/authorize")
                .header("Host", HOST)
                .header("X-Auth-Token", &token)
                .header("X-Original-Method", "GET")
                .header(
                    "X-Original-URI",
                    format!("/v1/{}/notebooks", app.project_id),
                )
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(gw.status, 403, "{:?}", gw.headers);
    let change = with_token(
        &app,
        &token,
        "POST",
        "/v5/caller-password",
        json!({"old_password": "Brand-New-Pass-2", "new_password": "Third-Pass-333"}),
    )
    .await;
    assert_eq!(change.status, 204, "{}", change.body);
    let t = token_for(&app, "alice", "Third-Pass-333").await;
    let ok = with_token(&app, &subject(&t), "GET", "/v3/auth/projects", Value::Null).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
}

#[tokio::test]
async fn the_sdk_lookups_answer_for_credentials_without_ids() {
    let app = TestApp::new().await;
    let p = app
        .call(
            &app.root.clone(),
            "GET",
            "/v3/projects",
            &[("name", REGION)],
            Value::Null,
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert_eq!(p.body["projects"].as_array().unwrap().len(), 1);
    assert_eq!(p.body["projects"][0]["id"], app.project_id.as_str());
    let none = app
        .call(
            &app.root.clone(),
            "GET",
            "/v3/projects",
            &[("name", "xx-nowhere-1")],
            Value::Null,
        )
        .await;
    assert_eq!(none.body["projects"], json!([]));
    let d = app.root("GET", "/v3/auth/domains", Value::Null).await;
    assert_eq!(d.body["domains"][0]["id"], app.account_id.as_str());
    assert_eq!(d.body["domains"][0]["name"], "admin");
}

/// A console request with the session cookie, and the CSRF token when given.
fn console(
    method: &str,
    path: &str,
    cookie: Option<&str>,
    csrf: Option<&str>,
    body: Value,
) -> Request<Body> {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header("Host", HOST)
        .header("Content-Type", "application/json");
    if let Some(c) = cookie {
        req = req.header("Cookie", format!("__Host-modelarts_iam_session={c}"));
    }
    if let Some(t) = csrf {
        req = req.header("X-CSRF-Token", t);
    }
    req.body(if body.is_null() {
        Body::empty()
    } else {
        Body::from(body.to_string())
    })
    .unwrap()
}

fn set_cookie_value(a: &Answer) -> (String, String) {
    let header = a
        .headers
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let value = header
        .split(';')
        .next()
        .unwrap()
        .strip_prefix("__Host-modelarts_iam_session=")
        .unwrap()
        .to_owned();
    (header, value)
}

#[tokio::test]
async fn console_sessions_are_locked_down() {
    let app = TestApp::new().await;
    let id = person(&app, "alice").await;
    app.grant(
        &id,
        "list-users",
        json!({"Version": "5.0", "Statement": [{"Effect": "Allow", "Action": ["iam:users:listUsersV5"], "Resource": ["*"]}]}),
    )
    .await;
    let form = json!({"account": "admin", "user": "alice", "password": PASSWORD});
    // a cross-site or form-encoded sign-in is refused
    let mut req = console("POST", "/console/api/sign-in", None, None, form.clone());
    req.headers_mut()
        .insert("Origin", "http://evil.example".parse().unwrap());
    assert_eq!(app.send(req).await.status, 403);
    let mut req = console("POST", "/console/api/sign-in", None, None, form.clone());
    req.headers_mut()
        .insert("Content-Type", "text/plain".parse().unwrap());
    assert_eq!(app.send(req).await.status, 403);
    let wrong = app
        .send(console(
            "POST",
            "/console/api/sign-in",
            None,
            None,
            json!({"account": "admin", "user": "alice", "password": "nope-nope-1"}),
        ))
        .await;
    assert_huawei_error(&wrong, 401, "CONSOLE.0001");
    // a session id planted before sign-in is never the session (no fixation)
    let planted = "MIIplanted";
    let a = app
        .send(console(
            "POST",
            "/console/api/sign-in",
            Some(planted),
            None,
            form.clone(),
        ))
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let (header, cookie) = set_cookie_value(&a);
    assert_ne!(cookie, planted);
    for attr in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
        assert!(header.contains(attr), "{header}");
    }
    let csrf = a.body["session"]["csrf_token"].as_str().unwrap().to_owned();
    assert!(
        !a.body.to_string().contains(&cookie),
        "the session token is only in the cookie"
    );
    // API calls: the cookie alone is refused, with the CSRF token it acts as alice
    let no_csrf = app
        .send(console(
            "GET",
            "/v5/users",
            Some(&cookie),
            None,
            Value::Null,
        ))
        .await;
    assert_huawei_error(&no_csrf, 403, "CONSOLE.0005");
    let bad_csrf = app
        .send(console(
            "GET",
            "/v5/users",
            Some(&cookie),
            Some("x"),
            Value::Null,
        ))
        .await;
    assert_huawei_error(&bad_csrf, 403, "CONSOLE.0005");
    let form_post = app
        .send(console(
            "POST",
            "/v5/users",
            Some(&cookie),
            None,
            json!({"name": "mallory"}),
        ))
        .await;
    assert_huawei_error(&form_post, 403, "CONSOLE.0005");
    let ok = app
        .send(console(
            "GET",
            "/v5/users",
            Some(&cookie),
            Some(&csrf),
            Value::Null,
        ))
        .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert!(!ok.body.to_string().contains("mallory"));
    let create = app
        .send(console(
            "POST",
            "/v5/users",
            Some(&cookie),
            Some(&csrf),
            json!({"name": "mallory"}),
        ))
        .await;
    assert_huawei_error(&create, 403, "IAM.0003");
    // the cookie is not a token
    let as_token = with_token(&app, &cookie, "GET", "/v5/users", Value::Null).await;
    assert_eq!(as_token.status, 401);
    // a reloaded page gets its session back
    let s = app
        .send(console(
            "GET",
            "/console/api/session",
            Some(&cookie),
            None,
            Value::Null,
        ))
        .await;
    assert_eq!(s.status, 200, "{}", s.body);
    assert_eq!(s.body["session"]["csrf_token"], csrf.as_str());
    assert_eq!(s.body["session"]["user_name"], "alice");
    // idle longer than the login policy's session_timeout (60 minutes): the session is over
    let hash = iam_store::token_hash(&cookie);
    app.state
        .store()
        .touch_token(
            &hash,
            time::OffsetDateTime::now_utc() - time::Duration::minutes(61),
        )
        .await
        .unwrap();
    let idle = app
        .send(console(
            "GET",
            "/v5/users",
            Some(&cookie),
            Some(&csrf),
            Value::Null,
        ))
        .await;
    assert_huawei_error(&idle, 401, "CONSOLE.0006");
    // sign in again, sign out: the session ends and the cookie is cleared
    let a = app
        .send(console("POST", "/console/api/sign-in", None, None, form))
        .await;
    let (_, cookie) = set_cookie_value(&a);
    let csrf = a.body["session"]["csrf_token"].as_str().unwrap().to_owned();
    let out_without = app
        .send(console(
            "POST",
            "/console/api/sign-out",
            Some(&cookie),
            None,
            Value::Null,
        ))
        .await;
    assert_eq!(out_without.status, 403);
    let out = app
        .send(console(
            "POST",
            "/console/api/sign-out",
            Some(&cookie),
            Some(&csrf),
            Value::Null,
        ))
        .await;
    assert_eq!(out.status, 204, "{}", out.body);
    assert!(
        out.headers
            .get("set-cookie")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    let gone = app
        .send(console(
            "GET",
            "/console/api/session",
            Some(&cookie),
            None,
            Value::Null,
        ))
        .await;
    assert_huawei_error(&gone, 401, "CONSOLE.0006");
}

#[tokio::test]
async fn a_burst_of_guesses_gets_no_more_checks_than_the_lockout_allows() {
    let app = TestApp::new().await;
    person(&app, "alice").await;
    let mut set = tokio::task::JoinSet::new();
    for i in 0..16 {
        let router = app.router.clone();
        let body = password_body("alice", &format!("Guess-{i}-Wrong"));
        set.spawn(async move {
            let req = Request::post("/v3/auth/tokens")
                .header("Host", HOST)
                .header("Content-Type", "application/json")
                .body(Body::from(body.to_string()))
                .unwrap();
            let resp = tower::ServiceExt::oneshot(router, req).await.unwrap();
            let bytes = http_body_util::BodyExt::collect(resp.into_body())
                .await
                .unwrap()
                .to_bytes();
            let v: Value = serde_json::from_slice(&bytes).unwrap();
            v["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        });
    }
    let answers = set.join_all().await;
    let checked = answers
        .iter()
        .filter(|m| *m == "The username or password is wrong.")
        .count();
    // login_failed_times = 5: four answer "wrong", the fifth locks, the rest are refused unchecked
    assert!(checked <= 4, "{answers:?}");
    assert_eq!(
        answers.iter().filter(|m| m.contains("locked")).count(),
        16 - checked
    );
    let right = token_for(&app, "alice", PASSWORD).await;
    assert!(
        keystone_message(&right).contains("locked"),
        "{}",
        right.body
    );
}

#[tokio::test]
async fn guessing_the_old_password_counts_toward_the_lockout() {
    let app = TestApp::new().await;
    person(&app, "alice").await;
    let token = subject(&token_for(&app, "alice", PASSWORD).await);
    for _ in 0..5 {
        let a = with_token(
            &app,
            &token,
            "POST",
            "/v5/caller-password",
            json!({"old_password": "Guessed-Wrong-1", "new_password": "Brand-New-Pass-2"}),
        )
        .await;
        assert_eq!(a.status, 400, "{}", a.body);
    }
    let locked = with_token(
        &app,
        &token,
        "POST",
        "/v5/caller-password",
        json!({"old_password": PASSWORD, "new_password": "Brand-New-Pass-2"}),
    )
    .await;
    assert_eq!(locked.status, 403, "{}", locked.body);
    assert!(keystone_message(&token_for(&app, "alice", PASSWORD).await).contains("locked"));
}

#[tokio::test]
async fn unbinding_ones_own_mfa_takes_a_sign_in_with_it() {
    let app = TestApp::new().await;
    let id = person(&app, "alice").await;
    let token = subject(&token_for(&app, "alice", PASSWORD).await);
    let dev = with_token(
        &app,
        &token,
        "POST",
        "/v5/virtual-mfa-devices",
        json!({"virtual_mfa_device_name": "alice-phone", "user_id": id}),
    )
    .await;
    let (serial, seed) = device_of(&dev);
    let now = unix_now();
    let code = |t: u64| iam_login::totp::code_at(&seed, t).unwrap();
    let on = with_token(
        &app,
        &token,
        "POST",
        "/v5/mfa-devices/enable",
        json!({"user_id": id, "serial_number": serial, "authentication_code_first": code(now - 60), "authentication_code_second": code(now - 30)}),
    )
    .await;
    assert_eq!(on.status, 204, "{}", on.body);
    // the password token (no MFA) cannot remove the second factor
    let off = json!({"user_id": id, "serial_number": serial});
    let refused = with_token(&app, &token, "POST", "/v5/mfa-devices/disable", off.clone()).await;
    assert_huawei_error(&refused, 403, "IAM.0003");
    // a token signed in with the device's code can
    let with_mfa = token_request(
        &app,
        json!({"auth": {"identity": {"methods": ["password", "totp"],
            "password": {"user": {"name": "alice", "password": PASSWORD, "domain": {"name": "admin"}}},
            "totp": {"user": {"id": id, "passcode": code(now)}}}}}),
    )
    .await;
    assert_eq!(with_mfa.status, 201, "{}", with_mfa.body);
    let done = with_token(
        &app,
        &subject(&with_mfa),
        "POST",
        "/v5/mfa-devices/disable",
        off,
    )
    .await;
    assert_eq!(done.status, 204, "{}", done.body);
}

#[tokio::test]
async fn password_bodies_never_echo_a_value() {
    let app = TestApp::new().await;
    let (id, _, _) = app.user_with_key("alice").await;
    let typed = app
        .root(
            "POST",
            &format!("/v5/users/{id}/login-profile"),
            json!({"password": 98765432123_u64, "password_reset_required": false}),
        )
        .await;
    assert_huawei_error(&typed, 400, "IAM.0001");
    assert!(
        !typed.body.to_string().contains("98765432123"),
        "{}",
        typed.body
    );
    let signin = app
        .send(console(
            "POST",
            "/console/api/sign-in",
            None,
            None,
            json!({"account": "admin", "user": "alice", "password": 98765432123_u64}),
        ))
        .await;
    assert_eq!(signin.status, 400);
    assert!(
        !signin.body.to_string().contains("98765432123"),
        "{}",
        signin.body
    );
    let token = token_request(&app, json!({"auth": {"identity": {"methods": ["password"],
        "password": {"user": {"name": "alice", "password": 98765432123_u64, "domain": {"name": "admin"}}}}}}))
    .await;
    assert_eq!(token.status, 400);
    assert!(
        !token.body.to_string().contains("98765432123"),
        "{}",
        token.body
    );
}

/// The MFA APIs decide in their handler (the user is in the body or the query): another user's
/// device takes the action on exactly that user, and nobody but the root user touches the root
/// user's password or device, whatever a policy allows.
#[tokio::test]
async fn managing_anothers_mfa_or_the_roots_credentials_takes_the_right_grant() {
    let app = TestApp::new().await;
    let victim = person(&app, "victim").await;
    let victim_urn = format!("iam::{}:user:victim", app.account_id);
    let create = json!({"virtual_mfa_device_name": "planted", "user_id": victim});
    let mfa = ["iam:mfa:*"];
    let (denied_id, _, denied) = app.user_with_key("denied").await;
    app.grant(
        &denied_id,
        "denied-policy",
        json!({"Version": "5.0", "Statement": [
            {"Effect": "Allow", "Action": mfa, "Resource": ["*"]},
            {"Effect": "Deny", "Action": mfa, "Resource": [victim_urn.clone()]}]}),
    )
    .await;
    for (method, path, body) in [
        ("POST", "/v5/virtual-mfa-devices", create.clone()),
        (
            "POST",
            "/v5/mfa-devices/disable",
            json!({"user_id": victim, "serial_number": "iam:x:mfa/planted"}),
        ),
    ] {
        let a = app.call(&denied, method, path, &[], body).await;
        assert_huawei_error(&a, 403, "IAM.0003");
    }
    let query = [
        ("user_id", victim.as_str()),
        ("serial_number", "iam:x:mfa/planted"),
    ];
    let a = app
        .call(
            &denied,
            "DELETE",
            "/v5/virtual-mfa-devices",
            &query,
            Value::Null,
        )
        .await;
    assert_huawei_error(&a, 403, "IAM.0003");
    let (scoped_id, _, scoped) = app.user_with_key("scoped").await;
    app.grant(
        &scoped_id,
        "scoped-policy",
        json!({"Version": "5.0", "Statement": [
            {"Effect": "Allow", "Action": mfa, "Resource": [victim_urn]}]}),
    )
    .await;
    let made = app
        .call(&scoped, "POST", "/v5/virtual-mfa-devices", &[], create)
        .await;
    device_of(&made);
    // an administrator of everything still cannot set the root user's password or device
    let (admin_id, _, admin) = app.user_with_key("admin-user").await;
    app.grant(
        &admin_id,
        "admin-policy",
        json!({"Version": "5.0", "Statement": [{"Effect": "Allow", "Action": ["iam:*:*"], "Resource": ["*"]}]}),
    )
    .await;
    let root = app
        .state
        .store()
        .get_user_by_name(&app.account_id, "admin")
        .await
        .unwrap();
    let set = app
        .call(
            &admin,
            "POST",
            &format!("/v5/users/{}/login-profile", root.id),
            &[],
            json!({"password": "Taken-Over-123", "password_reset_required": false}),
        )
        .await;
    assert_huawei_error(&set, 403, "IAM.0003");
    let plant = app
        .call(
            &admin,
            "POST",
            "/v5/virtual-mfa-devices",
            &[],
            json!({"virtual_mfa_device_name": "roots", "user_id": root.id}),
        )
        .await;
    assert_huawei_error(&plant, 403, "IAM.0003");
    // the same administrator manages an ordinary user's password
    let ok = app
        .call(
            &admin,
            "PUT",
            &format!("/v5/users/{victim}/login-profile"),
            &[],
            json!({"password_reset_required": true}),
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
}
