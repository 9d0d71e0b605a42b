//! ModelArts acts with the agency (seed 000, "Agency authorization": *"ModelArts will use the
//! agency to obtain a temporary authentication credential … The agency credential will also be
//! synchronized to your jobs"*; docs/agencies.md, "ModelArts acts with the agency").
//!
//! The platform backend that plays ModelArts (a job runner, a notebook spawner, a deployment
//! controller) authenticates as the cloud service principal [`MODELARTS_SERVICE`] with the
//! service credential `serve` writes on first start ([`SERVICE_KEY_FILE`]). That credential
//! opens one API, `AssumeAgency`, and only for an agency a tenant administrator authorized for
//! the user named in `source_identity` ([`assume_for_user`]); the session it gets carries the
//! user's id as its source identity and the user's name as its session name. The gateway does
//! the same in process when it forwards an operation that starts such work
//! (`crate::gateway`, "Agency credentials for jobs").

use iam_store::{Agency, NewDecision, ServiceGrant, StoreError, User};

use crate::api::sts::{AssumeRequest, Issued, SessionTag, assume_agency, build_request};
use crate::auth::{Caller, CallerKind};
use crate::error::{ApiError, ApiResult, code};
use crate::state::AppState;

/// The service principal of ModelArts, as trust policies name it.
pub const MODELARTS_SERVICE: &str = "service.ModelArts";

/// The ModelArts service credential file `serve` writes in the data directory on first start
/// (mode 0600), beside the root key.
pub const SERVICE_KEY_FILE: &str = "service-modelarts-key.json";

/// What a service may ask of the session besides the user and the agency (each as in
/// `AssumeAgency`, validated there).
#[derive(Debug, Default)]
pub(crate) struct SessionOptions {
    pub(crate) duration: i64,
    pub(crate) external_id: Option<String>,
    pub(crate) policy: Option<String>,
    pub(crate) policy_ids: Vec<String>,
    pub(crate) tags: Vec<SessionTag>,
    pub(crate) transitive: Vec<String>,
}

/// The caller the gateway acts as when it obtains credentials for a job in process.
pub(crate) fn modelarts_caller() -> Caller {
    Caller {
        token: None,
        account_id: String::new(),
        urn: MODELARTS_SERVICE.to_owned(),
        access_key_id: String::new(),
        kind: CallerKind::Service {
            service: MODELARTS_SERVICE.to_owned(),
        },
    }
}

/// The session name of a session opened for `user`: the user's name when it is a valid session
/// name (2-64 of `[A-Za-z0-9_+=,.@-]`), else the user's id.
pub(crate) fn session_name_for(user: &User) -> String {
    let n = user.name.chars().count();
    let valid = (2..=64).contains(&n)
        && user
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c));
    if valid {
        user.name.clone()
    } else {
        user.id.clone()
    }
}

/// The 403 of an operation that needs the agency when no tenant administrator authorized one for
/// the user (`ModelArts.6802`). `what` says what needs it.
pub(crate) fn not_authorized(user_urn: &str, what: &str) -> ApiError {
    ApiError::new(
        http::StatusCode::FORBIDDEN,
        code::NO_AGENCY_AUTHORIZATION,
        format!(
            "ModelArts is not authorized to act for user {user_urn}: {what}. Ask a tenant administrator to authorize ModelArts for you on the Global Configuration page (POST /v2/{{project_id}}/authorizations with type agency), with an agency that grants what the job needs."
        ),
    )
}

/// Opens a session of `agency` for the user `user_id` as the service `caller`: allowed only when
/// a tenant administrator authorized ModelArts to use that agency for that user (the user's own
/// authorization in a project of the agency's account, or the `all` one when the user has none
/// there) and the agency's trust policy allows the service. The session's source identity is the
/// user's id, its name [`session_name_for`] the user; `session_name`, when given, must be that.
pub(crate) async fn assume_for_user(
    st: &AppState,
    caller: &Caller,
    agency: Agency,
    user_id: Option<&str>,
    session_name: Option<&str>,
    options: SessionOptions,
    request_id: Option<String>,
) -> ApiResult<Issued> {
    let Some(user_id) = user_id else {
        return Err(ApiError::bad_request(
            "`source_identity` is required for a cloud service: it names the user (by user id) the service acts for",
        ));
    };
    let refuse = |what: &str| {
        let msg = format!(
            "{what}, so {} may not obtain credentials of agency {} for user {user_id}",
            caller.urn, agency.urn
        );
        log_refusal(st, caller, &agency, user_id, &msg, request_id.clone());
        not_authorized(user_id, &msg)
    };
    let user = match st.store().get_user(user_id).await {
        Ok(u) if u.account_id == agency.account_id && u.enabled => u,
        Ok(_) | Err(StoreError::NotFound { .. }) => {
            return Err(refuse(
                "no enabled user of the agency's account has this id",
            ));
        }
        Err(e) => return Err(e.into()),
    };
    let Some(grant) = st.store().service_grant(&user.id, &agency.id).await? else {
        return Err(refuse(
            "no tenant administrator authorized ModelArts to use this agency for this user",
        ));
    };
    let name = session_name_for(&user);
    if let Some(given) = session_name
        && given != name
    {
        return Err(ApiError::bad_request(format!(
            "`agency_session_name` must be `{name}`: a service session is named after the user it acts for"
        )));
    }
    let req: AssumeRequest = build_request(
        st,
        caller,
        agency,
        name,
        options.duration,
        options.external_id,
        options.policy.as_deref(),
        &options.policy_ids,
        Some(user.id.clone()),
        options.tags,
        options.transitive,
        "sts:agencies:assume",
    )
    .await?;
    let grant = ServiceGrant {
        project_id: grant.project_id,
        user_key: grant.user_id,
        user_id: user.id,
    };
    assume_agency(st, caller, req, Some(grant), request_id).await
}

fn log_refusal(
    st: &AppState,
    caller: &Caller,
    agency: &Agency,
    user_id: &str,
    reason: &str,
    request_id: Option<String>,
) {
    let d = NewDecision {
        principal_urn: Some(caller.urn.clone()),
        access_key_id: (!caller.access_key_id.is_empty()).then(|| caller.access_key_id.clone()),
        action: "sts:agencies:assume".to_owned(),
        resource: Some(agency.urn.clone()),
        decision: "deny".to_owned(),
        layer: Some("authorization".to_owned()),
        agency_id: Some(agency.id.clone()),
        request_id,
        extra: Some(
            serde_json::json!({"source": "sts", "source_identity": user_id, "reason": reason})
                .to_string(),
        ),
        ..NewDecision::default()
    };
    crate::audit::record(st, d);
}
