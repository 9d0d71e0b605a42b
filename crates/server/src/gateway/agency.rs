//! Agency credentials for jobs (seed 000, "Agency authorization": *"The agency credential will
//! also be synchronized to your jobs (including notebook instances and training jobs)"*).
//!
//! When an allowed request is an operation after which ModelArts works on the user's resources
//! in the background (`Catalog::agency_use_of`: creating a notebook, a training job, a
//! deployment, a dataset task, a pool), the gateway obtains temporary credentials of the agency a
//! tenant administrator authorized for the user in the request's project, as the ModelArts
//! service principal and through the same checks as `AssumeAgency` (`crate::service`), and hands
//! them to the upstream in the `X-Iam-Agency-*` headers ([`super::headers::agency_headers`]).
//! Credentials are reused until [`MIN_REMAINING`] before they expire, within one snapshot
//! revision (docs/server.md, "Caches"): any write, such as a changed or removed authorization,
//! makes the next job get new ones. A request that needs an agency when none is authorized is
//! refused (`ModelArts.6802`) and never forwarded; a refused request never gets credentials.

use std::sync::Arc;

use iam_catalog::Catalog;
use time::OffsetDateTime;

use super::Gateway;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::service::{SessionOptions, assume_for_user, modelarts_caller, not_authorized};

/// Credentials are handed to a new job only while at least this much of their life is left.
pub const MIN_REMAINING: time::Duration = time::Duration::minutes(15);

/// Life of the sessions the gateway opens for jobs (the upstream renews longer jobs through
/// `AssumeAgency` with the service credential).
pub const JOB_SESSION_SECONDS: i64 = 3600;

/// Temporary credentials of the user's authorized agency, for the upstream to give to the job.
#[derive(Debug)]
pub(crate) struct JobCredentials {
    pub(crate) agency_id: String,
    pub(crate) agency_name: String,
    pub(crate) agency_urn: String,
    pub(crate) access_key_id: String,
    pub(crate) secret_access_key: String,
    pub(crate) security_token: String,
    /// RFC 3339, as `AssumeAgency` answers it.
    pub(crate) expiration: String,
    pub(crate) expires: OffsetDateTime,
}

/// The agency credentials an allowed request hands to the upstream: `None` when none of its
/// `actions` needs the agency; 403 `ModelArts.6802` when one does and no agency is authorized
/// for the caller (or the caller is not an IAM user: ModelArts acts for users).
pub(super) async fn for_request(
    gw: &Gateway,
    caller: &Caller,
    project_id: Option<&str>,
    actions: &[&str],
    request_id: Option<String>,
) -> Result<Option<Arc<JobCredentials>>, ApiError> {
    let catalog = Catalog::builtin();
    let Some(need) = actions.iter().find_map(|a| catalog.agency_use_of(a)) else {
        return Ok(None);
    };
    let tables = iam_catalog::docs::cite_all(
        need.tables
            .iter()
            .map(|t| {
                format!(
                    "{} Table {t}",
                    iam_catalog::docs::AGENCIES_AND_DEPENDENCIES.key
                )
            })
            .collect::<Vec<_>>()
            .iter()
            .map(String::as_str),
    );
    let what = format!(
        "{} makes ModelArts work on your resources with an agency (the basic agency authorization of {tables})",
        need.action
    );
    let Some(user_id) = caller.user_id() else {
        return Err(not_authorized(
            &caller.urn,
            &format!(
                "{what}, and ModelArts acts for IAM users only: call it with your user's credentials, not an agency session's"
            ),
        ));
    };
    let Some(project_id) = project_id else {
        return Err(not_authorized(
            &caller.urn,
            &format!("{what}, and the request names no project"),
        ));
    };
    let st = &gw.state;
    let Some(authorization) = st
        .store()
        .authorization_for_user(project_id, user_id)
        .await?
    else {
        return Err(not_authorized(
            &caller.urn,
            &format!("{what}, and no agency is authorized for you in project {project_id}"),
        ));
    };
    let revision = st.current().revision();
    let key = (project_id.to_owned(), user_id.to_owned());
    let now = OffsetDateTime::now_utc();
    if let Ok(cache) = st.job_credentials().read()
        && let Some(c) = cache.get(revision, &key)
        && c.agency_id == authorization.agency_id
        && c.expires - now > MIN_REMAINING
    {
        return Ok(Some(Arc::clone(c)));
    }
    let agency = st.store().get_agency(&authorization.agency_id).await?;
    let service = modelarts_caller();
    let options = SessionOptions {
        duration: JOB_SESSION_SECONDS.min(agency.max_session_duration),
        ..SessionOptions::default()
    };
    let (agency_name, agency_urn) = (agency.name.clone(), agency.urn.clone());
    let issued = assume_for_user(
        st,
        &service,
        agency,
        Some(user_id),
        None,
        options,
        request_id,
    )
    .await?;
    let creds = Arc::new(JobCredentials {
        agency_id: authorization.agency_id,
        agency_name,
        agency_urn,
        access_key_id: issued.access_key_id,
        secret_access_key: issued.secret_access_key,
        security_token: issued.security_token,
        expiration: crate::api::sts::expiration_text(issued.expiration),
        expires: issued.expiration,
    });
    if let Ok(mut cache) = st.job_credentials().write() {
        cache.insert(revision, key, Arc::clone(&creds));
    }
    Ok(Some(creds))
}
